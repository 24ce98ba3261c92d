"""Tiny Qwen2 chat models shared by the generate, tune and serve tests, built once per session
(per xdist worker): parsing the 151k-token tokenizer and writing weights is most of their cost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# One thread per test process: `make test` runs two xdist workers on CI's two cores, and the
# tests' models are tiny, so a second thread per worker only contends (the tuning and ONNX tests
# ran 1.9x slower with two on a loaded box). Set before torch and ONNX Runtime start their pools;
# subprocesses the tests start inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_configure(config: pytest.Config) -> None:
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture(scope="session")
def tiny_qwen_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight Qwen2 (2 layers, hidden size 32: the vocabulary's embedding is most of
    the work, keep it small) with the real Qwen2 tokenizer."""
    from inhouse.generate.tiny import tiny_qwen

    return tiny_qwen(tmp_path_factory.mktemp("tiny-qwen") / "tiny-qwen", hidden=32)


@pytest.fixture(scope="session")
def trained_qwen_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hidden-64 tiny Qwen2 at a trained model's weight scale, which LoRA can make
    memorise a few dozen tickets (`tests.tiny_lora.trained_scale`)."""
    from tests.tiny_lora import trained_scale

    root = tmp_path_factory.mktemp("trained-qwen")
    return trained_scale(root / "raw", root / "base")


@pytest.fixture(scope="session")
def two_adapters(tmp_path_factory: pytest.TempPathFactory, trained_qwen_folder: Path) -> dict:
    """Two LoRA adapters of `trained_qwen_folder`, each memorising its own resolutions of the
    same 8 ticket texts: adapter name -> (folder, {text: resolution})."""
    from tests.tiny_lora import train_adapters

    return train_adapters(trained_qwen_folder, tmp_path_factory.mktemp("two-adapters"))
