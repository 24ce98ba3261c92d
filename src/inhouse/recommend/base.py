"""The one `Recommender` protocol every system satisfies, and the code they all share.

A system implements `_fit(data)` and `_score(histories)` (plus `_state`/`_set_state` for save and
load); `BaseRecommender` gives it `fit`, `score`, `recommend`, `candidates`, `score_items`,
`explain`, `save` and `load`. A system that can find its top items without scoring the whole
catalog overrides `_top`, `_score_items` and `_moments` (item graphs, popularity, vector systems).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, Self, runtime_checkable

import numpy as np
import polars as pl

from inhouse import artifacts
from inhouse.artifacts import Manifest, ModelRecord
from inhouse.errors import InhouseError
from inhouse.recommend.interactions import CATALOG_COLUMNS, Interactions, ItemIndex, prepare

__all__ = [  # the shared vocabulary of every system (data types re-exported from .interactions)
    "CATALOG_COLUMNS",
    "EXPLAIN_RECENT",
    "KEEP_HISTORY",
    "BaseRecommender",
    "Interactions",
    "ItemIndex",
    "Recommendation",
    "Recommender",
    "best_of",
    "contributions",
    "fill_ranked",
    "prepare",
    "recommend_from_scores",
    "top_k",
]

Kind = Literal["baseline", "off-the-shelf", "in-house"]
KEEP_HISTORY = 200  # most recent items kept per training user, to serve `for-user`
EXPLAIN_RECENT = 20  # leave-one-out explanations look at this many most recent history items
WORKLOAD = "recommend"  # the manifest's workload; see `inhouse.artifacts`


@runtime_checkable
class Recommender(Protocol):
    """Ranks catalog items for a history of item ids (oldest first)."""

    name: str
    kind: Kind

    def fit(self, events: pl.DataFrame, catalog: pl.DataFrame) -> None: ...

    def score(self, histories: list[list[str]]) -> np.ndarray:
        """(n_histories, n_catalog_items) float32 in catalog order, higher = better."""
        ...

    def recommend(
        self, histories: list[list[str]], k: int = 10, exclude_seen: bool = True
    ) -> tuple[list[list[str]], np.ndarray]: ...

    def similar_items(self, item_id: str, k: int = 10) -> tuple[list[str], np.ndarray]: ...

    def save(self, path: Path) -> None: ...

    @classmethod
    def load(cls, path: Path) -> Recommender: ...


@dataclass
class LinearScores:
    """A vector system's scoring: `query(histories) @ item_vectors.T` (see `_linear`)."""

    query: Callable[[list[np.ndarray]], np.ndarray]
    item_vectors: np.ndarray
    _moments: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

    def __call__(self, histories: list[np.ndarray]) -> np.ndarray:
        return np.asarray(self.query(histories), np.float32)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """The item vectors' mean and second moment (cached by the system)."""
        return self._moments(self.item_vectors)


@dataclass
class Recommendation:
    """One answer for one history: ranked items, scores, and what the caller should know."""

    items: list[str]
    scores: list[float]
    fallback: bool = False  # True when no known history item: popularity was used
    unknown: list[str] = field(default_factory=list)  # history ids not in the catalog (ignored)
    notes: list[str] = field(default_factory=list)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the `k` highest scores per row, best first (argpartition)."""
    n = scores.shape[1]
    k = min(k, n)
    if k <= 0:
        return np.zeros((scores.shape[0], 0), np.int64), np.zeros((scores.shape[0], 0), np.float32)
    part = (
        np.argpartition(-scores, k - 1, axis=1)[:, :k]
        if k < n
        else np.tile(np.arange(n), (scores.shape[0], 1))
    )
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(vals, order, axis=1)


def recommend_from_scores(
    scores: np.ndarray, seen: list[np.ndarray] | None, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k per row after setting `seen` items to -inf; rows may end with -inf entries dropped
    by the caller when k exceeds what is left."""
    if k < 1:
        raise InhouseError(f"k={k}: ask for at least one recommendation (k >= 1)")
    scores = np.array(scores, dtype=np.float32, copy=True)
    if seen is not None:
        for row, s in enumerate(seen):
            if len(s):
                scores[row, s] = -np.inf
    return top_k(scores, k)


