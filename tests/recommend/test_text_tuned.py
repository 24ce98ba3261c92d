"""The contrastively tuned text encoder: shared suite, cold start, and what tuning changes."""

import numpy as np
import pytest

from inhouse.recommend.registry import make
from inhouse.recommend.text_tuned import training_pairs

from . import checkerboard as cb
from .mixin import ColdStartTests, RecommenderTests

TINY = {"n_pairs": 48, "batch_size": 16, "lr": 5e-5, "max_seq_length": 16}


@pytest.mark.slow  # about 20 fine-tuning runs of MiniLM: minutes on 2 shared cores
class TestTextTuned(RecommenderTests, ColdStartTests):
    system = "text-tuned"
    params = TINY


def test_training_pairs_are_recent_items_then_next() -> None:
    seqs = [np.array([1, 2, 2, 3]), np.array([5, 6])]
    pairs = training_pairs(seqs, query_items=2, n_pairs=10, seed=0)
    assert sorted(pairs) == sorted([((1,), 2), ((2, 2), 3), ((5,), 6)])  # 2 -> 2 repeat skipped
    assert len(training_pairs(seqs, query_items=1, n_pairs=2, seed=0)) == 2


def test_tuning_lowers_the_loss_and_keeps_the_groups_apart() -> None:
    tuned = make("text-tuned", **{**TINY, "n_pairs": 32, "epochs": 2})
    tuned.fit(cb.events(), cb.catalog())
    log = tuned.train_log  # type: ignore[attr-defined]
    assert log[1]["loss"] < log[0]["loss"]
    scores = tuned.score([["a0"]])[0]
    assert scores[1:6].min() > scores[6:].max()  # every group-A item above every group-B item


def test_multi_item_query_is_encoded_and_cached() -> None:
    model = make("text-tuned", **{**TINY, "query_items": 2})
    model.fit(cb.events(), cb.catalog())
    scores = model.score([["a0", "a1"], ["a0", "a1"], ["b0"]])
    assert np.allclose(scores[0], scores[1]) and scores[0][:6].mean() > scores[0][6:].mean()
    assert len(model._queries) == 2  # type: ignore[attr-defined]
