"""Help-center retrieval: one `Retriever` protocol for BM25, dense, hybrid and multi-need search.

    >>> r = make_retriever("hybrid")      # inhouse.support.retrieve_systems
    >>> r.index(articles)                 # polars frame: article_id, title, body
    >>> r.search(["my card has not arrived"], k=5)[0][0]
    ('card-delivery', 0.032)
    >>> r.save(Path("index")); load_retriever(Path("index")).name
    'hybrid'

An index folder is versioned (`inhouse.files.write_version`): a crash mid-save leaves the old
index live. Each folder holds `manifest.json` (system, embedder, parameters) and its files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import polars as pl

from inhouse.errors import InhouseError, ModelError
from inhouse.files import atomic_write_text, current_version, write_version
from inhouse.models.embedder import Embedder
from inhouse.support.retrieve_text import terms

Hits = list[tuple[str, float]]
ARTICLE_COLUMNS = ("article_id", "title", "body")
MANIFEST = "manifest.json"


@runtime_checkable
class Retriever(Protocol):
    """Ranks help-center articles for customer messages."""

    name: str
    kind: str  # bench kind: baseline, off-the-shelf or in-house
    articles: pl.DataFrame

    def index(self, articles: pl.DataFrame) -> None: ...

    def search(self, queries: Sequence[str], k: int = 10) -> list[Hits]: ...

    def save(self, path: Path) -> None: ...

    def write(self, folder: Path) -> None: ...


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
    if isinstance(queries, str):
        raise TypeError("search() takes a list of queries, not one string")
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


def _write_manifest(folder: Path, system: str, **fields: Any) -> None:
    atomic_write_text(folder / MANIFEST, json.dumps({"system": system, **fields}, indent=2) + "\n")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an index folder (or of the live version under an index root)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InhouseError(
            f"{folder}: not an index folder (no {MANIFEST}); "
            "build one with `inhouse support index --articles FILE --out DIR`"
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def save_retriever(retriever: Retriever, root: Path) -> Path:
    """Write a new version of the index under `root` and make it live; returns its folder."""
    return write_version(Path(root), retriever.write)


class BM25Retriever:
    """Okapi BM25 over title + body (`bm25s`, English stop words removed).

    With `ngrams=2` adjacent word pairs are terms too, so multi-word product names ("Silver
    Account", "Business Gold Rewards Card") match as phrases rather than as common words.
    """

    kind = "baseline"

    def __init__(self, ngrams: int = 1, name: str | None = None) -> None:
        assert ngrams in (1, 2), "ngrams is 1 (words) or 2 (words and word pairs)"
        self.ngrams = ngrams
        self.name = name or ("bm25" if ngrams == 1 else "bm25-bigram")
        self.articles = pl.DataFrame(schema=dict.fromkeys(ARTICLE_COLUMNS, pl.String))
        self._ids: list[str] = []
        self._model: Any = None

    def index(self, articles: pl.DataFrame) -> None:
        import bm25s

        self.articles = check_articles(articles)
        self._ids = self.articles["article_id"].to_list()
        texts = [
            f"{t}\n{b}" for t, b in zip(self.articles["title"], self.articles["body"], strict=True)
        ]
        self._model = bm25s.BM25()
        self._model.index([terms(t, self.ngrams) for t in texts], show_progress=False)

    def search(self, queries: Sequence[str], k: int = 10) -> list[Hits]:
        assert self._model is not None, "index() or load() the retriever before search()"
        vocab = self._model.vocab_dict
        out: list[Hits] = []
        for q in check_queries(queries):
            tokens = [t for t in terms(q, self.ngrams) if t in vocab]
            scores = self._model.get_scores(tokens) if tokens else np.zeros(len(self._ids))
            top = np.argsort(-scores, kind="stable")[:k]
            out.append([(self._ids[j], float(scores[j])) for j in top])
        return out

    def save(self, path: Path) -> None:
        save_retriever(self, path)

    def write(self, folder: Path) -> None:
        self._model.save(str(folder / "bm25"), show_progress=False)
        self.articles.write_parquet(folder / "articles.parquet")
        _write_manifest(folder, "bm25", name=self.name, ngrams=self.ngrams, embedder=None)

    @classmethod
    def read(cls, folder: Path, embedder: Embedder | None = None) -> BM25Retriever:
        import bm25s

        m = read_manifest(folder)
        r = cls(ngrams=m.get("ngrams", 1), name=m.get("name"))
        r.articles = pl.read_parquet(folder / "articles.parquet")
        r._ids = r.articles["article_id"].to_list()
        r._model = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        return r


class HybridRetriever:
    """Reciprocal-rank fusion of several retrievers over the same articles."""

    kind = "off-the-shelf"

    def __init__(
        self,
        parts: Sequence[Retriever],
        name: str = "hybrid",
        k0: float = 60.0,
        depth: int = 100,
        kind: str = "off-the-shelf",
    ) -> None:
        assert parts, "a hybrid needs at least one retriever"
        self.parts = list(parts)
        self.name, self.k0, self.depth, self.kind = name, k0, depth, kind
        self.articles = self.parts[0].articles

    def index(self, articles: pl.DataFrame) -> None:
        for part in self.parts:
            part.index(articles)
        self.articles = self.parts[0].articles

    def search(self, queries: Sequence[str], k: int = 10) -> list[Hits]:
        queries = check_queries(queries)
        depth = max(self.depth, k)
        lists = [part.search(queries, depth) for part in self.parts]
        return [rrf([ls[i] for ls in lists], self.k0)[:k] for i in range(len(queries))]

    def save(self, path: Path) -> None:
        save_retriever(self, path)

    def write(self, folder: Path) -> None:
        for i, part in enumerate(self.parts):
            sub = folder / f"part{i}"
            sub.mkdir()
            part.write(sub)
        self.articles.write_parquet(folder / "articles.parquet")
        _write_manifest(
            folder,
            "hybrid",
            name=self.name,
            kind=self.kind,
            k0=self.k0,
            depth=self.depth,
            parts=len(self.parts),
            embedder=_embedder_of(self),
        )

    @classmethod
    def read(cls, folder: Path, embedder: Embedder | None = None) -> HybridRetriever:
        m = read_manifest(folder)
        parts = [_read(folder / f"part{i}", embedder) for i in range(m["parts"])]
        return cls(parts, name=m["name"], k0=m["k0"], depth=m["depth"], kind=m["kind"])


def _embedder_of(r: Any) -> str | None:
    """The embedder name a retriever (or any of its parts) uses, if any."""
    if getattr(r, "embedder", None) is not None:
        return str(r.embedder.name)
    for part in [*getattr(r, "parts", []), getattr(r, "base", None)]:
        if part is not None and (name := _embedder_of(part)):
            return name
    return None


def _read(folder: Path, embedder: Embedder | None) -> Retriever:
    from inhouse.support.retrieve_dense import DenseRetriever

    system = read_manifest(folder)["system"]
    readers: dict[str, Any] = {
        "bm25": BM25Retriever.read,
        "dense": DenseRetriever.read,
        "hybrid": HybridRetriever.read,
    }
    if system not in readers:
        raise InhouseError(f"{folder}/{MANIFEST}: unknown system {system!r}; rebuild the index")
    reader = readers[system]
    retriever: Retriever = reader(folder, embedder)
    return retriever


def load_retriever(root: Path, embedder: Embedder | None = None) -> Retriever:
    """Load the live index under `root` (written by `save`).

    Passing an `embedder` other than the one the index was built with is refused.
    """
    root = Path(root)
    folder = current_version(root) or root
    manifest = read_manifest(folder)
    built = manifest.get("embedder")
    if embedder is not None and built is not None and embedder.name != built:
        raise ModelError(
            f"{root}: index was built with embedder {built!r}, not {embedder.name!r}; "
            f"load it with {built!r} or rebuild the index with {embedder.name!r}"
        )
    return _read(folder, embedder)
