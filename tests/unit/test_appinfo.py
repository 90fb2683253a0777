"""Help > About's facts and the licences of bundled components, from real metadata."""

from __future__ import annotations

import json
import re
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import torch

from vertapp import appinfo, appresources, licences
from vertapp.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def components() -> dict[str, licences.Component]:
    return {c.name.lower(): c for c in licences.components()}


def test_licences_come_from_each_distributions_metadata(components) -> None:
    for name in ("numpy", "torch", "simpleitk", "pycocotools", "shapely"):
        assert name in components, name
        dist = metadata.distribution(name)
        assert components[name].version == dist.version
        assert components[name].licence == licences.licence_of(dist)
    assert "BSD-3-Clause" in components["numpy"].licence  # numpy declares an SPDX expression
    assert components["torch"].licence.startswith("Apache-2.0")
    assert "LGPL-3.0" in components["pyside6_essentials"].licence


def test_the_closure_follows_dependencies_and_their_extras_but_not_ours(components) -> None:
    # numpy is reached through SimpleITK/opencv/torch too; sympy only through torch.
    assert "sympy" in components and "markupsafe" in components  # torch -> jinja2 -> markupsafe
    # Test and packaging tools are VertApp extras: not shipped, not listed.
    assert not {"pytest", "ruff", "mypy", "hypothesis", "pyinstaller"} & set(components)
    assert "vertapp" not in components
    torch_needs = {r.name.lower() for r in map(_req, metadata.requires("torch") or [])}
    if "cuda-toolkit" in torch_needs:  # CUDA wheels: the libraries come through its extras
        assert any(name.startswith("nvidia-cublas") for name in components)


def _req(text: str):  # type: ignore[no-untyped-def]
    from packaging.requirements import Requirement

    return Requirement(text)


def test_licence_of_reads_classifiers_when_no_expression_is_given() -> None:
    class Fake(metadata.Distribution):
        def __init__(self, text: str) -> None:
            self.text = text

        def read_text(self, filename: str) -> str | None:
            return self.text if filename in ("METADATA", "PKG-INFO") else None

        def locate_file(self, path):  # type: ignore[no-untyped-def]
            return Path(path)

    long_text = "Copyright (c) 2001 Someone\n\nRedistribution and use in source and binary forms"
    pasted = "Name: x\nVersion: 1\nLicense: " + long_text.replace("\n", "\n        ") + "\n"
    pasted += "Classifier: License :: OSI Approved :: BSD License\n\n"
    assert licences.licence_of(Fake(pasted)) == "BSD License"
    spdx = "Name: x\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: Apache\n\n"
    assert licences.licence_of(Fake(spdx)) == "MIT OR Apache-2.0"
    assert licences.licence_of(Fake("Name: x\nVersion: 1\n\n")) == "not declared"


def test_licence_text_is_the_shipped_file() -> None:
    text = licences.licence_text("numpy")
    assert text.startswith("==> LICENSE.txt <==")
    assert "Copyright (c)" in text and "NumPy Developers" in text


def test_revision_in_a_checkout_is_gits(monkeypatch: pytest.MonkeyPatch) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout
    revision = appinfo.git_revision()
    assert re.fullmatch(r"[0-9a-f]{12}(-dirty)?", revision), revision
    assert head.startswith(revision[:12])


def test_a_baked_revision_outside_a_checkout_and_no_git_never_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = appresources.read_bytes
    baked = b'{"revision": "abc123def456"}'
    monkeypatch.setattr(
        appresources,
        "read_bytes",
        lambda name: baked if name == appinfo.BUILD_INFO else real(name),
    )

    def no_git(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", no_git)  # as in the frozen build: no git to ask
    assert appinfo.git_revision() == "abc123def456"
    monkeypatch.setattr(appresources, "read_bytes", real)
    assert appinfo.git_revision() == "unknown"


def test_collect_reports_real_versions_device_and_folders(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VERTAPP_LOG_DIR", str(tmp_path / "logs"))
    info = appinfo.collect(qt_runtime="6.9.9", with_components=False)
    assert info.versions["torch"] == metadata.version("torch")
    assert torch.__version__.startswith(info.versions["torch"])
    assert info.versions["Qt (PySide6)"].endswith("(Qt runtime 6.9.9)")
    assert info.cuda.startswith(torch.version.cuda or "none")
    expected = "cuda:" if torch.cuda.is_available() else "CPU (no CUDA GPU found)"
    assert info.device.startswith(expected)
    assert info.log_dir == str(tmp_path / "logs") and Path(info.config_dir).is_dir()
    text = appinfo.format_text(info)
    assert f"VertApp {info.version} (revision {info.revision})" in text
    assert "device:" in text and str(tmp_path / "logs") in text


def test_a_broken_cuda_probe_still_gives_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> bool:
        raise RuntimeError("CUDA driver initialization failed")

    monkeypatch.setattr(torch.cuda, "is_available", broken)
    cuda, device = appinfo.torch_device()
    assert cuda == appinfo.UNAVAILABLE and device == "unavailable (RuntimeError)"


def test_about_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["about", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["version"] and facts["device"] and facts["log_dir"]
    names = {c["name"].lower() for c in facts["components"]}
    assert {"numpy", "torch", "simpleitk", "opencv-python-headless"} <= names


def test_about_cli_licence_text_and_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["about", "--licence", "shapely"]) == 0
    assert "==> LICENSE.txt <==" in capsys.readouterr().out
    assert main(["about", "--licence", "no-such-thing"]) == 1
    assert "no installed component is called 'no-such-thing'" in capsys.readouterr().err
