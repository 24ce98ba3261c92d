"""`load_generator`: the backend follows the model's format; registered weights are checked."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from inhouse.errors import InhouseError, ModelError
from inhouse.generate.hf import TransformersGenerator
from inhouse.generate.registry import load_generator


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "registry" / "models.json"))
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "no-inhouse.toml"))
    return tmp_path


def test_a_registered_folder_is_verified_before_loading(registry: Path, tiny_folder: Path) -> None:
    from inhouse.models.registry import add_model

    folder = registry / "mine"
    shutil.copytree(tiny_folder, folder)
    add_model(folder, name="mine")
    generator = load_generator("mine", device="cpu", max_tokens=3)
    assert isinstance(generator, TransformersGenerator) and generator.name == "mine"
    pieces = generator.stream([{"role": "user", "content": "hi"}], temperature=1.0, seed=0)
    "".join(pieces)
    assert pieces.usage.completion_tokens == 3  # the loader's max_tokens is the default
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ModelError, match="sha256 mismatch for 'mine'"):
        load_generator("mine", device="cpu")


def test_an_embedder_and_an_unknown_name_are_refused(registry: Path) -> None:
    with pytest.raises(ModelError, match="embedding model and cannot chat"):
        load_generator("all-MiniLM-L6-v2")
    with pytest.raises(ModelError, match="no-such-model: no registered model of that name"):
        load_generator("no-such-model")


def test_a_gguf_without_llama_cpp_says_how_to_install_it(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = registry / "model.gguf"
    gguf.write_bytes(b"GGUF" + b"\x00" * 60)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp fails
    with pytest.raises(InhouseError, match=r"needs `pip install 'inhouse\[llm\]'`"):
        load_generator(str(gguf))
