"""Fixtures the unit tests of uploads share."""

from __future__ import annotations

import pytest

from core import datasets
from serving.uploads import UploadStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An UploadStore on this test's own directory, its source the only one core.datasets consults."""
    monkeypatch.setenv("UPLOADS_DIR", str(tmp_path / "uploads"))
    monkeypatch.setattr(datasets, "_sources", [])
    kept = UploadStore()
    datasets.add_source(kept.source)
    return kept
