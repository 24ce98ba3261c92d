"""iALS through the shared recommender test suite."""

import numpy as np

from inhouse.recommend.registry import make

from . import checkerboard as cb
from .mixin import RecommenderTests


class TestALS(RecommenderTests):
    system = "als"
    params = {"factors": 2, "regularization": 0.01, "iterations": 30}  # the data is rank 2


def test_explanations_are_exact_shares_of_the_score() -> None:
    model = make("als", factors=4, iterations=5, alpha=3.0)
    model.fit(cb.events(), cb.catalog())
    history = ["a0", "a1", "a0", "zz-unknown"]
    ids, scores = model.recommend([history], k=3)
    explained = model.explain_many(history, ids[0])
    for shares, score in zip(explained, scores[0], strict=True):
        assert {h for h, _ in shares} == {"a0", "a1"}  # distinct known history items
        assert np.isclose(sum(v for _, v in shares), score, rtol=1e-4, atol=1e-5)
    assert model.explain_many(["zz-unknown"], ids[0]) == [[], [], []]
