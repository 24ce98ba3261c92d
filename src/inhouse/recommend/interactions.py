"""Training data as recommenders see it: catalog ids <-> ints, and events checked and cleaned.

`prepare(events, catalog)` drops unknown items and duplicates (counted) and sorts by user and
time (equal times by `inhouse.data.order.TIE_RULE`), so every system trains on the same clean
`Interactions`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import scipy.sparse as sp

from inhouse.data.order import sort_events, tied_users
from inhouse.errors import InhouseError

CATALOG_COLUMNS = ["item_id", "title", "description", "tags", "category", "url"]


class ItemIndex:
    """Catalog item ids <-> ints in catalog order, so every system's score columns align."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids: list[str] = [str(i) for i in ids]
        self.index: dict[str, int] = {item: i for i, item in enumerate(self.ids)}
        assert len(self.index) == len(self.ids), "ItemIndex: duplicate item ids"

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.index

    def encode(self, history: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """Known items of `history` as int64 indices (order kept), and the unknown ids."""
        found = [self.index.get(i, -1) for i in history]  # one dict lookup per id
        known = np.asarray(found, dtype=np.int64)
        if known.size and known.min() < 0:
            unknown = [i for i, f in zip(history, found, strict=True) if f < 0]
            return known[known >= 0], unknown
        return known, []

    def decode(self, indices: Iterable[int]) -> list[str]:
        return [self.ids[int(i)] for i in indices]

    def add(self, ids: Iterable[str]) -> list[int]:
        """Append new item ids (cold-start items); returns their indices. Known ids are kept."""
        out = []
        for item in ids:
            if item not in self.index:
                self.index[item] = len(self.ids)
                self.ids.append(item)
            out.append(self.index[item])
        return out


@dataclass
class Interactions:
    """Clean training data: events sorted by (user, time) with item indices, and the catalog."""

    items: ItemIndex
    catalog: pl.DataFrame  # catalog rows in `items` order
    events: pl.DataFrame  # user_id, item_id, timestamp, item_idx (sorted, known items only)
    report: dict[str, int] = field(default_factory=dict)  # dropped rows and why
    sha256: str = ""

    @property
    def users(self) -> list[str]:
        return self.events["user_id"].unique(maintain_order=True).to_list()

    def sequences(self) -> list[np.ndarray]:
        """Each user's item indices, oldest first (users in first-seen order)."""
        grouped = self.events.group_by("user_id", maintain_order=True).agg("item_idx")
        return [np.asarray(s, dtype=np.int64) for s in grouped["item_idx"].to_list()]

    def matrix(self) -> sp.csr_matrix:
        """User x item interaction counts (float32 CSR), users in `sequences` order."""
        users = pl.DataFrame({"user_id": self.users}).with_row_index("_u")
        rows = self.events.join(users, on="user_id", how="left", maintain_order="left")[
            "_u"
        ].to_numpy()
        cols = self.events["item_idx"].to_numpy()
        n_users = users.height
        data = np.ones(len(rows), dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=(n_users, len(self.items)))

    def popularity(self) -> np.ndarray:
        """Interaction counts per item, float32 in catalog order."""
        counts = np.bincount(self.events["item_idx"].to_numpy(), minlength=len(self.items))
        return counts.astype(np.float32)


def prepare(events: pl.DataFrame, catalog: pl.DataFrame) -> Interactions:
    """Check and clean events against the catalog: drop unknown items (counted) and duplicates,
    and sort by user then timestamp, ties broken by `inhouse.data.order.TIE_RULE`, so neither
    time going backwards in a file nor the order of its rows changes what systems learn."""
    for col in ("user_id", "item_id", "timestamp"):
        if col not in events.columns:
            raise InhouseError(
                f"events: missing column {col!r}; events need user_id, item_id, timestamp"
            )
    if "item_id" not in catalog.columns:
        raise InhouseError("catalog: missing column 'item_id'")
    catalog = catalog.unique("item_id", keep="first", maintain_order=True)
    if catalog.height == 0:
        raise InhouseError("catalog: no items; a recommender needs at least one catalog item")
    items = ItemIndex(catalog["item_id"].cast(pl.String).to_list())
    ties = [pl.col(c) for c in ("sequence", "event", "value") if c in events.columns]
    ev = events.select(
        pl.col("user_id").cast(pl.String),
        pl.col("item_id").cast(pl.String),
        pl.col("timestamp"),
        *ties,
    )
    report: dict[str, int] = {"events_in": ev.height}
    missing = ev.filter(pl.col("user_id").is_null() | pl.col("item_id").is_null())
    report["dropped_missing_ids"] = missing.height
    ev = ev.drop_nulls(["user_id", "item_id"])
    lookup = pl.DataFrame({"item_id": items.ids, "item_idx": np.arange(len(items), dtype=np.int64)})
    known = ev.join(lookup, on="item_id", how="inner")
    report["dropped_unknown_items"] = ev.height - known.height
    ordered = sort_events(known)
    clean = ordered.unique(["user_id", "item_id", "timestamp"], keep="first", maintain_order=True)
    report["dropped_duplicates"] = known.height - clean.height
    report["users_with_equal_timestamps"] = tied_users(clean)
    clean = clean.select("user_id", "item_id", "timestamp", "item_idx")
    report["events_used"] = clean.height
    digest = hashlib.sha256()
    digest.update(clean.select("user_id", "item_id", "timestamp").write_csv().encode())
    digest.update("\n".join(items.ids).encode())
    return Interactions(items, catalog, clean, report, digest.hexdigest())
