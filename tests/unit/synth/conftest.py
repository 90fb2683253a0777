"""Phantoms shared by the synth tests (built once per session: each takes ~1-2 s)."""

from __future__ import annotations

import pytest

from vertapp.synth import CTPhantom, make_ct_phantom


@pytest.fixture(scope="session")
def full_phantom() -> CTPhantom:
    """T1..L5 at the default spacing, default noise."""
    return make_ct_phantom(seed=0)


@pytest.fixture(scope="session")
def clean_phantom() -> CTPhantom:
    """T1..L5 without noise: HU checks and canal geometry."""
    return make_ct_phantom(seed=0, noise_hu=0.0)
