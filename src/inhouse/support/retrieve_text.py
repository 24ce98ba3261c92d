"""Text shaping for retrieval: long articles into passages, long messages into their needs.

>>> split_needs("My card is lost. Also, how do I raise my limit?")
['My card is lost.', 'Also, how do I raise my limit?']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"\n(?=#{1,6} )")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_WORD = re.compile(r"\S+")


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


# Sentences that speak to a role-player (or about them) rather than state a need. The list was
# written from the 30 bank-help-center dev scenarios only; a company extends it with its own.
ROLE_PLAY = (
    r"playing the role|role of the customer|your character|customer service representative"
    r"|on the line with|don't dump|do not dump|additional details|never respond as"
    r"|only mention this|no need to respond|ask for instructions|end the conversation"
    r"|take your business elsewhere|information you should provide|you have access to a tool"
    r"|named [a-z]"
)


def content_sentences(text: str, boilerplate: str = ROLE_PLAY, pii_words: int = 12) -> list[str]:
    """The sentences of `text` that carry a need: boilerplate and PII-dominated ones dropped.

    A sentence is boilerplate when it matches `boilerplate` (a regex, matched
    case-insensitively); it is PII-dominated when `inhouse.support.redact` finds
    something in it and it has fewer than `pii_words` words (a line of verification details).
    When nothing is left the whole text comes back, so a query is never empty.
    """
    from inhouse.support.redact import redact

    role = re.compile(boilerplate, re.IGNORECASE)
    out = []
    for sentence in split_needs(text):
        if role.search(sentence):
            continue
        redacted, found = redact(sentence)
        if found and len(_WORD.findall(redacted)) < pii_words:
            continue
        out.append(sentence)
    return out or [text.strip()]
