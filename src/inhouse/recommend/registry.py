"""The recommender systems by name, as data records. Adding a system is adding one record.

Each record's class is built as `cls(**params)`; its optional `param_grid` (a list of parameter
dicts) is what the bench searches on validation rows. Classes are imported when first used, so
the torch-heavy systems cost nothing until asked for.

>>> SYSTEMS["cooc"].kind, make("cooc", decay=0.8).name
('baseline', 'cooc')
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from inhouse import artifacts
from inhouse.artifacts import System, by_name, record_for
from inhouse.errors import ConfigError
from inhouse.recommend.base import WORKLOAD, BaseRecommender


def _class(where: str) -> type[BaseRecommender]:
    module, name = where.split(":")
    found: type[BaseRecommender] = getattr(
        importlib.import_module(f"inhouse.recommend.{module}"), name
    )
    return found


_WHERE: dict[str, str] = {}  # name -> "module:Class" under inhouse.recommend, filled by _record


def _record(name: str, where: str, kind: str, description: str) -> System[BaseRecommender]:
    _WHERE[name] = where

    def build(**params: Any) -> BaseRecommender:
        return _class(where)(**params)

    def load(folder: Path, manifest: artifacts.Manifest) -> BaseRecommender:
        return _class(where).read(folder, manifest)

    return System(name, kind, description, build, load)


SYSTEMS: dict[str, System[BaseRecommender]] = by_name(
    _record("popularity", "popularity:Popularity", "baseline", "the most-interacted items"),
    _record(
        "recent-popularity",
        "popularity:RecentPopularity",
        "baseline",
        "popularity with exponential time decay",
    ),
    _record("cooc", "cooc:Cooc", "baseline", "sequential item co-occurrence, recency-decayed"),
    _record(
        "offshelf-text",
        "text:TextRecommender",
        "off-the-shelf",
        "items as off-the-shelf text embeddings; a history as its recent items' mean",
    ),
    _record("tfidf", "tfidf:Tfidf", "baseline", "TF-IDF cosine between catalog texts"),
    _record("als", "als:ALS", "in-house", "implicit ALS matrix factorisation"),
    _record("ease", "ease:Ease", "in-house", "EASE closed-form linear autoencoder"),
    _record("sasrec", "sasrec:SASRec", "in-house", "text-aware SASRec next-item transformer"),
    _record(
        "text-tuned",
        "text_tuned:TextTuned",
        "in-house",
        "a text encoder tuned on recent items -> next item",
    ),
    _record(
        "two-tower",
        "two_tower:TwoTower",
        "in-house",
        "text-aware two-tower model trained on next-item prediction",
    ),
    _record(
        "blend",
        "blend:Blend",
        "in-house",
        "weighted sum of standardised component scores, weights from held-out items",
    ),
)


def system_class(name: str) -> type[BaseRecommender]:
    """The class registered under `name`."""
    if name not in SYSTEMS:
        raise ConfigError(f"unknown recommender {name!r}; choose one of: {', '.join(SYSTEMS)}")
    return _class(_WHERE[name])


def make(name: str, **params: Any) -> BaseRecommender:
    """A fresh, unfitted system: `make("cooc", decay=0.8)`."""
    system_class(name)  # an unknown name is a ConfigError listing the known ones
    return SYSTEMS[name].make(**params)


def param_grid(name: str) -> list[dict[str, Any]]:
    """The hyper-parameter settings tried on validation for `name` ([{}] when none)."""
    grid: list[dict[str, Any]] = getattr(system_class(name), "param_grid", None) or [{}]
    return grid


def load_recommender(path: Path) -> BaseRecommender:
    """Load whatever system is saved under `path`: its manifest's `system` picks the record."""
    folder, manifest = artifacts.read(Path(path), WORKLOAD)
    return record_for(SYSTEMS, folder, manifest).load(folder, manifest)


# the default blend: the systems of the best validated blend on amazon-scientific
# (benchmarks/recommend_models.py) that fit in minutes, sasrec and text-tuned left out; each with
# its parameters chosen on validation. Weights are re-tuned on a held-out last item at fit.
DEFAULT_BLEND: list[dict[str, Any]] = [
    {
        "name": "cooc",
        "params": {"window": 5, "decay": 0.8, "backward": 1.0, "history_decay": 0.6, "alpha": 0.0},
    },
    {"name": "offshelf-text", "params": {"mode": "history", "history_decay": 0.5}},
    {"name": "two-tower", "params": {"seeds": 2}},
    {"name": "ease", "params": {"lam": 50.0, "history_decay": 1.0}},
    {"name": "tfidf", "params": {"history_decay": 0.7}},
]
