"""The encoder graph: Hugging Face's hidden states at fit time, the same from ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inhouse.models import features, onnx
from inhouse.models.encoder import MAX_TOKENS, TorchViews, encoder_graph, shared_blocks
from inhouse.models.features import view_features
from inhouse.models.onnx import MIN_COSINE, ONNX_FILE, OnnxViews, export_onnx, load_views
from inhouse.support.route.registry import load_router, make_router
from tests.support.route.test_router import INTENTS, OOS_VAL, QUERIES, TEXTS, embedder  # noqa: F401

MESSAGES = [q for q, _ in QUERIES] + OOS_VAL + ["card " * 300]  # the last is cut at 128 tokens


def hidden_states(embedder, texts, layers):  # noqa: F811
    """The reference: HF's own forward with `output_hidden_states`, mean-pooled per layer."""
    hf, tokenizer = embedder.model[0].auto_model, embedder.model.tokenizer
    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
    )
    with torch.inference_mode():
        states = hf(**batch, output_hidden_states=True).hidden_states
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = [(states[i] * mask).sum(1) / mask.sum(1) for i in layers]
    return torch.cat([torch.nn.functional.normalize(p, dim=-1) for p in pooled], -1).numpy()


@pytest.fixture(scope="module")
def finetuned(embedder):  # noqa: F811
    config = {"max_steps": 2, "batch_size": 4, "c": 10.0, "progress": False}
    return make_router("finetuned", embedder, **config).fit(TEXTS, INTENTS)


def test_tuned_view_shares_only_its_frozen_blocks(finetuned, embedder):  # noqa: F811
    base = embedder.model[0].auto_model
    tuned = finetuned.embedder.model[0].auto_model
    assert shared_blocks(base, tuned) == 3  # frozen_layers=3: embeddings and blocks 0-2
    assert shared_blocks(base, base) == 6
    built = encoder_graph(finetuned.views())
    assert built is not None and built[0].starts == [-1, 3]


def test_torch_graph_equals_hf_hidden_states(finetuned, embedder):  # noqa: F811
    views = [(embedder, (2, -1)), (finetuned.embedder, (-1,))]
    built = encoder_graph(views)
    assert built is not None
    got = TorchViews(*built)(MESSAGES)
    np.testing.assert_allclose(got[0], hidden_states(embedder, MESSAGES, (2, -1)), atol=1e-6)
    np.testing.assert_allclose(
        got[1], hidden_states(finetuned.embedder, MESSAGES, (-1,)), atol=1e-6
    )
    assert got[0].shape == (len(MESSAGES), 2 * embedder.dim)
    assert np.abs(got[1] - got[0][:, embedder.dim :]).max() > 1e-3  # the tuned view differs


def test_fit_time_features_are_hf_hidden_states_memoised(embedder, monkeypatch):  # noqa: F811
    want = hidden_states(embedder, MESSAGES, range(7))
    np.testing.assert_allclose(view_features(embedder, MESSAGES), want, atol=1e-6)
    monkeypatch.setattr(features, "CACHE_MIN", 1)
    monkeypatch.setattr(features, "_cache", type(features._cache)())
    last = view_features(embedder, MESSAGES, (-1,))  # every layer computed and kept
    np.testing.assert_allclose(last, want[:, -embedder.dim :], atol=1e-6)
    assert len(features._cache) == 1
    two = view_features(embedder, MESSAGES, (0, 2))
    np.testing.assert_allclose(two, np.hstack([want[:, :384], want[:, 768:1152]]), atol=1e-6)
    assert len(features._cache) == 1  # the other layers came from the same pass
    assert view_features(embedder, [], (2, -1)).shape == (0, 768)


