"""A small project with predictions, hand-drawn outlines and patients, built without Qt."""

from __future__ import annotations

import pytest

from tests.unit.review.sample import review_project
from vertapp.annotations.model import Project


@pytest.fixture
def project() -> Project:
    """Image 1: three predictions (one reordered); 2: one prediction; 3: hand-drawn T1."""
    return review_project()
