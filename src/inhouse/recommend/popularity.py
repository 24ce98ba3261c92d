"""Popularity baselines: most-interacted items overall, or in the most recent window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from inhouse.recommend.base import BaseRecommender, Interactions


class Popularity(BaseRecommender):
    """Every user gets the items with the most interactions."""

    name = "popularity"
    kind = "baseline"

    def _fit(self, data: Interactions) -> None:
        pass

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        return np.tile(self.popularity_scores(), (len(histories), 1))

    def explain(self, history: list[str], item_id: str) -> list[tuple[str, float]]:
        """Popularity does not use the history: nothing contributed."""
        return []


class RecentPopularity(BaseRecommender):
    """Popularity with exponential time decay: an interaction `half_life_days` old counts half.

    Parameters: `half_life_days` (float). Ties with overall popularity broken by a tiny weight.
    """

    name = "recent-popularity"
    kind = "baseline"
    param_grid = [{"half_life_days": d} for d in (1.0, 7.0, 30.0, 90.0)]

    def __init__(self, half_life_days: float = 30.0) -> None:
        super().__init__(half_life_days=half_life_days)
        self.recent = np.zeros(0, np.float32)

    def _fit(self, data: Interactions) -> None:
        ts = data.events["timestamp"]
        if ts.dtype.is_temporal():
            seconds = ts.dt.epoch("ms").cast(pl.Float64).to_numpy() / 1000.0
        else:
            seconds = ts.cast(pl.Float64).to_numpy()
        age_days = (seconds.max() - seconds) / 86400.0 if len(seconds) else seconds
        weight = np.exp2(-age_days / float(self.params["half_life_days"]))
        recent = np.bincount(
            data.events["item_idx"].to_numpy(), weights=weight, minlength=len(data.items)
        )
        pop = self.popularity / max(float(self.popularity.max(initial=0.0)), 1.0)
        self.recent = (recent + 1e-6 * pop).astype(np.float32)

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        scores = np.zeros(len(self.items), np.float32)
        scores[: len(self.recent)] = self.recent
        return np.tile(scores, (len(histories), 1))

    def explain(self, history: list[str], item_id: str) -> list[tuple[str, float]]:
        """Recent popularity does not use the history: nothing contributed."""
        return []

    def _state(self) -> dict[str, np.ndarray]:
        return {"recent": self.recent}

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        self.recent = arrays["recent"]