def _cosines(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize(
    "precision",
    # int8 quantisation takes about 5 s; the router test below runs it in the default tier
    ["float32", pytest.param("int8", marks=pytest.mark.slow)],
)
def test_onnx_export_of_an_embedder_matches_torch(
    embedder,  # noqa: F811
    tmp_path,
    monkeypatch,
    precision,
    caplog,
):
    """Any embedder's graph exports: here the sentence embedding, served one text per run;
    the int8 quantiser's "consider pre-processing" advice stays out of the output."""
    monkeypatch.setattr(onnx, "_exports", type(onnx._exports)())
    path = tmp_path / "sentence.onnx"
    views = [(embedder, (-1,))]
    with caplog.at_level("INFO"):
        assert export_onnx(path, views, precision)
    assert not [r for r in caplog.records if "pre-processing" in r.getMessage()]
    served = load_views(path, views, max_length=256)
    assert isinstance(served, OnnxViews)
    texts = MESSAGES + ["card " * 400]  # cut at 256 tokens by both
    got = served(texts)[0]
    want = embedder.embed(texts)
    assert _cosines(got, want).min() >= MIN_COSINE[precision]
    if precision == "int8":
        assert np.abs(got - want).max() > 1e-4  # it really is another graph


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_loaded_router_serves_with_onnxruntime(finetuned, tmp_path, monkeypatch, precision, caplog):
    """...and the int8 quantiser's "consider pre-processing" advice stays out of the output."""
    monkeypatch.setitem(finetuned.config, "serve_precision", precision)
    if precision == "int8":  # really quantise (a float32 export may come from this process's)
        monkeypatch.setattr(onnx, "_exports", type(onnx._exports)())
    with caplog.at_level("INFO"):
        folder = finetuned.save(tmp_path / "r")
    assert not [r for r in caplog.records if "pre-processing" in r.getMessage()]
    assert (folder / ONNX_FILE).stat().st_size > 1_000_000
    loaded = load_router(tmp_path / "r")
    assert isinstance(loaded.serving, OnnxViews)
    frozen, tuned = loaded.serving(MESSAGES)
    want_frozen, want_tuned = finetuned.frozen_features(MESSAGES), finetuned.features(MESSAGES)
    if precision == "float32":
        np.testing.assert_allclose(frozen, want_frozen, atol=1e-5)
        np.testing.assert_allclose(tuned, want_tuned, atol=1e-5)
    else:  # int8 matrix products: close, not equal
        assert _cosines(frozen, want_frozen).min() > 0.98
        assert _cosines(tuned, want_tuned).min() > 0.98
        assert np.abs(tuned - want_tuned).max() > 1e-5  # it really is another graph
    # one message at a time gives what a batch gives (padding is masked out)
    one = np.concatenate([loaded.serving([m])[1] for m in MESSAGES])
    np.testing.assert_allclose(one, tuned, atol=1e-5)
    queries = [q for q, _ in QUERIES]
    assert loaded.predict(queries)[0] == finetuned.predict(queries)[0]


def test_without_the_export_torch_serves_the_same(embedder, tmp_path: Path):  # noqa: F811
    """Torch serves the router in float32: exactly the router as fitted."""
    router = make_router("logistic", embedder, c=10.0).fit(TEXTS, INTENTS)
    router.save(tmp_path / "r").joinpath(ONNX_FILE).unlink()
    loaded = load_router(tmp_path / "r", embedder)
    assert isinstance(loaded.serving, TorchViews)
    a, ca = router.predict(MESSAGES)
    b, cb = loaded.predict(MESSAGES)
    assert a == b
    np.testing.assert_allclose(ca, cb, atol=1e-5)


def test_an_export_that_disagrees_with_torch_is_dropped(embedder, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(onnx, "MIN_COSINE", {"float32": 1.1, "int8": 1.1})
    monkeypatch.setattr(onnx, "_exports", type(onnx._exports)())
    assert export_onnx(tmp_path / ONNX_FILE, [(embedder, (-1,))]) is False
    assert not (tmp_path / ONNX_FILE).exists()


class _SentenceModel(list):
    """What the graph reads off a sentence-transformers model: `[0].auto_model`, `tokenizer`."""

    def __init__(self, hf, tokenizer) -> None:
        super().__init__([type("Transformer", (), {"auto_model": hf})()])
        self.tokenizer = tokenizer


def test_mpnet_graph_adds_the_relative_position_bias(embedder, tmp_path, monkeypatch):  # noqa: F811
    """MPNet's blocks need the encoder's relative position bias: without it the graph's vectors
    were another model's (cosine about 0.5-0.8 to sentence-transformers' on all-mpnet-base-v2).
    A tiny random MPNet, through torch and through its ONNX export, equals HF's own forward."""
    from transformers import MPNetConfig, MPNetModel

    torch.manual_seed(0)
    config = MPNetConfig(
        vocab_size=embedder.model.tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=MAX_TOKENS + 8,
    )
    hf = MPNetModel(config).eval()
    fake = type("Fake", (), {"name": "tiny-mpnet", "dim": 32})()
    fake.model = _SentenceModel(hf, embedder.model.tokenizer)
    texts = [q for q, _ in QUERIES][:6] + ["card " * 300]
    built = encoder_graph([(fake, (-1,))])
    assert built is not None
    got = TorchViews(*built)(texts)[0]
    want = hidden_states(fake, texts, (-1,))
    np.testing.assert_allclose(got, want, atol=1e-5)
    monkeypatch.setattr(onnx, "_exports", type(onnx._exports)())
    assert export_onnx(tmp_path / "mpnet.onnx", [(fake, (-1,))], "float32")
    served = OnnxViews(tmp_path / "mpnet.onnx", embedder.model.tokenizer)(texts)[0]
    np.testing.assert_allclose(served, want, atol=1e-4)
    # the int8 fallback keeps each block's feed-forward down-projection float32, and only that
    down = onnx._ffn_down(tmp_path / "mpnet.onnx")
    assert down == [f"/blocks.0.{i}/output/dense/MatMul" for i in range(2)]
