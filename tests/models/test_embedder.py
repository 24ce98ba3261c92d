"""The default embedder: pinned weights, meaningful and deterministic vectors, fingerprints."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from inhouse.errors import ModelError
from inhouse.models import embedder as emb_mod
from inhouse.models.embedder import (
    DEFAULT_EMBEDDER,
    Embedder,
    Fingerprint,
    MemoEmbedder,
    SentenceTransformerEmbedder,
    check_embedder,
    default_embedder_path,
    encoder_tag,
    fingerprint,
)
from inhouse.models.load import load_embedder, load_embedder_by_name
from inhouse.models.registry import add_model, read_registry

from ._util import write_hf_folder

DESIGN_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEmbedder:
    mp = pytest.MonkeyPatch()
    mp.setenv("INHOUSE_REGISTRY", str(tmp_path_factory.mktemp("reg") / "models.json"))
    try:
        return load_embedder()
    finally:
        mp.undo()


def test_paraphrases_are_closer_than_an_unrelated_sentence(default) -> None:
    v = default.embed(
        [
            "How do I reset my password?",
            "I forgot my password and need to change it.",
            "The orchestra played Beethoven's ninth symphony last night.",
        ]
    )
    assert isinstance(default, Embedder)
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    paraphrase, unrelated = float(v[0] @ v[1]), float(v[0] @ v[2])
    assert paraphrase > unrelated + 0.3, (paraphrase, unrelated)


def test_loaded_weights_are_the_design_sha256(default) -> None:
    weights = Path(default.path) / "model.safetensors"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == DESIGN_SHA256
    assert Path(default.path) == default_embedder_path().resolve()
    fp = default.fingerprint()
    assert fp == Fingerprint(name=DEFAULT_EMBEDDER, sha256=DESIGN_SHA256, dim=384)


def test_embedding_is_deterministic(default) -> None:
    texts = ["card not arrived", "where is my card?", "refund for a cancelled order"] * 3
    a, b = default.embed(texts), default.embed(texts, batch_size=64)
    assert a.tobytes() == b.tobytes()
    assert default.embed([]).shape == (0, 384)


def test_fingerprint_changes_when_weights_change_in_memory() -> None:
    import torch

    fresh = load_embedder(default_embedder_path(), name=DEFAULT_EMBEDDER)  # not via the registry
    before = fresh.fingerprint()
    assert before.sha256 == DESIGN_SHA256  # hashed from the folder's weight file
    with torch.no_grad():
        next(fresh.model.parameters()).add_(1e-3)  # what an optimizer step does
    after = fresh.fingerprint()
    assert after.sha256 != DESIGN_SHA256 and after.dim == 384
    with pytest.raises(ModelError, match="was made with embedder all-MiniLM-L6-v2.*rebuild"):
        before.require_same(after, what="index.faiss")
    before.require_same(Fingerprint(name="renamed", sha256=DESIGN_SHA256, dim=384))


def test_fingerprint_of_any_embedder(default) -> None:
    assert fingerprint(default) == default.fingerprint()
    assert fingerprint(MemoEmbedder(default)) == default.fingerprint()  # a wrapper: its inner

    class Torch:  # a torch model without fingerprint(): the sha256 of its weights in memory
        name, dim, model = "torch-only", 384, default.model

    fp = fingerprint(Torch())
    assert fp.sha256 != DESIGN_SHA256 and fp == fingerprint(Torch())
    check_embedder(fp, Torch(), what="x")
    with pytest.raises(ModelError, match="x was made with embedder all-MiniLM-L6-v2 .*torch-only"):
        check_embedder(default.fingerprint(), Torch(), what="x")


def test_tampered_default_is_refused_before_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "pkg" / "model"
    shutil.copytree(default_embedder_path(), copy, ignore=shutil.ignore_patterns("*.safetensors"))
    (copy / "model.safetensors").write_bytes(b"not the real weights")
    monkeypatch.setattr(emb_mod, "default_embedder_path", lambda: copy)
    assert read_registry()[DEFAULT_EMBEDDER].status() == "unverified"  # listed, not trusted
    got = hashlib.sha256(b"not the real weights").hexdigest()
    with pytest.raises(ModelError) as err:
        load_embedder()
    assert str(copy / "model.safetensors") in str(err.value)
    assert DESIGN_SHA256 in str(err.value) and got in str(err.value)


def test_load_embedder_by_name(tmp_path: Path) -> None:
    with pytest.raises(
        ModelError, match=r"'nope' is not registered\. Registered embedders: all-MiniLM-L6-v2"
    ):
        load_embedder_by_name("nope")
    add_model(write_hf_folder(tmp_path / "chatty"), name="chatty")
    with pytest.raises(ModelError, match="'chatty' is not a sentence-transformers embedder"):
        load_embedder_by_name("chatty")
    copy = tmp_path / "my-minilm"
    shutil.copytree(default_embedder_path(), copy)
    add_model(copy)
    e = load_embedder_by_name("my-minilm")
    assert (e.name, e.dim) == ("my-minilm", 384)
    assert e.fingerprint().sha256 == DESIGN_SHA256
    assert read_registry()["my-minilm"].catalogue_id == "all-MiniLM-L6-v2"  # matched by hash


def test_embedding_runs_the_encoder_graph_equal_to_encode(default, monkeypatch) -> None:
    """A mean-pooling BERT-like model is embedded by `models.encoder`, as encode() would."""
    from inhouse.models.encoder import sentence_graph

    words = ["card", "refund", "top-up", "PIN", "exchange rate", "Überweisung", "東京"]
    texts = [" ".join(words[: 1 + i % 7]) * (1 + i % 5) for i in range(35)]  # all 35 mixes
    texts += ["card " * 200 + "refund " * 100, "", "  where is my card?  "]  # cut at 256 tokens
    # batches of 8 of like lengths (both paths sort by length): only the longest text is padded
    # to 256 tokens, and several batches are compared
    want = default.model.encode(texts, batch_size=8, normalize_embeddings=True)
    assert sentence_graph(default) is not None
    monkeypatch.setattr(default.model, "encode", None)  # the graph path never calls it
    got = default.embed(texts, batch_size=8)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert got.dtype == np.float32 and got.flags["C_CONTIGUOUS"]
    assert float(got[-3] @ default.embed(["card " * 200])[0]) < 0.999  # read past 128 tokens


def test_other_pooling_is_embedded_by_encode(tmp_path: Path, default) -> None:
    import json

    from inhouse.models.encoder import sentence_graph

    copy = tmp_path / "cls-pooled"
    shutil.copytree(default_embedder_path(), copy)
    config = copy / "1_Pooling" / "config.json"
    pooling = json.loads(config.read_text())
    pooling |= {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}
    config.write_text(json.dumps(pooling))
    cls = SentenceTransformerEmbedder(copy)
    assert sentence_graph(cls) is None
    texts = ["card not arrived", "where is my card?", "I was charged twice"]
    want = cls.model.encode(texts, normalize_embeddings=True)
    assert cls.embed(texts).tobytes() == np.ascontiguousarray(want, dtype=np.float32).tobytes()
    assert np.abs(cls.embed(texts) - default.embed(texts)).max() > 0.05


def test_memo_embedder_embeds_each_text_once_and_forgets_the_oldest() -> None:
    class Counting:
        name, dim = "counting", 2
        calls: list[list[str]] = []

        def embed(self, texts, batch_size=64):
            self.calls.append(list(texts))
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    inner = Counting()
    memo = MemoEmbedder(inner, max_texts=2)
    assert memo.embed(["a", "bb", "a"]).tolist() == [[1, 1], [2, 1], [1, 1]]
    assert memo.embed(["a"]).tolist() == [[1, 1]] and inner.calls == [["a", "bb"]]
    memo.embed(["ccc"])  # "bb" is the least recently used: forgotten
    assert len(memo) == 2
    memo.embed(["a", "bb"])
    assert inner.calls[-1] == ["bb"]
    assert memo.embed([]).shape == (0, 2)


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        (DEFAULT_EMBEDDER, ""),
        ("all-mpnet-base-v2", "@mpnet"),
        ("all-mpnet-base-v2-onnx-int8", "@mpnet-int8"),
        ("all-MiniLM-L6-v2-onnx-float32", "@minilm-float32"),
        ("bge-small-en-v1.5", "@bge"),
    ],
)
def test_encoder_tag_names_the_encoder_of_a_bench_row(name: str, tag: str) -> None:
    assert encoder_tag(name) == tag
