"""Recommenders behind one `Recommender` protocol: baselines, off-the-shelf text, in-house models.

>>> from inhouse.recommend import make, load_recommender
>>> model = make("cooc"); model.fit(events, catalog); model.save("models/rec")
>>> load_recommender("models/rec").recommend([["item-1", "item-7"]], k=10)
"""

from inhouse.recommend.base import BaseRecommender, ItemIndex, Recommendation, Recommender
from inhouse.recommend.registry import SYSTEMS, load_recommender, make

__all__ = [
    "SYSTEMS",
    "BaseRecommender",
    "ItemIndex",
    "Recommendation",
    "Recommender",
    "load_recommender",
    "make",
]
