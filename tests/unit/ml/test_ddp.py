"""`torchrun --nproc_per_node=2 -m vertapp train ...` with gloo on the CPU, one step."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from .conftest import TINY
from .spines import spine_samples, write_coco_dataset


@pytest.mark.slow
def test_two_gloo_processes_train_one_step(tmp_path):
    write_coco_dataset(tmp_path / "proj", spine_samples(4))
    sets = [
        f"--set={k}={v}"
        for k, v in TINY.items()
        if k not in ("weights", "device", "batch_size") and not isinstance(v, str)
    ]
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        "-m", "vertapp", "train", str(tmp_path / "proj"), "--out", str(tmp_path / "m.pt"),
        "--device", "cpu", "--weights", "none", "--epochs", "1", "--batch", "1",
        "--max-iters", "1", *sets,
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 processes on cpu" in proc.stderr
    assert proc.stderr.count("epoch 1/1 it 1/") == 1  # only rank 0 reports
    ckpt = torch.load(tmp_path / "m.pt", weights_only=True)
    assert ckpt["iteration"] == 1 and ckpt["epoch"] == 1
