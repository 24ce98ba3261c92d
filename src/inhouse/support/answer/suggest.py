"""Response suggestion: past tickets nearest to a new message, and how they were resolved.

    >>> s = Suggester()
    >>> s.fit(tickets)                        # ticket_id, text, intent, resolution
    >>> s.suggest(["how do I cancel my order?"], k=3)[0][0].intent
    'cancel_order'

Neighbours vote for an intent with their similarities; the suggestions are the best-matching
past resolution of each intent, most-voted intent first, so the top few cover alternatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inhouse import artifacts
from inhouse.artifacts import Manifest
from inhouse.errors import InhouseError
from inhouse.models.embedder import Embedder, fingerprint
from inhouse.models.load import load_embedder, load_embedder_for
from inhouse.support.retrieve.base import check_queries

TICKET_COLUMNS = ("ticket_id", "text", "intent", "resolution")
WORKLOAD = "support-responses"  # the manifest's workload; see `inhouse.artifacts`


@dataclass(frozen=True)
class Suggestion:
    """A past resolution offered for a new message."""

    ticket_id: str
    intent: str
    response: str
    score: float


class Suggester:
    """Nearest past questions by embedding (or TF-IDF), then their resolutions."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        neighbours: int = 10,
        tfidf: bool = False,
        name: str | None = None,
        kind: str | None = None,
    ) -> None:
        self.embedder = embedder
        self.neighbours, self.tfidf = neighbours, tfidf
        self.name = name or ("tfidf-knn" if tfidf else f"knn-vote{neighbours}")
        self.kind = kind or ("baseline" if tfidf else "off-the-shelf")
        self.tickets = pl.DataFrame(schema=dict.fromkeys(TICKET_COLUMNS, pl.String))
        self._vectors: Any = None
        self._vectorizer: Any = None

    def fit(self, tickets: pl.DataFrame) -> None:
        """Index past tickets (ticket_id, text, intent, resolution); rows lacking one drop."""
        missing = [c for c in TICKET_COLUMNS if c not in tickets.columns]
        if missing:
            raise InhouseError(
                f"tickets: missing column(s) {', '.join(missing)}; "
                f"expected {', '.join(TICKET_COLUMNS)}"
            )
        self.tickets = tickets.select(TICKET_COLUMNS).drop_nulls(["text", "resolution"])
        if self.tickets.height == 0:
            raise InhouseError("tickets: no row has both a text and a resolution")
        self._vectors = self._embed_corpus(self.tickets["text"].to_list())

    def _embed_corpus(self, texts: list[str]) -> Any:
        if self.tfidf:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
            return self._vectorizer.fit_transform(texts)
        if self.embedder is None:
            self.embedder = load_embedder()
        return self.embedder.embed(texts)

    def _similarities(self, texts: list[str]) -> np.ndarray:
        if self.tfidf:
            return np.asarray((self._vectorizer.transform(texts) @ self._vectors.T).todense())
        assert self.embedder is not None
        sims: np.ndarray = self.embedder.embed(texts) @ self._vectors.T
        return sims

    def suggest(self, texts: Sequence[str], k: int = 5) -> list[list[Suggestion]]:
        """Up to `k` suggestions per message, one per intent, best first."""
        assert self._vectors is not None, "fit() or load() the suggester first"
        texts = check_queries(texts)
        sims = self._similarities(texts)
        n = min(self.neighbours, sims.shape[1])
        intents = self.tickets["intent"].to_list()
        out: list[list[Suggestion]] = []
        for row in sims:
            top = np.argsort(-row, kind="stable")[: max(n, 5 * k)]
            votes: dict[str, float] = {}
            best: dict[str, int] = {}
            for rank, j in enumerate(top):
                intent = intents[j]
                if rank < n:
                    votes[intent] = votes.get(intent, 0.0) + float(row[j])
                best.setdefault(intent, int(j))
            order = sorted(best, key=lambda i: (-votes.get(i, 0.0), -float(row[best[i]])))
            out.append([self._suggestion(best[i], float(row[best[i]])) for i in order[:k]])
        return out

    def _suggestion(self, j: int, score: float) -> Suggestion:
        t = self.tickets.row(j, named=True)
        return Suggestion(str(t["ticket_id"]), str(t["intent"]), str(t["resolution"]), score)

    def save(self, root: Path) -> Path:
        """A new version under `root`: tickets, vectors, and a manifest naming the embedder."""
        if self.tfidf:
            raise InhouseError("a TF-IDF suggester is a bench baseline and is not saved")
        assert self.embedder is not None, "fit() before save()"
        manifest = Manifest(
            workload=WORKLOAD,
            system=self.name,
            kind=self.kind,
            base_model=fingerprint(self.embedder),
            parameters={"neighbours": self.neighbours, "name": self.name, "kind": self.kind},
        )

        def write(folder: Path) -> None:
            self.tickets.write_parquet(folder / "tickets.parquet")
            np.save(folder / "vectors.npy", self._vectors)

        return artifacts.save(Path(root), manifest, write)

    @classmethod
    def load(cls, root: Path, embedder: Embedder | None = None) -> Suggester:
        """Load the live version under `root`; another embedder than the one used is refused,
        and without one that one is loaded by its registry name."""
        folder, manifest = artifacts.read(Path(root), WORKLOAD)
        return cls.read(folder, embedder, manifest)

    @classmethod
    def read(cls, folder: Path, embedder: Embedder | None, manifest: Manifest) -> Suggester:
        """A saved suggester from its version `folder` and `manifest`."""
        what = f"the suggester at {folder}"
        embedder = load_embedder_for(manifest.base_model, what, embedder)
        s = cls(embedder, **manifest.parameters)
        s.tickets = pl.read_parquet(folder / "tickets.parquet")
        s._vectors = np.load(folder / "vectors.npy")
        return s
