"""Fixtures the unit tests of uploads share."""

from __future__ import annotations

import pytest

from serving.uploads import UploadStore


@pytest.fixture
def store(tmp_path, monkeypatch, dataset_source):
    """An UploadStore on this test's own directory, its source added to core.datasets."""
    monkeypatch.setenv("UPLOADS_DIR", str(tmp_path / "uploads"))
    kept = UploadStore()
    dataset_source(kept.source)
    return kept
