"""The session's tiny random-weight Qwen2 (tests/conftest.py), loaded once for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_folder(tiny_qwen_folder: Path) -> Path:
    return tiny_qwen_folder


@pytest.fixture(scope="session")
def tiny(tiny_folder: Path):
    from inhouse.generate.hf import TransformersGenerator

    return TransformersGenerator("tiny", tiny_folder, device="cpu")
