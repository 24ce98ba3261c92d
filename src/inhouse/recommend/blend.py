"""Blend: a weighted sum of several systems' per-row standardised scores, weights tuned on held-out
next items (coordinate search maximising NDCG@10), components then re-fit on all the events.

Serving re-ranks the union of the members' own top `candidates` items instead of scoring the
whole catalog: each member scores the union (`_score_items`) and standardises by its catalog-wide
mean and std (`_moments`, exact without a dense row), so an item's blend score is the one the
dense blend gives it; only items no member puts in its top `candidates` are never considered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import polars as pl

from inhouse.data.order import sort_events
from inhouse.errors import InhouseError
from inhouse.recommend.base import BaseRecommender, Interactions, best_of, prepare
from inhouse.recommend.registry import DEFAULT_BLEND

# each member's top items whose union the blend re-ranks (None: score the catalog densely).
# benchmarks/blend_candidates.py on amazon-scientific: every n from 10 is within 0.0001 of the
# dense NDCG@10; from n = 100 it equals it on validation and test, so 100 (with a margin)
CANDIDATES = 100

WEIGHT_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0)
# multiplicative steps tried on each non-zero weight after the grid search
REFINE_FACTORS = (0.5, 0.7, 0.85, 1.2, 1.4, 2.0)


def standardise(scores: np.ndarray) -> np.ndarray:
    """Per-row z-scores (mean 0, std 1 over the catalog), so systems on any scale add up."""
    s = np.asarray(scores, dtype=np.float32)
    mean = s.mean(axis=1, keepdims=True)
    std = s.std(axis=1, keepdims=True)
    out: np.ndarray = (s - mean) / np.maximum(std, 1e-9)
    return out


def ndcg_at_10(
    scores: np.ndarray, seen: Sequence[np.ndarray], targets: Sequence[np.ndarray] | np.ndarray
) -> float:
    """Mean NDCG@10 over rows, `seen` items excluded, as `metrics.case_metrics` computes it:
    binary gains, ideal ranking of min(10, |targets|) hits. `targets` holds one item index per
    row, or an array of them per row (a next basket).
    """
    s = np.array(scores, dtype=np.float32, copy=True)
    for row, h in enumerate(seen):
        s[row, h] = -np.inf
    k = min(10, s.shape[1])
    top = np.argpartition(-s, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
    ranked = np.take_along_axis(top, order, axis=1)
    sets = [np.atleast_1d(t) for t in targets]
    width = max((len(t) for t in sets), default=1)
    padded = np.full((len(sets), width), -1, np.int64)
    for row, t in enumerate(sets):
        padded[row, : len(t)] = t
    hits = (ranked[:, :, None] == padded[:, None, :]).any(axis=2)
    gains = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(gains)[np.minimum([len(t) for t in sets], k) - 1]
    return float(np.mean((hits * gains).sum(axis=1) / ideal))


def learn_weights(
    matrices: Sequence[np.ndarray],
    seen: Sequence[np.ndarray],
    targets: np.ndarray,
    grid: Sequence[float] = WEIGHT_GRID,
    rounds: int = 3,
    factors: Sequence[float] = REFINE_FACTORS,
    refine_rounds: int = 8,
    standardised: bool = False,
) -> tuple[list[float], float]:
    """Weights for standardised `matrices` (the first fixed at 1) maximising NDCG@10 of the
    validation `targets`: coordinate search over `grid`, then multiplicative refinement of each
    non-zero weight by `factors` (unbounded, so the search is not cut off at the grid's edge);
    returns (weights, best validation NDCG@10). `targets`: as `ndcg_at_10`; `standardised`:
    the matrices are already `standardise`d (saves a copy of each; float16 halves their memory,
    the sums are float32). Each coordinate sums the other systems once for all its trials.

    >>> learn_weights([cooc_valid, sasrec_valid], histories, targets)  # doctest: +SKIP
    ([1.0, 2.0], 0.104)
    """
    z = list(matrices) if standardised else [standardise(m) for m in matrices]
    weights = [1.0] + [0.0] * (len(z) - 1)

    def weighted(w: Sequence[float], skip: int = -1) -> np.ndarray:
        total = np.zeros(z[0].shape, np.float32)  # float32 even when `z` is stored as float16
        for i, (wi, m) in enumerate(zip(w, z, strict=True)):
            if wi and i != skip:
                total += np.float32(wi) * m
        return total

    best = ndcg_at_10(weighted(weights), seen, targets)

    def search(candidates: Callable[[int, float], Sequence[float]], n_rounds: int) -> None:
        nonlocal best, weights
        for _ in range(n_rounds):
            improved = False
            for j in range(1, len(z)):
                trials = [g for g in candidates(j, weights[j]) if g != weights[j]]
                if not trials:
                    continue
                rest, zj = weighted(weights, skip=j), np.asarray(z[j], np.float32)
                for g in trials:
                    v = ndcg_at_10(rest + np.float32(g) * zj, seen, targets)
                    if v > best + 1e-6:
                        best, improved = v, True
                        weights = weights.copy()
                        weights[j] = round(float(g), 6)
            if not improved:
                break

    search(lambda j, w: grid, rounds)
    search(lambda j, w: [w * f for f in factors] if w else [], refine_rounds)
    return weights, best


def holdout_last(events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split each user's newest event off (users with at least 2 events): (rest, held out)."""
    ordered = sort_events(events.with_row_index("_row"))
    ordered = ordered.with_columns(
        pl.int_range(pl.len()).over("user_id").alias("_pos"),
        pl.len().over("user_id").alias("_n"),
    )
    last = (pl.col("_pos") == pl.col("_n") - 1) & (pl.col("_n") >= 2)
    rest = ordered.filter(~last).sort("_row").drop("_row", "_pos", "_n")
    held = ordered.filter(last).sort("_row").drop("_row", "_pos", "_n")
    return rest, held


class Blend(BaseRecommender):
    """Weighted sum of standardised component scores; weights from a held-out last item.

    `candidates`: how many of each member's top items `recommend` re-ranks (their union);
    None scores the whole catalog with every member (the dense path)."""

    name = "blend"
    kind = "in-house"
    param_grid: ClassVar[list[dict[str, Any]]] = [{}]

    def __init__(
        self,
        systems: list[dict[str, Any]] | None = None,
        weights: list[float] | None = None,
        max_tune_users: int = 10_000,
        seed: int = 0,
        candidates: int | None = CANDIDATES,
    ) -> None:
        systems = [dict(s) for s in (systems or DEFAULT_BLEND)]
        for s in systems:
            assert "name" in s, f"blend: each system needs a 'name', got {s}"
            s.setdefault("params", {})
        if weights is not None:
            assert len(weights) == len(systems), "blend: one weight per system"
        if candidates is not None and candidates < 1:
            raise InhouseError(
                f"blend: candidates={candidates}; use a number >= 1, or None to score densely"
            )
        super().__init__(
            systems=systems,
            weights=weights,
            max_tune_users=max_tune_users,
            seed=seed,
            candidates=candidates,
        )
        self.components: list[BaseRecommender] = []
        self.weights: list[float] = list(weights) if weights is not None else []
        self.tune_ndcg: float | None = None

    @classmethod
    def from_fitted(
        cls,
        components: Sequence[BaseRecommender],
        weights: list[float],
        candidates: int | None = CANDIDATES,
    ) -> Blend:
        """A blend of already-fitted systems (same catalog) with known weights."""
        blend = cls(
            [{"name": c.name, "params": c.params} for c in components],
            list(weights),
            candidates=candidates,
        )
        first = components[0]
        blend.components = list(components)
        blend.items, blend.catalog, blend.popularity = first.items, first.catalog, first.popularity
        blend.histories, blend.data_sha256 = first.histories, first.data_sha256
        blend.fit_report = first.fit_report
        blend._check_items()
        return blend

    def _check_items(self) -> None:
        """Every component must index the blend's catalog in the same order (scores add up)."""
        for c in self.components:
            if c.items.ids != self.items.ids:
                raise InhouseError(
                    f"blend: component {c.name!r} was fitted on a different catalog; "
                    "fit every component on the same catalog"
                )

    def _make(self) -> list[BaseRecommender]:
        from inhouse.recommend.registry import make

        return [make(s["name"], **s["params"]) for s in self.params["systems"]]

    def _fit(self, data: Interactions) -> None:
        events = data.events.select("user_id", "item_id", "timestamp")
        if not self.weights:
            self.weights, self.tune_ndcg = self._tune(events, data.catalog)
            self.metrics = {"tune_ndcg@10": self.tune_ndcg}
        self.components = self._make()
        for c in self.components:
            c.fit(events, data.catalog)
        self._check_items()

    def _tune(self, events: pl.DataFrame, catalog: pl.DataFrame) -> tuple[list[float], float]:
        """Fit components without each user's last event and tune weights on those events."""
        rest, held = holdout_last(events)
        if held.height > int(self.params["max_tune_users"]):
            held = held.sample(int(self.params["max_tune_users"]), seed=int(self.params["seed"]))
        components = self._make()
        for c in components:
            c.fit(rest, catalog)
        clean = prepare(rest, catalog)
        grouped = clean.events.group_by("user_id", maintain_order=True).agg("item_id")
        hist = dict(zip(grouped["user_id"], grouped["item_id"].to_list(), strict=True))
        target_ids = dict(
            zip(held["user_id"].cast(pl.String), held["item_id"].cast(pl.String), strict=True)
        )
        users = [u for u, t in target_ids.items() if u in hist and t in clean.items]
        if not users:
            return [1.0] + [0.0] * (len(components) - 1), 0.0
        histories = [hist[u] for u in users]
        targets = np.array([clean.items.index[target_ids[u]] for u in users])
        seen = [clean.items.encode(h)[0] for h in histories]
        matrices = [c.score(histories) for c in components]
        return learn_weights(matrices, seen, targets)

    def _weighted(self) -> list[tuple[float, BaseRecommender]]:
        """(weight, component) of the components with a non-zero weight."""
        assert self.components, "blend: not fitted; call fit() or load()"
        return [(w, c) for w, c in zip(self.weights, self.components, strict=True) if w]

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        total = np.zeros((len(histories), len(self.items)), np.float32)
        for w, c in self._weighted():
            total += np.float32(w) * standardise(c._score(histories))
        return total

    def _score_items(self, histories: list[np.ndarray], items: np.ndarray) -> np.ndarray:
        """The dense blend's scores of `items`: each member's scores of them, standardised by
        its catalog-wide mean and std (`_moments`)."""
        total = np.zeros(items.shape, np.float32)
        for w, c in self._weighted():
            mean, std = c._moments(histories)
            raw = c._score_items(histories, items)
            z = (raw - mean[:, None].astype(np.float32)) / np.maximum(std, 1e-9)[:, None]
            total += np.float32(w) * z.astype(np.float32)
        return total

    def _top(
        self,
        histories: list[np.ndarray],
        k: int,
        exclude_seen: bool,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Dense when `candidates` is None; else the best `k` of the union of each member's top
        `max(candidates, k)` items, scored as the dense blend scores them."""
        n = self.params.get("candidates")
        if n is None:
            return super()._top(histories, k, exclude_seen, allowed)
        n = max(int(n), k)
        out_i = np.zeros((len(histories), k), np.int64)
        out_v = np.full((len(histories), k), -np.inf, np.float32)
        rows = [i for i, h in enumerate(histories) if len(h)]
        for i, h in enumerate(histories):
            if not len(h):  # no known item: popularity, as the dense path gives it
                ids, vals = self._popular_top(k, h, allowed)
                out_i[i, : len(ids)], out_v[i, : len(vals)] = ids, vals
        if not rows:
            return out_i, out_v
        known = [histories[i] for i in rows]
        pools = [c._top(known, n, exclude_seen, allowed) for _, c in self._weighted()]
        for j, (i, h) in enumerate(zip(rows, known, strict=True)):
            union = np.unique(np.concatenate([ids[j][np.isfinite(v[j])] for ids, v in pools]))
            if not len(union):
                continue
            scores = self._score_items([h], union[None])[0]
            ids, vals = best_of(union, scores, k)
            out_i[i, : len(ids)], out_v[i, : len(vals)] = ids, vals
        return out_i, out_v

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        """Each component's own explanation x its weight / its score spread for this history,
        summed, largest first: exact for cooc, ease, tfidf and text (their scores are sums over
        history items) and als (one linear solve), leave-one-out over their own numpy query
        for two-tower and text-tuned. Components whose explanation would re-run a model per
        history item (`sasrec`, the generic leave-one-out) are left out, to keep a request to
        milliseconds."""
        totals: list[dict[str, float]] = [{} for _ in item_ids]
        known = self.items.encode(history)[0]
        if not len(known):
            return [[] for _ in item_ids]
        for w, c in self._weighted():
            if not c.cheap_explanations:
                continue
            spread = float(c._moments([known])[1][0])  # the std over the catalog
            scale = float(w) / max(spread, 1e-9)
            for total, pairs in zip(totals, c.explain_many(history, item_ids), strict=True):
                for item, value in pairs:
                    total[item] = total.get(item, 0.0) + scale * value
        return [sorted(t.items(), key=lambda kv: -kv[1]) for t in totals]

    def _save_extra(self, folder: Path) -> None:
        for i, c in enumerate(self.components):
            c.save(folder / "components" / f"{i}-{c.name}")
        (folder / "weights.json").write_text(json.dumps(self.weights))

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        from inhouse.recommend.registry import load_recommender

        self.weights = json.loads((folder / "weights.json").read_text())
        self.components = [
            load_recommender(folder / "components" / f"{i}-{s['name']}")
            for i, s in enumerate(self.params["systems"])
        ]
        self._check_items()
