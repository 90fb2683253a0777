"""The starter model ships as package data: in the wheel and in the PyInstaller build."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "vertapp" / "resources" / "models"


def test_the_model_card_names_data_licences_and_limits() -> None:
    card = (MODELS / "MODEL_CARD.md").read_text(encoding="utf-8")
    for words in ("CC BY-SA 4.0", "Apache-2.0", "Sekuboyina", "a model's output", "T9-L5"):
        assert words in card, words
    assert "weights_only=True" in card and "Known limits" in card


def test_the_frozen_build_collects_every_resource_folder() -> None:
    spec = (ROOT / "packaging" / "vertapp.spec").read_text(encoding="utf-8")
    assert 'collect_data_files("vertapp", includes=["resources/**/*"' in spec


@pytest.mark.slow
def test_the_wheel_carries_the_model_folder(tmp_path: Path) -> None:
    """Fails if package-data leaves resources/models/ out (the starter would be missing
    from every install but a checkout)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    with zipfile.ZipFile(next(tmp_path.glob("vertapp-*.whl"))) as wheel:
        names = set(wheel.namelist())
    shipped = {f"vertapp/resources/models/{p.name}" for p in MODELS.iterdir() if p.is_file()}
    assert "vertapp/resources/models/MODEL_CARD.md" in shipped
    assert shipped <= names, shipped - names
