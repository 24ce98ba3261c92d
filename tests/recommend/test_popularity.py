"""Popularity baselines through the shared recommender test suite."""

from .mixin import RecommenderTests


class TestPopularity(RecommenderTests):
    system = "popularity"
    personalised = False
    explains = False


class TestRecentPopularity(RecommenderTests):
    system = "recent-popularity"
    personalised = False
    explains = False
