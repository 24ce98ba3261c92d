"""BM25 over the help center: quiet on the command line."""

from __future__ import annotations

import logging

import pytest


def test_bm25_indexing_logs_no_debug_lines(caplog: pytest.LogCaptureFixture) -> None:
    from inhouse.support.retrieve.bm25 import BM25Retriever
    from tests.support.retrieve.test_retrieve import articles_frame

    with caplog.at_level(logging.DEBUG):
        BM25Retriever().index(articles_frame())
    assert not [r for r in caplog.records if r.name.startswith("bm25s")]
