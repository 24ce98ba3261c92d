"""Recommend tests keep caches (item embeddings) in a temporary folder, not the user's cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mp = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("inhouse-cache")
    mp.setenv("INHOUSE_CACHE_DIR", str(folder))
    yield folder
    mp.undo()
