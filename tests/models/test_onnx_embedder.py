"""`inhouse models export`: the default embedder exported to ONNX, registered as its own variant,
loaded by name and embedding like torch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from inhouse.errors import ModelError
from inhouse.models.embedder import DEFAULT_EMBEDDER, Embedder, fingerprint
from inhouse.models.export import export_embedder
from inhouse.models.load import load_embedder, load_embedder_by_name
from inhouse.models.onnx_embedder import OnnxEmbedder
from inhouse.models.registry import RegistryEntry, read_registry, verify_model
from inhouse.models.weights import ONNX_CONFIG, ONNX_MODEL, sha256_file

from ._util import run_cli

TEXTS = [
    "my card has not arrived yet",
    "How do I reset my password?",
    "why was I charged a fee for a transfer abroad",
    "Borosilicate glass beakers, set of 5 (50, 100, 250, 500, 1000 ml). Lab supplies. "
    "Printed graduations, heavy-duty rim and spout; autoclavable.",
    "hi",
]
MIN_COSINE = {"int8": 0.99, "float32": 0.99999}  # mean over TEXTS; float32: every text


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict]]:
    """Both exports of the default, in a registry and cache of this module's own."""
    root = tmp_path_factory.mktemp("export")
    env = {"INHOUSE_REGISTRY": str(root / "models.json"), "INHOUSE_CACHE_DIR": str(root / "c")}
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    try:
        # float32 first: the int8 export then quantises the same graph (exported once)
        entries = {p: export_embedder(DEFAULT_EMBEDDER, p) for p in ("float32", "int8")}
    finally:
        mp.undo()
    yield env, entries


@pytest.fixture
def registry_of(exported, monkeypatch: pytest.MonkeyPatch) -> dict[str, RegistryEntry]:
    env, entries = exported
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return entries


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return load_embedder().embed(TEXTS)


def test_export_is_a_variant_with_its_own_sha256_and_its_base(registry_of) -> None:
    base_sha = load_embedder().fingerprint().sha256
    shas = set()
    for precision, entry in registry_of.items():
        assert entry.name == f"{DEFAULT_EMBEDDER}-onnx-{precision}"
        assert (entry.format, entry.task, entry.source) == ("onnx-folder", "embedding", "exported")
        assert (entry.base_model, entry.base_sha256) == (DEFAULT_EMBEDDER, base_sha)
        assert entry.weights_sha256() == sha256_file(entry.path / ONNX_MODEL) != base_sha
        assert (entry.path / ONNX_CONFIG).is_file() and (entry.path / "tokenizer.json").is_file()
        shas.add(entry.weights_sha256())
    assert len(shas) == 2
    registered = read_registry()
    assert registered[f"{DEFAULT_EMBEDDER}-onnx-int8"].base_sha256 == base_sha


@pytest.mark.parametrize("precision", ["int8", "float32"])
def test_loaded_by_name_it_embeds_like_torch(registry_of, torch_vectors, precision) -> None:
    entry = registry_of[precision]
    emb = load_embedder_by_name(entry.name)
    assert isinstance(emb, OnnxEmbedder) and isinstance(emb, Embedder)
    assert (emb.name, emb.dim, emb.precision) == (entry.name, 384, precision)
    assert fingerprint(emb).sha256 == entry.weights_sha256()
    got = emb.embed(TEXTS)
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosine = (got * torch_vectors).sum(1)
    assert cosine.mean() >= MIN_COSINE[precision], cosine
    if precision == "float32":
        assert cosine.min() >= MIN_COSINE[precision], cosine
        # length-sorted batches of any size give the same vectors
        np.testing.assert_allclose(emb.embed(TEXTS, batch_size=2), got, atol=1e-5)
    assert emb.embed([]).shape == (0, 384)


def test_a_bad_name_is_a_clear_error(registry_of) -> None:
    with pytest.raises(ModelError, match="'no-such-model' is not registered"):
        export_embedder("no-such-model", "int8")
    with pytest.raises(ModelError, match="already registered"):
        export_embedder(DEFAULT_EMBEDDER, "int8")
    with pytest.raises(ModelError, match="precision 'int4'"):
        export_embedder(DEFAULT_EMBEDDER, "int4")
    with pytest.raises(ModelError, match="invalid model name"):
        export_embedder(DEFAULT_EMBEDDER, "int8", out_name="bad name")


def test_the_entry_survives_verify_and_a_changed_file_is_caught(registry_of, tmp_path) -> None:
    entry = registry_of["int8"]
    (checked,) = verify_model(entry.name)
    assert checked.verified_at and checked.weights_sha256() == entry.weights_sha256()
    onnx = Path(entry.path) / ONNX_MODEL
    original = onnx.read_bytes()
    try:
        onnx.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        with pytest.raises(ModelError, match="sha256 mismatch"):
            verify_model(entry.name)
    finally:
        onnx.write_bytes(original)
    verify_model(entry.name)


def test_cli_export_of_an_unknown_model_says_how_to_fix_it() -> None:
    done = run_cli("export", "no-such-model", "--precision", "int8")
    assert done.returncode == 2, done.stderr
    assert "'no-such-model' is not registered" in done.stderr + done.stdout
    assert "inhouse models add" in done.stderr + done.stdout
