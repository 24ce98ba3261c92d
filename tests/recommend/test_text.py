"""The off-the-shelf text recommender: shared suite (both modes) and cold start."""

from .mixin import ColdStartTests, RecommenderTests


class TestTextLast(RecommenderTests, ColdStartTests):
    system = "offshelf-text"
    params = {"mode": "last"}


class TestTextHistory(RecommenderTests, ColdStartTests):
    system = "offshelf-text"
    params = {"mode": "history", "history_decay": 0.5}
