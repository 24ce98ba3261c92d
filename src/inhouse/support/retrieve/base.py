"""Help-center retrieval: the one `Retriever` protocol, and what every retriever shares.

    >>> r = make_retriever("hybrid")      # inhouse.support.retrieve.registry
    >>> r.index(articles)                 # polars frame: article_id, title, body
    >>> r.search(["my card has not arrived"], k=5)[0][0]
    ('card-delivery', 0.032)
    >>> r.save(Path("index")); load_retriever(Path("index")).name
    'hybrid'

An index folder is versioned (`inhouse.files.write_version`): a crash mid-save leaves the old
index live. Each folder holds `manifest.json` (`inhouse.artifacts.Manifest`) and its files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import polars as pl

from inhouse import artifacts
from inhouse.artifacts import Manifest, ModelRecord
from inhouse.errors import InhouseError
from inhouse.models.embedder import Embedder, fingerprint

Hits = list[tuple[str, float]]
ARTICLE_COLUMNS = ("article_id", "title", "body")
WORKLOAD = "support-retrieval"  # the manifest's workload; see `inhouse.artifacts`


@runtime_checkable
class Retriever(Protocol):
    """Ranks help-center articles for customer messages."""

    name: str
    kind: str  # bench kind: baseline, off-the-shelf or in-house
    articles: pl.DataFrame

    def index(self, articles: pl.DataFrame) -> None: ...

    def search(self, queries: Sequence[str], k: int = 10) -> list[Hits]: ...

    def save(self, path: Path) -> None: ...

    def manifest(self) -> Manifest:
        """What `save` records: system, embedder fingerprint, parameters."""
        ...

    def write(self, folder: Path) -> None:
        """Write the index's files (not its manifest) into `folder`."""
        ...


def check_articles(articles: pl.DataFrame) -> pl.DataFrame:
    """The article frame with its columns checked, in a stable order; raises on bad input."""
    missing = [c for c in ARTICLE_COLUMNS if c not in articles.columns]
    if missing:
        raise InhouseError(
            f"articles: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(ARTICLE_COLUMNS)} (see `inhouse.data.read_articles`)"
        )
    if articles.height == 0:
        raise InhouseError("articles: no rows; give at least one article to index")
    return articles.select(
        pl.col("article_id").cast(pl.String),
        pl.col("title").cast(pl.String).fill_null(""),
        pl.col("body").cast(pl.String).fill_null(""),
    )


def check_queries(queries: Sequence[str]) -> list[str]:
    """Queries as a list; an empty or blank one is a user error naming its position."""
    assert not isinstance(queries, str), "search() takes a list of queries, not one string"
    out = list(queries)
    for i, q in enumerate(out):
        if not q or not q.strip():
            raise InhouseError(f"query {i + 1} is empty; give the customer's message as text")
    return out


def rrf(rankings: Sequence[Hits], k0: float = 60.0, weights: Sequence[float] | None = None) -> Hits:
    """Reciprocal-rank fusion: each list gives `weight / (k0 + rank)` to every article in it."""
    scores: dict[str, float] = {}
    for j, hits in enumerate(rankings):
        w = 1.0 if weights is None else weights[j]
        for rank, (aid, _) in enumerate(hits):
            scores[aid] = scores.get(aid, 0.0) + w / (k0 + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def retriever_manifest(
    retriever: Any,
    parameters: dict[str, Any],
    base: Embedder | ModelRecord | None = None,
    state: dict[str, Any] | None = None,
    system: str | None = None,
) -> Manifest:
    """The manifest of an index: its system (the record that reads it back), the embedder it
    was built with, its parameters and any small state."""
    if base is not None and not isinstance(base, ModelRecord):
        base = fingerprint(base)
    return Manifest(
        workload=WORKLOAD,
        system=system or retriever.name,
        kind=retriever.kind,
        base_model=base,
        parameters=parameters,
        state=state or {},
    )


def read_index(path: Path) -> tuple[Path, Manifest]:
    """The folder and manifest of an index: its root (the live version), a version folder, or
    a part of a hybrid."""
    return artifacts.read(path, WORKLOAD)


def write_part(folder: Path, retriever: Retriever) -> None:
    """Write `retriever` (its files and manifest) into the new folder `folder`, as a part of
    the index being written around it (a hybrid's `part0/`, `part1/`...)."""
    folder.mkdir()
    retriever.write(folder)
    artifacts.write_manifest(folder, retriever.manifest())


def save_retriever(retriever: Retriever, root: Path) -> Path:
    """Write a new version of the index under `root` and make it live; returns its folder."""
    return artifacts.save(Path(root), retriever.manifest(), retriever.write)
