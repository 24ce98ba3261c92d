"""`hybrid`: reciprocal-rank fusion of several retrievers over the same articles."""

from __future__ import annotations

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
    rrf,
    save_retriever,
    write_part,
)


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

    def manifest(self) -> Manifest:
        """Its parts' manifests go in `part0/`, `part1/`...; its base model is its first part's."""
        bases = [p.manifest().base_model for p in self.parts]
        base = next((b for b in bases if b is not None), None)
        parameters = {"name": self.name, "kind": self.kind, "k0": self.k0, "depth": self.depth}
        return retriever_manifest(self, parameters, base, state={"parts": len(self.parts)})

    def write(self, folder: Path) -> None:
        for i, part in enumerate(self.parts):
            write_part(folder / f"part{i}", part)
        self.articles.write_parquet(folder / "articles.parquet")

    @classmethod
    def read(
        cls,
        folder: Path,
        embedder: Embedder | None,
        manifest: Manifest,
        read_part: Callable[[Path, Embedder | None], Retriever],
    ) -> HybridRetriever:
        """Read a saved hybrid; `read_part(folder, embedder)` reads each of its parts."""
        parts = [read_part(folder / f"part{i}", embedder) for i in range(manifest.state["parts"])]
        return cls(parts, **manifest.parameters)
