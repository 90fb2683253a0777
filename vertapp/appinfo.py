"""What Help > About and `vertapp about` report: versions, revision, device, folders.

Qt-free: the window adds the Qt runtime version it sees (`qt_runtime=`) and shows
`format_text()` / the `components` table. Every probe is guarded: About must open on
a broken CUDA driver or a copy without git, so a failed probe reads "unavailable".
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from vertapp import __version__, licences
from vertapp.config import config_dir
from vertapp.logs import log_dir

BUILD_INFO = "build_info.json"  # baked by packaging/vertapp.spec and packaging/wheelhouse.sh
UNAVAILABLE = "unavailable"
# Distributions whose versions About names on their own line (the rest: licence table).
KEY_DISTRIBUTIONS = {
    "torch": "torch",
    "torchvision": "torchvision",
    "Qt (PySide6)": "PySide6-Essentials",
    "SimpleITK": "SimpleITK",
    "OpenCV": "opencv-python-headless",
    "numpy": "numpy",
    "pycocotools": "pycocotools",
}

log = logging.getLogger(__name__)


@dataclass
class AppInfo:
    version: str
    revision: str
    frozen: bool
    python: str
    platform: str
    versions: dict[str, str]
    cuda: str
    device: str
    config_dir: str
    log_dir: str
    components: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def _baked_revision() -> str | None:
    """The revision `make package` / `make wheelhouse` wrote into the build, if any."""
    from vertapp import appresources

    try:
        data = json.loads(appresources.read_bytes(BUILD_INFO))
    except (appresources.ResourceMissingError, ValueError, OSError):
        return None
    return str(data.get("revision") or "") or None


def _checkout_revision() -> str | None:
    """`git describe` of the checkout this package runs from, if it runs from one."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def git_revision() -> str:
    """Read from git in a checkout, else baked at build time (frozen build, wheelhouse
    wheel), else "unknown"; never raises. The checkout comes first so that a stale
    build_info.json left in a source tree cannot hide the real revision."""
    return _checkout_revision() or _baked_revision() or "unknown"


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def torch_device() -> tuple[str, str]:
    """(CUDA/cuDNN build versions, the device training would use) without failing."""
    try:
        import torch

        cuda = torch.version.cuda or "none (CPU build)"
        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        if cudnn:
            cuda += f", cuDNN {cudnn}"
        if torch.cuda.is_available():
            index = torch.cuda.current_device()
            props = torch.cuda.get_device_properties(index)
            memory = props.total_memory / 2**30
            device = f"cuda:{index} {props.name} ({memory:.0f} GiB)"
        else:
            device = "CPU (no CUDA GPU found)"
    except Exception as err:  # a broken driver must not stop About from opening
        log.warning("device probe failed: %s", err)
        return UNAVAILABLE, f"{UNAVAILABLE} ({type(err).__name__})"
    return cuda, device


def collect(qt_runtime: str | None = None, with_components: bool = True) -> AppInfo:
    """Everything About shows. `qt_runtime`: `qVersion()` as the window sees it."""
    import platform

    versions = {label: _dist_version(dist) for label, dist in KEY_DISTRIBUTIONS.items()}
    if qt_runtime:
        versions["Qt (PySide6)"] += f" (Qt runtime {qt_runtime})"
    cuda, device = torch_device()
    return AppInfo(
        version=__version__,
        revision=git_revision(),
        frozen=is_frozen(),
        python=platform.python_version(),
        platform=platform.platform(terse=True),
        versions=versions,
        cuda=cuda,
        device=device,
        config_dir=str(config_dir()),
        log_dir=str(log_dir()),
        components=[asdict(c) for c in licences.components()] if with_components else [],
    )


def format_text(info: AppInfo) -> str:
    lines = [
        f"VertApp {info.version} (revision {info.revision}"
        + (", standalone build)" if info.frozen else ")"),
        f"Python {info.python} on {info.platform}",
    ]
    lines += [f"{label + ':':14s}{version}" for label, version in info.versions.items()]
    lines += [
        f"{'CUDA:':14s}{info.cuda}",
        f"{'device:':14s}{info.device}",
        f"{'settings:':14s}{info.config_dir}",
        f"{'logs:':14s}{info.log_dir}",
    ]
    if info.components:
        lines.append(f"\nthird-party components ({len(info.components)}):")
        width = max(len(c["name"]) + len(c["version"]) for c in info.components) + 2
        for c in info.components:
            lines.append(f"  {c['name'] + ' ' + c['version']:{width}s} {c['licence']}")
    return "\n".join(lines)
