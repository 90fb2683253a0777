"""The starter model VertApp ships (`vertapp/resources/models/starter-ct.pt`): where it is,
which projects it serves, and how a training checkpoint becomes one.

Why a starter: a radiologist's first project has a few labelled scans at most and no GPU.
A model trained from scratch on them predicts nothing for hours; one fine-tuned from a
model that has already seen phantoms and real CTs is usable within minutes. So prediction
falls back to it when a project has no model of its own, and training starts from it
for the CT-MIP vocabulary (T1..L5) unless the user asks for a new model.

The shipped file is an ordinary VertApp checkpoint (loaded with weights_only=True like
every other) holding the weights in fp16, its TrainConfig and class names, and no
optimizer state: half the size, and nothing a prediction or fine-tune needs is lost
(`read_checkpoint` casts the weights back to fp32). Importing this module is cheap (no
torch): the window asks it which model to offer before anything is trained or predicted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vertapp.errors import ModelError
from vertapp.labels import VERTEBRAE

if TYPE_CHECKING:
    import torch

RESOURCE = "models/starter-ct.pt"
MODEL_CARD = "models/MODEL_CARD.md"
# A site may ship its own starter instead; "none" turns it off (the test suite does, and
# points it at a tiny one where a test is about the starter).
ENV_OVERRIDE = "VERTAPP_STARTER_MODEL"
MAX_BYTES = 20_000_000  # the limit for a file in the package
# Kept from the training checkpoint: what a prediction, a fine-tune and an audit need.
# `trained_on`: what it learnt from (vertapp.ml.trained_on), so a score on it is not a test
KEPT_KEYS = (
    "arch",
    "config",
    "class_names",
    "epoch",
    "epochs_trained",
    "best_val_mean_dice",
    "trained_on",
)


def is_shipped_starter(path: Path) -> bool:
    """Whether `path` is the starter file VertApp ships (or a copy of it, byte for byte),
    whatever a site set in ENV_OVERRIDE: the shipped file predates `trained_on`."""
    from vertapp.appresources import ResourceMissingError, resource_path

    try:
        shipped = resource_path(RESOURCE)
        if path.resolve() == shipped.resolve():
            return True
        return path.stat().st_size == shipped.stat().st_size and _sha256(path) == _sha256(shipped)
    except (ResourceMissingError, OSError):
        return False


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def starter_path() -> Path:
    """The starter model's file; ModelError in words when this installation lacks it."""
    override = os.environ.get(ENV_OVERRIDE, "").strip()
    if override.lower() == "none":
        raise ModelError(f"the starter model is turned off here ({ENV_OVERRIDE}=none)")
    if override:
        path = Path(override)
        if not path.is_file():
            raise ModelError(f"the starter model set in {ENV_OVERRIDE} is not there: {path}")
        return path
    from vertapp.appresources import ResourceMissingError, resource_path

    try:
        return resource_path(RESOURCE)
    except ResourceMissingError as err:
        raise ModelError(
            "the starter model (vertapp/resources/models/starter-ct.pt) is missing from "
            "this installation: reinstall VertApp, or choose a model file"
        ) from err


def starter_available() -> bool:
    try:
        starter_path()
    except ModelError:
        return False
    return True


def serves(class_names: Sequence[str], kinds: Sequence[str] = ("mip",)) -> bool:
    """Whether the starter fits a dataset: the CT-MIP vocabulary (T1..L5) on MIPs only.

    Radiographs share level names with MIPs but not their look: never for them."""
    return list(class_names) == list(VERTEBRAE) and all(k == "mip" for k in kinds)


def project_model_path(project_root: Path) -> Path:
    """Where the window trains a project's own model (and where prediction looks first)."""
    return project_root / "models" / "model.pt"


def model_for_project(
    project_root: Path | None, class_names: Sequence[str], kinds: Sequence[str] = ("mip",)
) -> tuple[Path, bool]:
    """(model file, is the starter): the project's own model if it has one, else the
    starter when it serves the project's images (`serves`).

    ModelError in words when there is neither."""
    if project_root is not None:
        own = project_model_path(project_root)
        if own.is_file():
            return own, False
    if not serves(class_names, kinds):
        raise ModelError(
            "Choose a model file first: this project has no model of its own, and the "
            "starter model VertApp ships is for CT MIPs (T1..L5) only"
        )
    return starter_path(), True


def starter_for(class_names: Sequence[str], kinds: Sequence[str]) -> Path | None:
    """The starter model to fine-tune for a project's data, None if it does not serve them
    or this installation lacks it (training then starts from scratch)."""
    if not serves(class_names, kinds):
        return None
    try:
        return starter_path()
    except ModelError:
        return None


# -- making the shipped file ---------------------------------------------------------------------
def half_weights(state: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Floating-point tensors in fp16 (integer buffers such as BatchNorm counts unchanged)."""
    import torch

    return {
        k: v.detach().to(torch.float16) if v.is_floating_point() else v.detach()
        for k, v in state.items()
    }


def make_starter(
    src: str | Path,
    dst: str | Path,
    *,
    max_bytes: int = MAX_BYTES,
    score_thresh: float | None = None,
) -> dict[str, Any]:
    """Write `src` (a training checkpoint) as a starter model at `dst`: fp16 weights, its
    config and class names, no optimizer. Refuses (and leaves no file) above `max_bytes`.
    `score_thresh`: the threshold it predicts at (and its fine-tunes keep), if not the
    training config's.

    Returns what it wrote: bytes, parameter count, class names, epochs, threshold."""
    from vertapp.ml.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint

    data = read_checkpoint(src)
    payload = {k: data[k] for k in KEPT_KEYS if k in data}
    if score_thresh is not None:
        payload["config"] = {**payload["config"], "score_thresh": float(score_thresh)}
    payload["model"] = half_weights(data["model"])
    dst = Path(dst)
    save_checkpoint(dst, payload)
    size = dst.stat().st_size
    if size > max_bytes:
        dst.unlink()
        raise ModelError(
            f"{dst.name} would be {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit: "
            "train a smaller model (e.g. the mobile preset's box_head_width=256)"
        )
    loaded = load_checkpoint(dst)  # proves it loads as every checkpoint does
    return {
        "bytes": size,
        "parameters": sum(p.numel() for p in loaded.model.parameters()),
        "class_names": loaded.class_names,
        "epoch": loaded.epoch,
        "epochs_trained": loaded.extra.get("epochs_trained"),
        "backbone": loaded.config.backbone,
        "score_thresh": loaded.config.score_thresh,
    }
