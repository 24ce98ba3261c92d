"""What the torch-trained systems share: softmax classes (every item, or a sample for large
catalogs) and optimisers (sparse updates of the ID tables when sampling)."""

import pytest
import torch

from inhouse.errors import ConfigError
from inhouse.recommend.neural import (
    FULL_SOFTMAX_MAX,
    SAMPLED_NEGATIVES,
    adam,
    negatives_for,
    sampled_classes,
)


def test_large_catalogs_sample_negatives_by_default() -> None:
    assert negatives_for(FULL_SOFTMAX_MAX, None) == 0
    assert negatives_for(FULL_SOFTMAX_MAX + 1, None) == SAMPLED_NEGATIVES
    assert negatives_for(10, 0) == 0 and negatives_for(10**7, 0) == 0  # asked for: every item
    assert negatives_for(10, 3) == 3
    with pytest.raises(ConfigError, match="negatives=-1"):
        negatives_for(10, -1)


def test_sampled_classes_hold_every_target_once() -> None:
    targets = torch.tensor([7, 3, 7, 9_999])
    classes, labels = sampled_classes(targets, 10_000, 50, torch.Generator().manual_seed(0))
    assert torch.equal(classes[labels], targets)
    assert torch.equal(classes, torch.unique(classes))  # sorted, no repeats
    assert 4 <= len(classes) <= 53 and int(classes.max()) < 10_000


def test_sampled_training_updates_id_tables_sparsely() -> None:
    from inhouse.recommend.two_tower import TwoTowerNet

    net = TwoTowerNet(torch.randn(6, 8), dim=8, max_len=3, dropout=0.0)
    dense, sparse = adam(net, 0.01, sparse_ids=True)
    assert isinstance(sparse, torch.optim.SparseAdam)
    assert [p for g in sparse.param_groups for p in g["params"]] == [net.ids.weight]
    assert len(adam(net, 0.01, sparse_ids=False)) == 1
    vectors = net.item_vectors(torch.tensor([1, 4]))
    vectors.sum().backward()
    grad = net.ids.weight.grad
    assert grad is not None and grad.is_sparse
    assert sorted(grad.coalesce().indices()[0].tolist()) == [1, 4]  # only the rows used
    dense.step()
    sparse.step()
