"""The softmax classes of the torch-trained systems: every item, or a sample for large catalogs."""

import pytest
import torch

from inhouse.errors import ConfigError
from inhouse.recommend.neural import (
    FULL_SOFTMAX_MAX,
    SAMPLED_NEGATIVES,
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
