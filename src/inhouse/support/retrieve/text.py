"""Text shaping for retrieval: articles into passages, messages into needs, text into terms.

>>> split_needs("My card is lost. Also, how do I raise my limit?")
['My card is lost.', 'Also, how do I raise my limit?']
>>> terms("Close my Silver Account.", ngrams=2)
['close', 'my', 'silver', 'account', 'close_my', 'my_silver', 'silver_account']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"\n(?=#{1,6} )")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_WORD = re.compile(r"\S+")
_TERM = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern
_PHRASE_BREAK = re.compile(r"[\n.!?;:]+")


@dataclass(frozen=True)
class Passage:
    """A piece of one article: what gets embedded, and what an answer cites."""

    article_id: str
    title: str
    text: str


def chunk_article(
    article_id: str, title: str, body: str, max_words: int = 150, stride: int = 100
) -> list[Passage]:
    """Split an article at its headings, then into overlapping windows of at most `max_words`.

    Every passage starts with the article title so that it stands on its own. The embedder
    truncates at `max_seq_length` word pieces (256 for all-MiniLM-L6-v2, about 150-190 words),
    so a whole long article would be embedded from its first part only.
    """
    assert max_words > 0 and 0 < stride <= max_words, "need 0 < stride <= max_words"
    pieces: list[str] = []
    for section in _HEADING.split(body):
        words = _WORD.findall(section)
        if not words:
            continue
        if len(words) <= max_words:
            pieces.append(section.strip())
            continue
        for start in range(0, len(words), stride):
            pieces.append(" ".join(words[start : start + max_words]))
            if start + max_words >= len(words):
                break
    if not pieces:
        pieces = [""]
    return [Passage(article_id, title, f"{title}\n{p}".strip()) for p in pieces]


def split_needs(text: str, min_words: int = 3) -> list[str]:
    """Split a customer message into its sentences, the unit of one need.

    Fragments shorter than `min_words` words are merged into the next sentence. A message with
    no sentence boundary comes back whole.
    """
    out: list[str] = []
    carry = ""
    for part in _SENTENCE.split(text):
        part = part.strip()
        if not part:
            continue
        part = f"{carry} {part}".strip() if carry else part
        if len(_WORD.findall(part)) < min_words:
            carry = part
            continue
        out.append(part)
        carry = ""
    if carry:
        if out:
            out[-1] = f"{out[-1]} {carry}"
        else:
            out.append(carry)
    return out or [text.strip()]


def terms(text: str, ngrams: int = 1, stopwords: frozenset[str] | None = None) -> list[str]:
    """Lower-cased word terms of `text` with stop words dropped, plus word n-grams up to `ngrams`.

    N-grams join adjacent kept words with `_` and never cross a sentence or line break, so
    "Silver Account" gives `silver_account` and a product name matches as a phrase. Stop words
    default to bm25s's English list.
    """
    assert ngrams in (1, 2), "ngrams is 1 (words) or 2 (words and word pairs)"
    if stopwords is None:
        stopwords = _english_stopwords()
    out: list[str] = []
    pairs: list[str] = []
    for phrase in _PHRASE_BREAK.split(text.lower()):
        words = [w for w in _TERM.findall(phrase) if w not in stopwords]
        out.extend(words)
        if ngrams == 2:
            pairs.extend(f"{a}_{b}" for a, b in zip(words, words[1:], strict=False))
    return out + pairs


def _english_stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)
