"""Query cleaning in front of any retriever: only the sentences of a message that state a need.

`CleanQueryRetriever(base).clean("You are playing the role of a customer. My card is lost.")`
gives "My card is lost.", which is what `base` searches.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from inhouse.models.embedder import Embedder
from inhouse.support.retrieve import (
    Hits,
    Retriever,
    _embedder_of,
    _read,
    _write_manifest,
    check_queries,
    read_manifest,
    save_retriever,
)
from inhouse.support.retrieve_text import ROLE_PLAY, content_sentences


class CleanQueryRetriever:
    """Drops boilerplate and PII-only sentences from each query, then asks `base`.

    The kept sentences go to `base` one per line, so a `DenseRetriever(sentence_mean=True)`
    inside sees them as separate sentences.
    """

    def __init__(
        self,
        base: Retriever,
        name: str | None = None,
        kind: str = "in-house",
        boilerplate: str = ROLE_PLAY,
        pii_words: int = 12,
    ) -> None:
        self.base = base
        self.name = name or f"{base.name}+clean"
        self.kind, self.boilerplate, self.pii_words = kind, boilerplate, pii_words
        self.articles = base.articles

    def clean(self, query: str) -> str:
        """The query as `base` sees it: its content sentences, one per line."""
        return "\n".join(content_sentences(query, self.boilerplate, self.pii_words))

    def index(self, articles: pl.DataFrame) -> None:
        self.base.index(articles)
        self.articles = self.base.articles

    def search(self, queries: Sequence[str], k: int = 10) -> list[Hits]:
        return self.base.search([self.clean(q) for q in check_queries(queries)], k)

    def save(self, path: Path) -> None:
        save_retriever(self, path)

    def write(self, folder: Path) -> None:
        (folder / "base").mkdir()
        self.base.write(folder / "base")
        self.articles.write_parquet(folder / "articles.parquet")
        _write_manifest(
            folder,
            "clean",
            name=self.name,
            kind=self.kind,
            boilerplate=self.boilerplate,
            pii_words=self.pii_words,
            embedder=_embedder_of(self.base),
        )

    @classmethod
    def read(cls, folder: Path, embedder: Embedder | None = None) -> CleanQueryRetriever:
        m = read_manifest(folder)
        return cls(
            _read(folder / "base", embedder),
            name=m["name"],
            kind=m["kind"],
            boilerplate=m["boilerplate"],
            pii_words=m["pii_words"],
        )
