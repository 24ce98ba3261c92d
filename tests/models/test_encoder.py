"""Serving graphs: ONNX Runtime and torch give the features the routers were fitted on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inhouse.models import encoder as router_serve
from inhouse.models.encoder import (
    SERVE_FILE,
    OnnxViews,
    TorchViews,
    export_views,
    shared_blocks,
    view_stack,
)
from inhouse.models.layers import layer_features
from inhouse.support.route.registry import load_router, make_router
from tests.support.route.test_router import INTENTS, OOS_VAL, QUERIES, TEXTS, embedder  # noqa: F401

MESSAGES = [q for q, _ in QUERIES] + OOS_VAL + ["card " * 300]  # the last is cut at 128 tokens


@pytest.fixture(scope="module")
def finetuned(embedder):  # noqa: F811
    config = {"max_steps": 2, "batch_size": 4, "c": 10.0, "progress": False}
    return make_router("finetuned", embedder, **config).fit(TEXTS, INTENTS)


def test_tuned_view_shares_only_its_frozen_blocks(finetuned, embedder):  # noqa: F811
    base = embedder.model[0].auto_model
    tuned = finetuned.embedder.model[0].auto_model
    assert shared_blocks(base, tuned) == 3  # frozen_layers=3: embeddings and blocks 0-2
    assert shared_blocks(base, base) == 6
    built = view_stack(finetuned.views())
    assert built is not None and built[0].starts == [-1, 3]


def test_torch_graph_equals_layer_features(finetuned, embedder):  # noqa: F811
    views = [(embedder, (2, -1)), (finetuned.embedder, (-1,))]
    built = view_stack(views)
    assert built is not None
    got = TorchViews(*built)(MESSAGES)
    np.testing.assert_allclose(
        got[0], layer_features(embedder, MESSAGES, layers=(2, -1)), atol=1e-5
    )
    np.testing.assert_allclose(
        got[1], layer_features(finetuned.embedder, MESSAGES, layers=(-1,)), atol=1e-5
    )
    assert got[0].shape == (len(MESSAGES), 2 * embedder.dim)


def _cosines(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_loaded_router_serves_with_onnxruntime(finetuned, tmp_path, monkeypatch, precision):
    monkeypatch.setitem(finetuned.config, "serve_precision", precision)
    finetuned.save(tmp_path / "r")
    assert (tmp_path / "r" / SERVE_FILE).stat().st_size > 1_000_000
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
    router.save(tmp_path / "r")
    (tmp_path / "r" / SERVE_FILE).unlink()
    loaded = load_router(tmp_path / "r", embedder)
    assert isinstance(loaded.serving, TorchViews)
    a, ca = router.predict(MESSAGES)
    b, cb = loaded.predict(MESSAGES)
    assert a == b
    np.testing.assert_allclose(ca, cb, atol=1e-5)


def test_an_export_that_disagrees_with_torch_is_dropped(embedder, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(router_serve, "MIN_COSINE", {"float32": 1.1, "int8": 1.1})
    monkeypatch.setattr(router_serve, "_exports", type(router_serve._exports)())
    assert export_views(tmp_path, [(embedder, (-1,))]) is False
    assert not (tmp_path / SERVE_FILE).exists()
