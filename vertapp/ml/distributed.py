"""DistributedDataParallel set-up for `torchrun --nproc_per_node=N -m vertapp train ...`.

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT; without
them training runs in one process. Backend: NCCL on CUDA, gloo on CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass
class DistContext:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    owns_group: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device_name: str) -> DistContext:
    """Read torchrun's environment, pick the device, and join the process group."""
    from vertapp.ml.train import resolve_device  # late: train imports this module

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name)
    if world > 1 and device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    owns = False
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        owns = True
    return DistContext(rank, world, local, device, owns)


def wrap(model: nn.Module, device: torch.device, ctx: DistContext) -> nn.Module:
    if ctx.world_size <= 1:
        return model
    ids = [device.index] if device.type == "cuda" else None
    # An image whose augmented view lost every instance leaves the mask head unused.
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def barrier(ctx: DistContext) -> None:
    if ctx.world_size > 1 and dist.is_initialized():
        dist.barrier()


def teardown(ctx: DistContext) -> None:
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()
