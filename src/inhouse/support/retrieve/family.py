"""`family-hybrid`: a ranking whose first hits raise the other articles of their families.

A help center groups its articles in families: one product's fees, limits and procedures, one
policy's sections. A scenario that needs one article of a family often needs its siblings too,
and the message names only one of them. Each of the first `top` hits gives its family
`1 / (K0 + rank)`; every article of the family gets `weight` times that on top of its own
score, including siblings the inner retriever did not rank.

An article's family is its `family` column when the articles have one; otherwise its id less a
trailing number (`card-fees-02` and `card-fees-07` are one family; `doc_credit_cards_ecocard_001`
is family `doc_credit_cards_ecocard`). An article without such a number is a family of its own.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from inhouse.artifacts import Manifest
from inhouse.models.embedder import Embedder
from inhouse.support.retrieve.base import (
    Hits,
    Retriever,
    check_queries,
    retriever_manifest,
    save_retriever,
    write_part,
)

K0 = 60.0  # the usual RRF constant for the family votes
DEPTH = 100  # how deep the inner ranking is read
NUMBERED = re.compile(r"[-_ ]?\d+$")


def families_of(articles: pl.DataFrame) -> dict[str, str]:
    """article_id -> family: the `family` column when there is one, else the id less a trailing
    number."""
    ids = [str(a) for a in articles["article_id"].to_list()]
    if "family" in articles.columns:
        given = articles["family"].cast(pl.String).to_list()
        return {a: f if f else a for a, f in zip(ids, given, strict=True)}
    return {a: NUMBERED.sub("", a) or a for a in ids}


class FamilyRetriever:
    """`inner`'s ranking with its first hits' families raised (see the module's docstring)."""

    def __init__(
        self,
        inner: Retriever,
        name: str = "family-hybrid",
        top: int = 1,
        weight: float = 2.0,
        kind: str = "off-the-shelf",
        family: dict[str, str] | None = None,
    ) -> None:
        """`family`: article_id -> family of an `inner` already indexed (`families_of`);
        `index` sets it otherwise."""
        assert top >= 1 and weight >= 0, "top must be at least 1 and weight not negative"
        self.inner, self.name, self.top, self.weight, self.kind = inner, name, top, weight, kind
        self.articles = inner.articles
        self._families(family or {})

    @property
    def parts(self) -> list[Retriever]:
        """The retrievers under it (its inner one's parts), as a hybrid's `parts`."""
        return list(getattr(self.inner, "parts", [self.inner]))

    def index(self, articles: pl.DataFrame) -> None:
        self.inner.index(articles)
        self.articles = self.inner.articles
        self._families(families_of(articles))

    def _families(self, family: dict[str, str]) -> None:
        self.family: dict[str, str] = family
        members: dict[str, list[str]] = defaultdict(list)
        for article, fam in family.items():
            members[fam].append(article)
        self.members: dict[str, list[str]] = dict(members)

    def search(self, queries: Sequence[str], k: int = 10) -> list[Hits]:
        queries = check_queries(queries)
        return [self.rerank(hits)[:k] for hits in self.inner.search(queries, max(k, DEPTH))]

    def rerank(self, hits: Hits) -> Hits:
        """`hits` (the inner ranking of one query) with its first hits' families raised."""
        votes: dict[str, float] = defaultdict(float)
        for rank, (article, _) in enumerate(hits[: self.top]):
            votes[self.family.get(article, article)] += 1.0 / (K0 + rank + 1)
        scores = dict(hits)
        for fam, vote in votes.items():
            for article in self.members.get(fam, [fam]):
                scores[article] = scores.get(article, 0.0) + self.weight * vote
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))

    def save(self, path: Path) -> None:
        save_retriever(self, path)

    def manifest(self) -> Manifest:
        """The inner retriever's manifest goes in `part0/`; its base model is this one's."""
        parameters = {"name": self.name, "kind": self.kind, "top": self.top, "weight": self.weight}
        base = self.inner.manifest().base_model
        return retriever_manifest(self, parameters, base, state={"parts": 1})

    def write(self, folder: Path) -> None:
        write_part(folder / "part0", self.inner)
        (folder / "families.json").write_text(json.dumps(self.family), encoding="utf-8")

    @classmethod
    def read(
        cls,
        folder: Path,
        embedder: Embedder | None,
        manifest: Manifest,
        read_part: Callable[[Path, Embedder | None], Retriever],
    ) -> FamilyRetriever:
        """Read a saved one back; `read_part(folder, embedder)` reads its inner retriever."""
        family = json.loads((folder / "families.json").read_text(encoding="utf-8"))
        return cls(read_part(folder / "part0", embedder), **manifest.parameters, family=family)
