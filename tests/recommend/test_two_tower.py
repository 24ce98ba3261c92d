"""Two-tower text adapter: the shared suite on the checkerboard, plus its training pairs."""

import numpy as np
import pytest
import torch

from inhouse.errors import ConfigError
from inhouse.recommend.base import BaseRecommender
from inhouse.recommend.registry import make
from inhouse.recommend.two_tower import TowerWeights, TwoTowerNet, prefixes

from . import checkerboard as cb
from .mixin import RecommenderTests

TINY = {
    "dim": 32,
    "max_len": 4,
    "epochs": 40,
    "dropout": 0.0,
    "batch_size": 8,
    "lr": 0.01,
    "threads": 1,
}


class TestTwoTower(RecommenderTests):
    system = "two-tower"
    params = TINY

    # A next-item model ranks what comes *next* first (users walk a cycle a0 -> a1 -> ...).
    def test_group_a_history_gets_group_a_items(self, model: BaseRecommender) -> None:
        ids, _ = model.recommend([["a0", "a1"]], k=2)
        assert ids[0] == ["a2", "a3"]

    def test_group_b_history_gets_group_b_items(self, model: BaseRecommender) -> None:
        ids, _ = model.recommend([["b0", "b1"]], k=2)
        assert ids[0] == ["b2", "b3"]

    # similar_items = likely next items after the item: after a0 only a1, a2, a3 ever follow.
    def test_similar_items(self, model: BaseRecommender) -> None:
        ids, scores = model.similar_items("a0", k=2)
        assert ids == ["a1", "a2"] and len(scores) == 2


def test_prefixes_are_every_history_next_item_pair() -> None:
    xs, ys = prefixes([np.array([1, 2, 3]), np.array([7])], max_len=2, pad=9)
    assert xs.tolist() == [[9, 1], [1, 2]]
    assert ys.tolist() == [2, 3]


def test_padding_does_not_change_the_query() -> None:
    torch.manual_seed(0)
    net = TwoTowerNet(torch.randn(5, 8), dim=8, max_len=4, dropout=0.0).eval()
    with torch.no_grad():
        items = net.item_vectors()
        short = net.query(torch.tensor([[1, 2]]), items)
        padded = net.query(torch.tensor([[5, 5, 1, 2]]), items)  # 5 = padding
        other = net.query(torch.tensor([[3, 3, 1, 2]]), items)
    assert torch.allclose(short, padded, atol=1e-5) and not torch.allclose(short, other)


def test_served_numpy_tower_matches_torch() -> None:
    torch.manual_seed(0)
    net = TwoTowerNet(torch.randn(6, 8), dim=8, max_len=4, dropout=0.3).eval()
    with torch.no_grad():
        vectors = net.item_vectors()
        x = torch.tensor([[6, 6, 1, 2], [0, 3, 4, 5], [6, 6, 6, 2]])  # 6 = padding
        expected = net.query(x, vectors).numpy()
    served = TowerWeights.of(net).query(x.numpy(), vectors.numpy(), n_items=6)
    assert np.allclose(served, expected, atol=1e-5)


def test_training_lowers_the_loss() -> None:
    model = make("two-tower", **TINY)
    model.fit(cb.events(), cb.catalog())
    log = model.train_log  # type: ignore[attr-defined]
    assert len(log) == TINY["epochs"] and log[-1]["loss"] < log[0]["loss"]


def test_seed_ensemble_sums_the_towers_scores() -> None:
    model = make("two-tower", **(TINY | {"seeds": 2, "epochs": 5}))
    model.fit(cb.events(), cb.catalog())
    ens = model.net  # type: ignore[attr-defined]
    dim = TINY["dim"]
    assert model.item_vectors.shape[1] == 2 * dim  # type: ignore[attr-defined]
    history = [["a0", "a1"]]
    encoded = [model.items.encode(history[0])[0]]
    x = torch.tensor([[ens.n_items, ens.n_items, *encoded[0]]])
    with torch.no_grad():
        parts = [n.query(x, n.item_vectors()) @ n.item_vectors().T for n in ens.nets()]
    expected = (parts[0] + parts[1]).numpy()[0]
    assert np.allclose(model.score(history)[0], expected, atol=1e-4)
    assert len(model.train_log) == 10  # type: ignore[attr-defined]  # 5 epochs per tower
    assert not torch.allclose(parts[0], parts[1])  # different seeds, different towers


def test_seeds_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="seeds=0"):
        make("two-tower", seeds=0)


def test_a_batch_of_sampled_rows_gives_the_same_query() -> None:
    torch.manual_seed(0)
    net = TwoTowerNet(torch.randn(6, 8), dim=8, max_len=3, dropout=0.0).eval()
    x = torch.tensor([[6, 1, 4], [0, 2, 3]])  # 6 = padding
    rows, where = torch.unique(x.flatten().clamp(max=5), return_inverse=True)
    with torch.no_grad():
        full = net.query(x, net.item_vectors())
        part = net.query(where.view_as(x), net.item_vectors(rows), pad=x == 6)
    assert torch.allclose(full, part, atol=1e-5)


def test_sampled_softmax_training_lowers_the_loss() -> None:
    model = make("two-tower", **(TINY | {"negatives": 4}))
    model.fit(cb.events(), cb.catalog())
    log = model.train_log  # type: ignore[attr-defined]
    assert log[-1]["loss"] < log[0]["loss"]
    ids, _ = model.recommend([["a0", "a1"]], k=2)
    assert ids[0] == ["a2", "a3"]  # the cycle's next items, as with a softmax over every item
