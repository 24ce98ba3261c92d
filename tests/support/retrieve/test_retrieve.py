"""Every retriever passes one shared test mixin over a dozen short help-center articles."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from inhouse.errors import InhouseError, ModelError
from inhouse.models.embedder import SentenceTransformerEmbedder
from inhouse.models.load import load_embedder
from inhouse.support.retrieve.base import Retriever, rrf
from inhouse.support.retrieve.bm25 import BM25Retriever
from inhouse.support.retrieve.dense import DenseRetriever
from inhouse.support.retrieve.family import FamilyRetriever, families_of
from inhouse.support.retrieve.hybrid import HybridRetriever
from inhouse.support.retrieve.registry import FAMILY_QUERY_WORDS, load_retriever, make_retriever
from inhouse.support.retrieve.tune import TuneConfig

ARTICLES = [
    (
        "card-lost",
        "Report a lost or stolen card",
        "If your debit card is lost or stolen, freeze it in the app and order a replacement card.",
    ),
    (
        "card-delivery",
        "When will my new card arrive",
        "New cards are posted within 3 working days. Delivery abroad can take up to 2 weeks.",
    ),
    (
        "pin-reset",
        "Reset your PIN",
        "## Forgotten PIN\nYou can view or reset your PIN at any cash machine or in the app.",
    ),
    (
        "transfer-intl",
        "Send money abroad",
        "International transfers use the SWIFT network. Fees depend on the currency and amount.",
    ),
    (
        "overdraft",
        "Arranged overdraft",
        "An arranged overdraft lets you borrow up to your limit. Interest is charged daily.",
    ),
    (
        "savings-rate",
        "Savings interest rates",
        "Our easy-access savings account pays a variable interest rate, credited monthly.",
    ),
    (
        "mortgage",
        "Apply for a mortgage",
        "Mortgage applications need proof of income, a deposit of at least 5 percent and ID.",
    ),
    (
        "close-account",
        "Close your current account",
        "To close an account, move your direct debits and withdraw the remaining balance first.",
    ),
    (
        "cheque",
        "Paying in a cheque",
        "Photograph the cheque in the app. Cheques clear by 23:59 on the next working day.",
    ),
    (
        "fraud",
        "Suspicious transactions and fraud",
        "If you see a payment you do not recognise, call us at once; we refund proven fraud.",
    ),
    (
        "address",
        "Change your address",
        "Update your home address in the profile settings; we post a confirmation letter.",
    ),
    (
        "crypto",
        "Cryptocurrency purchases",
        "Buying bitcoin or other cryptocurrency with your card counts as a cash advance.",
    ),
]


@cache
def shared_embedder() -> SentenceTransformerEmbedder:
    """The default embedder, loaded once for the whole module."""
    return load_embedder()


def articles_frame() -> pl.DataFrame:
    """The dozen fixture articles as an article frame (article_id, title, body)."""
    ids, titles, bodies = zip(*ARTICLES, strict=True)
    return pl.DataFrame({"article_id": ids, "title": titles, "body": bodies})


class RetrieverContract:
    """Behaviour every retriever shares; a subclass only says how to make one."""

    @classmethod
    def make(cls) -> Retriever:
        raise NotImplementedError

    def load(self, path: Path) -> Retriever:
        return load_retriever(path, embedder=shared_embedder())

    @pytest.fixture(scope="class")
    @classmethod
    def retriever(cls) -> Retriever:
        r = cls.make()
        r.index(articles_frame())
        return r

    def test_distinctive_words_rank_their_article_first(self, retriever: Retriever) -> None:
        hits = retriever.search(
            ["I want to buy bitcoin cryptocurrency with my card", "mortgage deposit income"], k=3
        )
        assert hits[0][0][0] == "crypto"
        assert hits[1][0][0] == "mortgage"

    def test_scores_descend_and_ids_unique(self, retriever: Retriever) -> None:
        hits = retriever.search(["my card was stolen"], k=5)[0]
        scores = [s for _, s in hits]
        assert scores == sorted(scores, reverse=True)
        assert len({a for a, _ in hits}) == len(hits) == 5

    def test_k_larger_than_corpus_returns_every_article_once(self, retriever: Retriever) -> None:
        hits = retriever.search(["savings interest"], k=50)[0]
        assert sorted(a for a, _ in hits) == sorted(a for a, _, _ in ARTICLES)

    def test_empty_query_is_an_error_naming_it(self, retriever: Retriever) -> None:
        with pytest.raises(InhouseError, match="query 2 is empty"):
            retriever.search(["card", "  "], k=3)

    def test_save_load_gives_identical_results(self, retriever: Retriever, tmp_path: Path) -> None:
        queries = ["reset my pin", "fees for sending money to another country"]
        retriever.save(tmp_path / "index")
        loaded = self.load(tmp_path / "index")
        assert loaded.name == retriever.name
        before, after = retriever.search(queries, k=6), loaded.search(queries, k=6)
        assert [[a for a, _ in h] for h in before] == [[a for a, _ in h] for h in after]
        for hb, ha in zip(before, after, strict=True):
            assert [s for _, s in hb] == pytest.approx([s for _, s in ha], rel=1e-5, abs=1e-6)

    def test_resave_keeps_one_live_index(self, retriever: Retriever, tmp_path: Path) -> None:
        retriever.save(tmp_path / "index")
        retriever.save(tmp_path / "index")
        assert self.load(tmp_path / "index").search(["cheque"], k=1)[0][0][0] == "cheque"


class TestBM25(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return BM25Retriever()


class TestDense(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return DenseRetriever(shared_embedder(), chunk=False)


class TestDenseChunked(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return DenseRetriever(shared_embedder(), chunk=True, max_words=8, stride=6)


class TestHybrid(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return make_retriever("hybrid", shared_embedder())


class TestBM25Bigram(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return BM25Retriever(ngrams=2)


class TestDenseNeeds(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return DenseRetriever(shared_embedder(), chunk=False, query_mode="needs")


class TestDenseNeedsChunked(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return DenseRetriever(
            shared_embedder(), chunk=True, max_words=8, stride=6, query_mode="needs"
        )


class TestNeedsHybrid(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return make_retriever("needs-hybrid", shared_embedder())


class TestTunedHybrid(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        tune = TuneConfig(batch_size=4, max_pairs=8, max_seq_length=32)
        return make_retriever("tuned-hybrid", shared_embedder(), tune=tune)

    def load(self, path: Path) -> Retriever:
        return load_retriever(path)  # the tuned model travels inside the index


class TestFamilyHybrid(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return make_retriever("family-hybrid", shared_embedder())


def test_families_come_from_a_column_or_from_ids_less_their_number() -> None:
    frame = pl.DataFrame({"article_id": ["fees-01", "fees_2", "fees", "pin"], "title": [""] * 4})
    assert families_of(frame) == {"fees-01": "fees", "fees_2": "fees", "fees": "fees", "pin": "pin"}
    named = frame.with_columns(pl.Series("family", ["a", "b", None, "b"]))
    assert families_of(named) == {"fees-01": "a", "fees_2": "b", "fees": "fees", "pin": "b"}


def test_the_first_hits_family_is_raised_with_unranked_siblings() -> None:
    class Fixed:
        name, kind, articles = "fixed", "baseline", pl.DataFrame()

        def index(self, articles: pl.DataFrame) -> None:
            self.articles = articles

        def search(self, queries: list[str], k: int = 10) -> list[list[tuple[str, float]]]:
            return [[("fees-1", 0.05), ("pin-1", 0.04), ("limits-1", 0.03)][:k] for _ in queries]

    ids = ["fees-1", "pin-1", "limits-1", "fees-2", "fees-3"]
    family = FamilyRetriever(Fixed(), top=1, weight=3.0)  # type: ignore[arg-type]
    family.index(pl.DataFrame({"article_id": ids, "title": ids, "body": ids}))
    hits = family.search(["anything"], k=5)[0]
    vote = 3.0 / 61  # weight x the first hit's family vote, 1 / (K0 + 1): above pin-1's 0.04
    assert hits[0] == ("fees-1", pytest.approx(0.05 + vote))
    assert [a for a, _ in hits[1:3]] == ["fees-2", "fees-3"]  # siblings the inner did not rank
    assert hits[1][1] == pytest.approx(vote) and [a for a, _ in hits[3:]] == ["pin-1", "limits-1"]


def test_the_bench_shares_the_hybrids_index_with_family_hybrid() -> None:
    from inhouse.datasets.types import RetrievalData, RetrievalQuery
    from inhouse.support.retrieve.evaluate import bench_retrieval

    queries = [RetrievalQuery(f"q{i}", t, [a]) for i, (t, a) in enumerate(
        [("bitcoin with my card", "crypto"), ("reset my pin", "pin-reset"),
         ("cheque clearing time", "cheque"), ("stolen card", "card-lost")]
    )]  # fmt: skip
    data = RetrievalData("fixture", articles_frame(), queries[:2], queries[2:], "fixture")
    rows = {r.name: r for r in bench_retrieval(data, ["hybrid", "family-hybrid"]).systems}
    hybrid, family = rows["hybrid"], rows["family-hybrid"]
    assert family.fit_seconds == hybrid.fit_seconds  # one index, built once
    assert family.encoder == hybrid.encoder is not None  # rows tagged by encoder alike
    assert family.metrics["mrr"] == 1.0  # each id its own family: the hybrid's order


def test_a_dense_index_can_read_only_a_messages_first_words(tmp_path: Path) -> None:
    dense = DenseRetriever(shared_embedder(), chunk=False, query_words=3)
    dense.index(articles_frame())
    long = "reset my pin please, and also tell me how cheque clearing works and what fees apply"
    assert dense.search([long], k=3) == dense.search(["reset my pin"], k=3)
    dense.save(tmp_path / "idx")
    again = load_retriever(tmp_path / "idx", embedder=shared_embedder())
    assert isinstance(again, DenseRetriever) and again.query_words == 3
    whole = dense.reading("whole", query_words=None)  # the same vectors, read whole
    assert whole._index is dense._index and whole.search([long], k=3) != dense.search([long], 3)


def test_family_hybrid_reads_the_first_words_of_a_message_in_its_dense_half() -> None:
    family = make_retriever("family-hybrid", shared_embedder())
    dense = [p for p in family.parts if isinstance(p, DenseRetriever)]
    assert [d.query_words for d in dense] == [FAMILY_QUERY_WORDS] and FAMILY_QUERY_WORDS > 0


def test_rrf_matches_hand_computed_scores() -> None:
    fused = rrf([[("a", 9.0), ("b", 1.0)], [("b", 5.0), ("c", 4.0)]], k0=1)
    assert fused[0] == ("b", pytest.approx(1 / 3 + 1 / 2))
    assert [a for a, _ in fused] == ["b", "a", "c"]


def test_loading_with_another_embedder_is_refused(tmp_path: Path) -> None:
    r = DenseRetriever(shared_embedder(), chunk=False)
    r.index(articles_frame())
    r.save(tmp_path / "index")

    class Other:
        name, dim = "other-embedder", 384

    with pytest.raises(ModelError, match="made with embedder all-MiniLM-L6-v2.*other-embedder"):
        load_retriever(tmp_path / "index", embedder=Other())  # type: ignore[arg-type]


def test_manifest_names_the_embedder(tmp_path: Path) -> None:
    r = make_retriever("hybrid", shared_embedder())
    r.index(articles_frame())
    r.save(tmp_path / "index")
    live = (tmp_path / "index" / "current").read_text().strip()
    manifest = json.loads((tmp_path / "index" / live / "manifest.json").read_text())
    assert manifest["base_model"] == shared_embedder().fingerprint().model_dump()
    assert manifest["system"] == "hybrid" and manifest["parameters"]["k0"] == 10.0
    part = json.loads((tmp_path / "index" / live / "part1" / "manifest.json").read_text())
    assert part["system"] == "dense" and part["base_model"] == manifest["base_model"]


def test_missing_columns_are_named() -> None:
    with pytest.raises(InhouseError, match="missing column\\(s\\) body"):
        BM25Retriever().index(pl.DataFrame({"article_id": ["a"], "title": ["t"]}))


def test_hybrid_of_one_part_ranks_as_that_part() -> None:
    bm, hy = BM25Retriever(), HybridRetriever([BM25Retriever()])
    bm.index(articles_frame())
    hy.index(articles_frame())
    q = ["overdraft interest borrow limit"]
    assert [a for a, _ in bm.search(q, 5)[0]] == [a for a, _ in hy.search(q, 5)[0]]
