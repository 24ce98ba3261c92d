"""Query cleaning: role-play and PII-only lines dropped, sentence-mean vectors, clean-hybrid."""

from __future__ import annotations

import numpy as np

from inhouse.support.retrieve import BM25Retriever, Retriever
from inhouse.support.retrieve_clean import CleanQueryRetriever
from inhouse.support.retrieve_dense import DenseRetriever
from inhouse.support.retrieve_systems import make_retriever
from inhouse.support.retrieve_text import content_sentences

from .test_retrieve import RetrieverContract, articles_frame, shared_embedder

SCENARIO = (
    "You are playing the role of a customer contacting a customer service representative. "
    "Your character is a nurse named Ann Lee. "
    "Your email is ann.lee@example.com and your phone is +44 20 7946 0958. "
    "You want to buy bitcoin with your debit card and need to know the fees. "
    "ONLY MENTION THIS if you are asked about it."
)


class TestCleanHybrid(RetrieverContract):
    @classmethod
    def make(cls) -> Retriever:
        return make_retriever("clean-hybrid", shared_embedder())


def test_content_sentences_keep_only_the_need() -> None:
    assert content_sentences(SCENARIO) == [
        "You want to buy bitcoin with your debit card and need to know the fees."
    ]


def test_a_long_sentence_that_mentions_pii_is_kept() -> None:
    text = (
        "I moved house last month and my new card was posted to the old address, so please "
        "send a replacement to me at ann.lee@example.com or tell me how to change it."
    )
    assert content_sentences(text) == [text]


def test_nothing_left_gives_the_whole_text() -> None:
    assert content_sentences("ONLY MENTION THIS if asked.") == ["ONLY MENTION THIS if asked."]


def test_cleaning_changes_what_bm25_ranks_first() -> None:
    noisy = (
        "You are currently on the line with a customer service representative about your "
        "address and your profile settings. My bitcoin purchase was charged as a cash advance."
    )
    plain, clean = BM25Retriever(), CleanQueryRetriever(BM25Retriever())
    plain.index(articles_frame())
    clean.index(articles_frame())
    assert plain.search([noisy], k=1)[0][0][0] == "address"
    assert clean.search([noisy], k=1)[0][0][0] == "crypto"


def test_sentence_mean_is_the_normalised_mean_of_sentence_vectors() -> None:
    emb = shared_embedder()
    dense = DenseRetriever(emb, chunk=False, sentence_mean=True)
    got = dense._query_vectors(["My card is lost.\nHow do I reset my PIN?"])[0]
    mean = emb.embed(["My card is lost.", "How do I reset my PIN?"]).mean(axis=0)
    assert np.allclose(got, mean / np.linalg.norm(mean), atol=1e-5)
    assert not np.allclose(got, emb.embed(["My card is lost.\nHow do I reset my PIN?"])[0])
