"""Text-aware SASRec: the shared suite on the checkerboard, plus sequence-specific behaviour."""

import numpy as np
import torch

from inhouse.recommend.base import BaseRecommender
from inhouse.recommend.registry import make
from inhouse.recommend.sasrec import SASRecNet, SASRecWeights, pad_left

from . import checkerboard as cb
from .mixin import RecommenderTests

TINY = {
    "dim": 32,
    "layers": 1,
    "heads": 1,
    "dropout": 0.3,
    "temperature": 0.2,
    "epochs": 30,
    "batch_size": 2,
    "lr": 0.01,
    "threads": 1,
}


class TestSASRec(RecommenderTests):
    system = "sasrec"
    params = TINY

    # A next-item model ranks what comes *next* first, not the whole group: on the checkerboard
    # (users walk a cycle a0 -> a1 -> ...) the next two steps of the cycle must lead.
    def test_group_a_history_gets_group_a_items(self, model: BaseRecommender) -> None:
        ids, _ = model.recommend([["a0", "a1"]], k=2)
        assert ids[0] == ["a2", "a3"]

    def test_group_b_history_gets_group_b_items(self, model: BaseRecommender) -> None:
        ids, _ = model.recommend([["b0", "b1"]], k=2)
        assert ids[0] == ["b2", "b3"]


def test_pad_left_keeps_the_newest_items_right_aligned() -> None:
    out = pad_left([np.array([1, 2, 3]), np.array([7])], 2, pad=9)
    assert out.tolist() == [[2, 3], [9, 7]]


def test_causal_mask_hides_the_future() -> None:
    torch.manual_seed(0)
    net = SASRecNet(torch.randn(5, 8), dim=8, layers=1, heads=1, dropout=0.0, max_len=4).eval()
    a, b = torch.tensor([[0, 1, 2, 3]]), torch.tensor([[0, 1, 2, 4]])
    with torch.no_grad():
        ha, hb = net(a)[0], net(b)[0]
    assert torch.allclose(ha[:, :3], hb[:, :3], atol=1e-6)  # earlier positions unchanged
    assert not torch.allclose(ha[:, 3], hb[:, 3])


def test_padding_does_not_change_the_answer() -> None:
    torch.manual_seed(0)
    net = SASRecNet(torch.randn(5, 8), dim=8, layers=2, heads=2, dropout=0.0, max_len=6).eval()
    with torch.no_grad():
        short = net(torch.tensor([[1, 2]]))[0][:, -1]
        padded = net(torch.tensor([[5, 5, 5, 1, 2]]))[0][:, -1]  # 5 = padding
    assert torch.isfinite(padded).all() and torch.allclose(short, padded, atol=1e-5)


def test_served_numpy_transformer_matches_torch() -> None:
    torch.manual_seed(0)
    net = SASRecNet(torch.randn(6, 8), dim=8, layers=2, heads=2, dropout=0.3, max_len=5).eval()
    x = torch.tensor([[6, 6, 1, 2, 3], [0, 1, 2, 3, 4], [6, 6, 6, 6, 5]])  # 6 = padding
    with torch.no_grad():
        expected = net(x)[0][:, -1].numpy()
        items = net.item_vectors().numpy()
    served = SASRecWeights(net, items).hidden(x.numpy())
    assert np.allclose(served, expected, atol=1e-5)


def test_order_matters_after_training() -> None:
    """Users walk group A in a fixed cycle a0 -> a1 -> ...; the next item follows the cycle."""
    model = make("sasrec", **TINY)
    model.fit(cb.events(), cb.catalog())
    ids, _ = model.recommend([["a2", "a3"]], k=1)
    assert ids[0] == ["a4"]
    ids, _ = model.recommend([["b0", "b1"]], k=1)
    assert ids[0] == ["b2"]
    assert model.train_log[-1]["loss"] < model.train_log[0]["loss"]  # type: ignore[attr-defined]


def test_a_batch_of_sampled_rows_runs_the_same_network() -> None:
    torch.manual_seed(0)
    net = SASRecNet(torch.randn(6, 8), dim=8, layers=1, heads=2, dropout=0.0, max_len=4).eval()
    x = torch.tensor([[6, 6, 1, 4], [0, 1, 2, 3]])  # 6 = padding
    rows, where = torch.unique(torch.cat([x.flatten(), torch.tensor([6])]), return_inverse=True)
    with torch.no_grad():
        full = net(x)[0]
        part = net(where[: x.numel()].view_as(x), net.item_vectors(rows))[0]
    assert torch.allclose(full, part, atol=1e-5)


def test_sampled_softmax_training_learns_the_order() -> None:
    model = make("sasrec", **(TINY | {"negatives": 4}))  # 4 drawn + the batch's targets
    model.fit(cb.events(), cb.catalog())
    ids, _ = model.recommend([["a2", "a3"]], k=1)
    assert ids[0] == ["a4"]
