"""One tiny random-weight Qwen2 model for the whole session (the tokenizer build is cached)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from inhouse.generate.tiny import tiny_qwen

    # hidden size 32: the Qwen2 vocabulary's embedding is most of the work, keep it small
    return tiny_qwen(tmp_path_factory.mktemp("generate") / "tiny-qwen", hidden=32)


@pytest.fixture(scope="session")
def tiny(tiny_folder: Path):
    from inhouse.generate.hf import TransformersGenerator

    return TransformersGenerator("tiny", tiny_folder, device="cpu")