def fill_ranked(
    order: np.ndarray, skip: np.ndarray, allowed: np.ndarray | None, k: int
) -> np.ndarray:
    """The first `k` items of the ranking `order` (item indices, best first) that are not in
    `skip` and are `allowed` (a boolean mask; None: all). Reads `order` in growing chunks, so a
    1M-item ranking costs what the answer needs."""
    out: list[np.ndarray] = []
    need, start, step = k, 0, max(2 * k + len(skip), 64)
    while need > 0 and start < len(order):
        chunk = order[start : start + step]
        start, step = start + step, 2 * step
        ok = ~np.isin(chunk, skip) if len(skip) else np.ones(len(chunk), bool)
        if allowed is not None:
            ok &= allowed[chunk]
        found = chunk[ok][:need]
        out.append(found)
        need -= len(found)
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def best_of(ids: np.ndarray, values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` highest `values` with their `ids`, best first (ties in `ids` order)."""
    if len(values) > k:
        part = np.argpartition(-values, k - 1)[:k]
        ids, values = ids[part], values[part]
    order = np.argsort(-values, kind="stable")
    return ids[order], values[order]


def contributions(
    items: ItemIndex, history: np.ndarray, values: np.ndarray
) -> list[list[tuple[str, float]]]:
    """Per target column of `values` (len(history), n_targets): (history id, summed value),
    largest first. A history item seen twice adds up."""
    unique, first, inverse = np.unique(history, return_index=True, return_inverse=True)
    summed = np.zeros((len(unique), values.shape[1]), np.float64)
    np.add.at(summed, inverse, values)
    ids = [items.ids[i] for i in unique.tolist()]
    # per column, largest first; equal values in order of first appearance in the history
    order = np.lexsort((np.broadcast_to(first[:, None], summed.shape), -summed), axis=0)
    ranked = np.take_along_axis(summed, order, axis=0)
    return [
        list(zip([ids[i] for i in rows], values, strict=True))
        for rows, values in zip(order.T.tolist(), ranked.T.tolist(), strict=True)
    ]


def recency_weights(
    history: np.ndarray, max_history: int, decay: float
) -> tuple[np.ndarray, np.ndarray]:
    """The newest `max_history` items of `history` and their weights `decay ** age` (newest 1)."""
    h = history[-int(max_history) :]
    age = np.arange(len(h) - 1, -1, -1)
    return h, (float(decay) ** age).astype(np.float32)


class BaseRecommender:
    """Shared behaviour of every system. Subclasses set `name`, `kind` and implement
    `_fit(data)`, `_score(histories)` (histories: non-empty int arrays), `_state()`/`_set_state()`.
    """

    name: ClassVar[str] = "base"
    kind: ClassVar[Kind] = "baseline"
    # whether `explain_many` is cheap next to scoring (exact sums, or a leave-one-out over a
    # numpy query): a blend explains through such components only
    cheap_explanations: ClassVar[bool] = False
    # how many most recent distinct history items a leave-one-out explanation drops in turn
    explain_recent: ClassVar[int] = EXPLAIN_RECENT

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = dict(params)
        self.items = ItemIndex([])
        self.popularity = np.zeros(0, np.float32)
        self.fit_report: dict[str, int] = {}
        self.data_sha256 = ""
        self.metrics: dict[str, float | None] = {}  # validation metrics, stored in the manifest
        self.catalog = pl.DataFrame({c: [] for c in CATALOG_COLUMNS})
        self.histories: dict[str, list[str]] = {}  # user -> last KEEP_HISTORY items, for serving
        # the embedder it was built with (set by `_fit` of systems that embed text), saved in the
        # manifest; a loaded model that embeds new text refuses any other (`check_embedder`)
        self.base_model: ModelRecord | None = None
        # rankings and moments derived from the fitted state, computed on first use
        self._cache: dict[str, Any] = {}

    # ---- to implement
    def _fit(self, data: Interactions) -> None:
        raise NotImplementedError

    def _score(self, histories: list[np.ndarray]) -> np.ndarray:
        """Scores (len(histories), len(self.items)) for histories of known item indices."""
        raise NotImplementedError

    def _state(self) -> dict[str, np.ndarray]:
        """Arrays saved with the model (besides items, popularity and params)."""
        return {}

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        """Restore from `_state()` arrays; `folder` holds any extra files `_save_extra` wrote."""

    def _save_extra(self, folder: Path) -> None:
        """Write extra files (e.g. model weights) into the version folder being built."""

    # ---- shared
    def fit(self, events: pl.DataFrame, catalog: pl.DataFrame) -> None:
        """Fit on `events` (user_id, item_id, timestamp, ...) over `catalog` (item_id, ...)."""
        data = prepare(events, catalog)
        self._cache.clear()
        self.items = data.items
        self.catalog = data.catalog
        self.popularity = data.popularity()
        self.fit_report = data.report
        self.data_sha256 = data.sha256
        grouped = data.events.group_by("user_id", maintain_order=True).agg(
            pl.col("item_id").tail(KEEP_HISTORY)
        )
        self.histories = dict(
            zip(grouped["user_id"].to_list(), grouped["item_id"].to_list(), strict=True)
        )
        self._fit(data)

    def _explain_by(
        self,
        history: list[str],
        item_ids: list[str],
        weights: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
        values: Callable[[np.ndarray, np.ndarray, list[int]], np.ndarray],
    ) -> list[list[tuple[str, float]]]:
        """`explain_many` for a system whose score is a weighted sum over the history:
        `weights(known history)` gives (items, weights), and `values(items, weights, columns)`
        each item's share of each known target's score, (len(items), len(columns)). An unknown
        target, or a history with no known item, gets no explanation."""
        known, _ = self.items.encode(history)
        cols = [self.items.index.get(i, -1) for i in item_ids]
        ok = [c for c in cols if c >= 0]
        if not len(known) or not ok:
            return [[] for _ in item_ids]
        h, w = weights(known)
        found = dict(zip(ok, contributions(self.items, h, values(h, w, ok)), strict=True))
        return [found.get(c, []) for c in cols]

    def history_of(self, user_id: str) -> list[str] | None:
        """A known user's history (oldest first), None for a user never seen in training."""
        return self.histories.get(str(user_id))

    def score(self, histories: list[list[str]]) -> np.ndarray:
        """Scores over catalog order; a history with no known item gets popularity."""
        encoded = [self.items.encode(h)[0] for h in histories]
        out = np.empty((len(histories), len(self.items)), dtype=np.float32)
        rows = [i for i, h in enumerate(encoded) if len(h)]
        if rows:
            out[rows] = self._score([encoded[i] for i in rows])
        empty = [i for i, h in enumerate(encoded) if not len(h)]
        if empty:
            out[empty] = self.popularity_scores()
        return out

    def popularity_scores(self) -> np.ndarray:
        """Popularity over all items (cold-start items get 0), the fallback for empty histories."""
        pop = np.zeros(len(self.items), np.float32)
        pop[: len(self.popularity)] = self.popularity
        return pop

    def _top(
        self,
        histories: list[np.ndarray],
        k: int,
        exclude_seen: bool,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k item indices and scores for encoded histories, among the `allowed` items (a
        boolean mask in catalog order; None: all). Vector systems override this."""
        scores = np.empty((len(histories), len(self.items)), np.float32)
        rows = [i for i, h in enumerate(histories) if len(h)]
        if rows:
            scores[rows] = self._score([histories[i] for i in rows])
        for i, h in enumerate(histories):
            if not len(h):
                scores[i] = self.popularity_scores()
        if allowed is not None:
            scores[:, ~allowed] = -np.inf
        return recommend_from_scores(scores, histories if exclude_seen else None, k)

    # ---- candidates: the top of the catalog, without scoring all of it where a system can
    def candidates(
        self,
        histories: list[list[str]],
        n: int,
        exclude_seen: bool = True,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The top-`n` item indices per history and the system's own scores for them, best
        first, each (len(histories), n); a score of -inf marks padding past what is left.

        Item graphs gather their history items' neighbours (sparse rows), popularity reads a
        precomputed ranking and vector systems search their index: none scores the whole
        catalog. Other systems score it densely. A blend re-ranks the union of its members'
        candidates. `allowed`: as for `recommend`.

        >>> ids, scores = model.candidates([["i1", "i7"]], n=200)  # doctest: +SKIP
        """
        if n < 1:
            raise InhouseError(f"n={n}: ask for at least one candidate (n >= 1)")
        encoded = [self.items.encode(h)[0] for h in histories]
        return self._top(encoded, n, exclude_seen, allowed)

    def score_items(self, histories: list[list[str]], items: np.ndarray) -> np.ndarray:
        """The scores `score` would give, only for `items`: (len(histories), m) item indices
        in, (len(histories), m) float32 out. A history with no known item gets popularity."""
        items = np.asarray(items, dtype=np.int64)
        assert items.ndim == 2 and len(items) == len(histories), "score_items: one row per history"
        encoded = [self.items.encode(h)[0] for h in histories]
        out = np.empty(items.shape, np.float32)
        rows = [i for i, h in enumerate(encoded) if len(h)]
        if rows:
            out[rows] = self._score_items([encoded[i] for i in rows], items[rows])
        empty = [i for i, h in enumerate(encoded) if not len(h)]
        if empty:
            out[empty] = self.popularity_scores()[items[empty]]
        return out

    def _score_items(self, histories: list[np.ndarray], items: np.ndarray) -> np.ndarray:
        """`_score`'s columns `items` ((len(histories), m) indices) for non-empty histories.
        Default: vector systems dot their queries with those items' vectors; others score
        densely and take the columns."""
        linear = self._linear()
        if linear is not None:
            queries, vectors = linear(histories), linear.item_vectors
            out = np.empty(items.shape, np.float32)
            for row, (q, cols) in enumerate(zip(queries, items, strict=True)):
                out[row] = vectors[cols] @ q
            return out
        return np.take_along_axis(self._score(histories), items, axis=1)

    def _moments(self, histories: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of each non-empty history's `_score` row over the whole
        catalog (what a blend standardises by), each (len(histories),) float64. Default: vector
        systems from the item vectors' mean and second moment (q.mu, q S q - (q.mu)^2); others
        from the dense scores."""
        linear = self._linear()
        if linear is not None:
            mu, second = linear.moments()
            q = linear(histories).astype(np.float64)
            mean = q @ mu
            var = ((q @ second) * q).sum(axis=1) - mean**2
            return mean, np.sqrt(np.maximum(var, 0.0))
        s = self._score(histories).astype(np.float64)
        return s.mean(axis=1), s.std(axis=1)

    def _linear(self) -> LinearScores | None:
        """How a vector system scores (queries @ item_vectors.T), or None for other systems.

        A `VectorRecommender` (vectors.py) defines `_query` and `item_vectors` and scores by
        their dot product; this reads them so its candidates, item scores and moments need
        no dense pass over the catalog."""
        vectors = getattr(self, "item_vectors", None)
        query = getattr(self, "_query", None)
        if not isinstance(vectors, np.ndarray) or query is None or vectors.shape[0] == 0:
            return None
        return LinearScores(query, vectors, self._vector_moments)

    def _popularity_order(self) -> np.ndarray:
        """Item indices by popularity, most popular first (cached; rebuilt when items change)."""
        key = (len(self.items), id(self.popularity))
        cached = self._cache.get("popularity_order")
        if cached is None or cached[0] != key:
            cached = (key, np.argsort(-self.popularity_scores(), kind="stable"))
            self._cache["popularity_order"] = cached
        return cached[1]

    def _popular_top(
        self, k: int, seen: np.ndarray, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` most popular items not in `seen`, with their popularity (the fallback for a
        history with no known item), from the precomputed ranking."""
        ids = fill_ranked(self._popularity_order(), np.unique(seen), allowed, k)
        return ids, self.popularity_scores()[ids]

    def _vector_moments(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (dim,) and second moment V'V/n (dim, dim) of `vectors`, float64, cached for the
        array they were computed from (a new `item_vectors` array recomputes them)."""
        cached = self._cache.get("vector_moments")
        if cached is None or cached[0] is not vectors:
            n, dim = vectors.shape
            total, second = np.zeros(dim), np.zeros((dim, dim))
            for start in range(0, n, 65536):
                block = vectors[start : start + 65536]
                total += block.sum(axis=0, dtype=np.float64)
                second += (block.T @ block).astype(np.float64)
            cached = (vectors, total / n, second / n)
            self._cache["vector_moments"] = cached
        return cached[1], cached[2]

    def allowed(
        self, category: str | None = None, exclude: Sequence[str] = ()
    ) -> np.ndarray | None:
        """The mask of items a request may get: in `category` (when given) and not in
        `exclude`; None when nothing is filtered. A category no item has is an error."""
        if category is None and not exclude:
            return None
        mask = np.ones(len(self.items), bool)
        if category is not None:
            if "category" not in self.catalog.columns:
                raise InhouseError(
                    f"category {category!r}: this recommender's catalog has no category column; "
                    "refit it on a catalog with one (docs/data.md), or leave the filter out"
                )
            in_category = (self.catalog["category"] == category).fill_null(False).to_numpy()
            if not in_category.any():
                raise InhouseError(
                    f"category {category!r}: no item of the catalog has it; check the spelling "
                    "(categories are matched exactly)"
                )
            mask[: len(in_category)] = in_category
            mask[len(in_category) :] = False
        known, _ = self.items.encode(list(exclude))
        mask[known] = False
        return mask

    def recommend(
        self,
        histories: list[list[str]],
        k: int = 10,
        exclude_seen: bool = True,
        allowed: np.ndarray | None = None,
    ) -> tuple[list[list[str]], np.ndarray]:
        """Top-k item ids per history and their scores (rows padded with -inf past what is
        left), among the `allowed` items (see `allowed()`; None: all)."""
        return self._recommend_encoded(
            [self.items.encode(h)[0] for h in histories], k, exclude_seen, allowed
        )

    def _recommend_encoded(
        self,
        encoded: list[np.ndarray],
        k: int,
        exclude_seen: bool,
        allowed: np.ndarray | None,
    ) -> tuple[list[list[str]], np.ndarray]:
        """`recommend` for histories already encoded as item indices."""
        if k < 1:
            raise InhouseError(f"k={k}: ask for at least one recommendation (k >= 1)")
        idx, vals = self._top(encoded, k, exclude_seen, allowed)
        ids = [
            [self.items.ids[j] for j, v in zip(r, s, strict=True) if np.isfinite(v)]
            for r, s in zip(idx, vals, strict=True)
        ]
        return ids, vals

    def recommend_one(
        self,
        history: list[str],
        k: int = 10,
        exclude_seen: bool = True,
        allowed: np.ndarray | None = None,
    ) -> Recommendation:
        """One history's answer, saying when popularity was used and which ids were ignored."""
        known, unknown = self.items.encode(history)
        ids, vals = self._recommend_encoded([known], k, exclude_seen, allowed)
        rec = Recommendation(ids[0], [float(v) for v in vals[0][: len(ids[0])]], unknown=unknown)
        if unknown:
            rec.notes.append(
                f"ignored {len(unknown)} history item(s) not in the catalog: "
                + ", ".join(unknown[:5])
            )
        if not len(known):
            rec.fallback = True
            rec.notes.append(
                "no known history: showing the most popular items (popularity fallback)"
            )
        seen = np.unique(known) if exclude_seen else known[:0]
        if allowed is None:
            left = len(self.items) - len(seen)
        else:
            left = int(allowed.sum()) - int(allowed[seen].sum())
        if k > left:
            rec.notes.append(
                f"k={k} is more than the {left} catalog items left to recommend"
                + (" after the filters" if allowed is not None else "")
                + f"; returned {len(ids[0])}"
            )
        return rec

    def similar_items(self, item_id: str, k: int = 10) -> tuple[list[str], np.ndarray]:
        """Items most like `item_id` (the item itself excluded)."""
        if item_id not in self.items:
            raise InhouseError(
                f"item {item_id!r} is not in the catalog; check the id or refit with it"
            )
        ids, vals = self.recommend([[item_id]], k, exclude_seen=True)
        return ids[0], vals[0][: len(ids[0])]

    def explain(self, history: list[str], item_id: str) -> list[tuple[str, float]]:
        """History items that contributed most to `item_id`'s score, largest first.

        Default: leave-one-out over the `explain_recent` most recent distinct history items
        (how much the score drops without each). Item-graph and text systems override
        `explain_many` with exact sums.
        """
        if item_id not in self.items:
            raise InhouseError(f"item {item_id!r} is not in the catalog")
        return self.explain_many(history, [item_id])[0]

    def explain_many(
        self, history: list[str], item_ids: list[str]
    ) -> list[list[tuple[str, float]]]:
        """`explain` for several items of one history, scoring the leave-one-out variants once."""
        if type(self).explain is not BaseRecommender.explain:
            return [self.explain(history, i) for i in item_ids]
        recent = dict.fromkeys(reversed(history))
        known = [h for h in recent if h in self.items][: self.explain_recent]
        if not known:
            return [[] for _ in item_ids]
        variants = [history] + [[h for h in history if h != drop] for drop in known]
        scores = self.score(variants)
        out = []
        for item_id in item_ids:
            col = scores[:, self.items.index[item_id]]
            contrib = [(h, float(col[0] - col[i + 1])) for i, h in enumerate(known)]
            out.append(sorted(contrib, key=lambda t: -t[1]))
        return out

    def title(self, item_id: str) -> str:
        """The catalog title of an item ('' when unknown)."""
        if item_id not in self.items or "title" not in self.catalog.columns:
            return ""
        row = self.items.index[item_id]
        if row >= self.catalog.height:
            return ""
        value = self.catalog["title"][row]
        return "" if value is None else str(value)

    def manifest(self) -> Manifest:
        """What `save` records: system, parameters, validation metrics, the data's sha256."""
        return Manifest(
            workload=WORKLOAD,
            system=self.name,
            kind=self.kind,
            base_model=self.base_model,
            parameters=self.params,
            metrics=self.metrics,
            state={
                "data_sha256": self.data_sha256,
                "fit_report": self.fit_report,
                "n_items": len(self.items),
            },
        )

    def save(self, path: Path) -> Path:
        """Save into a new version folder `path/vNNNN` and point `path/current` at it (atomic)."""

        def write(folder: Path) -> None:
            arrays = {f"state_{k}": v for k, v in self._state().items()}
            arrays["popularity"] = self.popularity
            np.savez(folder / "arrays.npz", allow_pickle=False, **arrays)
            (folder / "items.json").write_text(json.dumps(self.items.ids))
            (folder / "histories.json").write_text(json.dumps(self.histories))
            self.catalog.write_parquet(folder / "catalog.parquet")
            self._save_extra(folder)

        return artifacts.save(Path(path), self.manifest(), write)

    @classmethod
    def load(cls, path: Path) -> Self:
        """Load the current version under `path` (or a version folder itself)."""
        folder, manifest = artifacts.read(Path(path), WORKLOAD)
        return cls.read(folder, manifest)

    @classmethod
    def read(cls, folder: Path, manifest: Manifest) -> Self:
        """A saved model from its version `folder` and `manifest` (see `load_recommender`)."""
        if manifest.system != cls.name:
            raise InhouseError(
                f"{folder}: holds a {manifest.system!r} model, not {cls.name!r}; "
                "use inhouse.recommend.load_recommender(path)"
            )
        model = cls(**manifest.parameters)
        model.items = ItemIndex(json.loads((folder / "items.json").read_text()))
        model.catalog = pl.read_parquet(folder / "catalog.parquet")
        model.histories = json.loads((folder / "histories.json").read_text())
        model.data_sha256 = manifest.state["data_sha256"]
        model.metrics = dict(manifest.metrics)
        model.base_model = manifest.base_model
        model.fit_report = dict(manifest.state["fit_report"])
        with np.load(folder / "arrays.npz", allow_pickle=False) as z:
            model.popularity = z["popularity"]
            state = {k.removeprefix("state_"): z[k] for k in z.files if k.startswith("state_")}
        model._set_state(state, folder)
        return model
