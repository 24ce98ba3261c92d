"""iALS through the shared recommender test suite."""

from .mixin import RecommenderTests


class TestALS(RecommenderTests):
    system = "als"
    params = {"factors": 2, "regularization": 0.01, "iterations": 30}  # the data is rank 2
