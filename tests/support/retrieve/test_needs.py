"""Long multi-need messages: word-pair BM25 terms, need-by-need dense scores, needs-hybrid."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from inhouse.support.retrieve.bm25 import BM25Retriever
from inhouse.support.retrieve.dense import DenseRetriever
from inhouse.support.retrieve.registry import make_retriever
from inhouse.support.retrieve.text import split_needs, terms

from .test_retrieve import articles_frame, shared_embedder

# Two needs in a long message padded with chatter: the second need is far past the opening.
LONG = (
    "You are playing the role of a customer who is calm but busy today. "
    "Only give details when you are asked for them. "
    "Say hello and wait for the agent to greet you. "
    "Never respond as if you were the agent yourself. "
    "If the agent is slow, stay patient and polite. "
    * 8
    + "Your debit card was stolen yesterday and you need it frozen. "
    "You also want to photograph a cheque and pay it in."
)


def test_terms_pair_adjacent_words_within_a_sentence_only() -> None:
    assert terms("Close the Silver Account. Gold card", ngrams=2) == [
        "close",
        "silver",
        "account",
        "gold",
        "card",
        "close_silver",
        "silver_account",
        "gold_card",
    ]
    assert terms("Close the Silver Account. Gold card") == [
        "close",
        "silver",
        "account",
        "gold",
        "card",
    ]


def test_word_pairs_rank_the_phrase_above_its_scattered_words() -> None:
    import polars as pl

    articles = pl.DataFrame(
        {
            "article_id": ["phrase", "scattered"],
            "title": ["Savings", "Savings"],
            "body": [
                "The gold account pays interest monthly at a variable rate set by the bank.",
                "Account holders earn gold points. Account interest is paid monthly in gold.",
            ],
        }
    )
    for ngrams, first in ((1, "scattered"), (2, "phrase")):
        bm25 = BM25Retriever(ngrams=ngrams)
        bm25.index(articles)
        hits = bm25.search(["interest on my gold account"], k=2)[0]
        assert hits[0][0] == first, (ngrams, hits)


def test_needs_score_is_the_soft_maximum_over_sentences() -> None:
    emb = shared_embedder()
    dense = DenseRetriever(emb, chunk=False, query_mode="needs", temperature=10.0)
    dense.index(articles_frame())
    query = "My card is lost.\nHow do I reset my PIN?"
    scores = dense._needs_scores(query)
    articles = emb.embed([f"{t}\n{b}" for t, b in articles_frame().select("title", "body").rows()])
    cos = articles @ emb.embed(split_needs(query)).T
    expected = np.log(np.exp(10.0 * cos).sum(axis=1)) / 10.0
    assert np.allclose(scores, expected, atol=1e-4)
    assert np.all(scores >= cos.max(axis=1) - 1e-6)


def test_needs_mode_finds_a_need_that_whole_mode_cannot_see() -> None:
    emb = shared_embedder()
    whole = DenseRetriever(emb, chunk=False, query_mode="whole")
    whole.index(articles_frame())
    needs = whole.reading("needs")
    assert needs.query_mode == "needs" and whole.query_mode == "whole"
    top_needs = needs.search([LONG], k=2)[0]
    top_whole = whole.search([LONG], k=2)[0]
    assert {a for a, _ in top_needs} == {"cheque", "card-lost"}
    assert {a for a, _ in top_whole} != {"cheque", "card-lost"}
    assert top_whole[0][1] < 0.3 < 0.7 < top_needs[1][1]  # whole reads only the chatter


def test_needs_hybrid_puts_both_needs_of_a_long_message_in_its_top_three() -> None:
    r = make_retriever("needs-hybrid", shared_embedder())
    r.index(articles_frame())
    top = [a for a, _ in r.search([LONG], k=3)[0]]
    assert {"cheque", "card-lost"} <= set(top), top


def test_bad_query_mode_is_refused() -> None:
    mode: Any = "sum"
    with pytest.raises(AssertionError, match="query_mode"):
        DenseRetriever(shared_embedder(), query_mode=mode)


def test_joined_queries_merge_texts_and_relevant_sets_reproducibly() -> None:
    from inhouse.datasets.types import RetrievalQuery
    from inhouse.support.retrieve.evaluate import joined_queries

    qs = [RetrievalQuery(f"q{i}", f"text {i}", [f"a{i}", "shared"]) for i in range(5)]
    joined = joined_queries(qs, size=3, count=4, seed=7)
    assert joined == joined_queries(qs, size=3, count=4, seed=7)
    for q in joined:
        parts = q.query_id.split("+")
        assert len(set(parts)) == 3
        assert q.text == "\n\n".join(f"text {p[1:]}" for p in parts)
        assert q.relevant == sorted({f"a{p[1:]}" for p in parts} | {"shared"})
