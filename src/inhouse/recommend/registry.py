"""The recommender registry: system name -> class. Adding a system is adding one line.

Each class is built as `cls(**params)`; its optional `param_grid` (a list of parameter dicts)
is what the bench searches on validation rows.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from inhouse.artifacts import read_version
from inhouse.errors import ConfigError
from inhouse.recommend.base import BaseRecommender

# name -> "module:Class" under inhouse.recommend (imported lazily: torch-heavy systems stay cheap)
SYSTEMS: dict[str, str] = {
    "popularity": "popularity:Popularity",
    "recent-popularity": "popularity:RecentPopularity",
    "cooc": "cooc:Cooc",
    "offshelf-text": "text:TextRecommender",
    "tfidf": "tfidf:Tfidf",
    "als": "als:ALS",
    "ease": "ease:Ease",
    "sasrec": "sasrec:SASRec",
    "text-tuned": "text_tuned:TextTuned",
    "two-tower": "two_tower:TwoTower",
    "blend": "blend:Blend",
}


def system_class(name: str) -> type[BaseRecommender]:
    """The class registered under `name`."""
    if name not in SYSTEMS:
        raise ConfigError(f"unknown recommender {name!r}; choose one of: {', '.join(SYSTEMS)}")
    module, cls = SYSTEMS[name].split(":")
    found: type[BaseRecommender] = getattr(
        importlib.import_module(f"inhouse.recommend.{module}"), cls
    )
    return found


def make(name: str, **params: Any) -> BaseRecommender:
    """A fresh, unfitted system: `make("cooc", decay=0.8)`."""
    return system_class(name)(**params)


def param_grid(name: str) -> list[dict[str, Any]]:
    """The hyper-parameter settings tried on validation for `name` ([{}] when none)."""
    grid: list[dict[str, Any]] = getattr(system_class(name), "param_grid", None) or [{}]
    return grid


def load_recommender(path: Path) -> BaseRecommender:
    """Load whatever system is saved under `path` (its manifest names it)."""
    _, manifest = read_version(Path(path))
    return system_class(str(manifest.get("system"))).load(Path(path))
