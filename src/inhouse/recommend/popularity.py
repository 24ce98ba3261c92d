"""Popularity baselines: most-interacted items overall, or in the most recent window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from inhouse.recommend.base import BaseRecommender, Interactions, fill_ranked


class Ranked(BaseRecommender):
    """A system whose scores ignore the history (`_static()`): its top items are read from a
    ranking computed once, so `candidates` over a 1M-item catalog costs what it returns."""

    def _static(self) -> np.ndarray:
        """The scores every history gets, in catalog order."""
        raise NotImplementedError

    def _ranked(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """(the static scores, item indices best first, their mean, their std), cached until
        the catalog or the fitted arrays change."""
        key = (len(self.items), id(self.popularity), id(getattr(self, "recent", None)))
        cached = self._cache.get("ranked")
        if cached is None or cached[0] != key:
            scores = self._static()
            order = np.argsort(-scores, kind="stable")
            s = scores.astype(np.float64)
            cached = (key, (scores, order, float(s.mean()), float(s.std())))
            self._cache["ranked"] = cached
        found: tuple[np.ndarray, np.ndarray, float, float] = cached[1]
        return found

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        return np.tile(self._ranked()[0], (len(histories), 1))

    def _score_items(self, histories: list[np.ndarray], items: np.ndarray) -> np.ndarray:
        return self._ranked()[0][items]

    def _moments(self, histories: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        _, _, mean, std = self._ranked()
        return np.full(len(histories), mean), np.full(len(histories), std)

    def _top(
        self,
        histories: list[np.ndarray],
        k: int,
        exclude_seen: bool,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        scores, order, _, _ = self._ranked()
        out_i = np.zeros((len(histories), k), np.int64)
        out_v = np.full((len(histories), k), -np.inf, np.float32)
        for row, history in enumerate(histories):
            if not len(history):  # as `score` does: an empty history gets popularity
                ids, vals = self._popular_top(k, history, allowed)
            else:
                seen = np.unique(history) if exclude_seen else history[:0]
                ids = fill_ranked(order, seen, allowed, k)
                vals = scores[ids]
            out_i[row, : len(ids)], out_v[row, : len(ids)] = ids, vals
        return out_i, out_v


class Popularity(Ranked):
    """Every user gets the items with the most interactions."""

    name = "popularity"
    kind = "baseline"

    def _fit(self, data: Interactions) -> None:
        pass

    def _static(self) -> np.ndarray:
        return self.popularity_scores()

    def explain(self, history: list[str], item_id: str) -> list[tuple[str, float]]:
        """Popularity does not use the history: nothing contributed."""
        return []


class RecentPopularity(Ranked):
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

    def _static(self) -> np.ndarray:
        scores = np.zeros(len(self.items), np.float32)
        scores[: len(self.recent)] = self.recent
        return scores

    def explain(self, history: list[str], item_id: str) -> list[tuple[str, float]]:
        """Recent popularity does not use the history: nothing contributed."""
        return []

    def _state(self) -> dict[str, np.ndarray]:
        return {"recent": self.recent}

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        self.recent = arrays["recent"]
