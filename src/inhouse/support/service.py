"""The support workload as one long-lived service: route, answer and suggest for many messages.

>>> service = SupportService(router_dir=Path("router"), index_dir=Path("help-index"))
>>> service.route("my card has not arrived").intent
'card_arrival'
>>> service.ask("my card has not arrived").escalate
False
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inhouse.errors import ConfigError, InhouseError
from inhouse.generate.base import Generator
from inhouse.support.answer.answerer import Answer, Answerer
from inhouse.support.answer.suggest import Suggester, Suggestion
from inhouse.support.retrieve.base import Retriever
from inhouse.support.route.base import MAX_CHARS, OUT_OF_SCOPE, Router

# A hard limit on one message, in characters: about 3,000 words, ten times what the router
# reads (`MAX_CHARS`; longer messages are routed on their opening, with a note). Anything
# longer is a pasted file or thread, not a customer's message, and is refused rather than
# cut so that a server never spends seconds embedding it.
MAX_MESSAGE_CHARS = 20_000


def check_message(text: object) -> str:
    """One customer message as text; bytes must be UTF-8. Bad input is an `InhouseError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InhouseError(
                f"the message is not UTF-8 text (byte {e.start}); send the customer's words"
            ) from None
    if not isinstance(text, str):
        raise InhouseError(f"the message is not text (got {type(text).__name__})")
    if "\x00" in text:
        raise InhouseError("the message contains NUL bytes; it looks like a binary file, not text")
    if not text.strip():
        raise InhouseError(
            'the message is empty; give the customer\'s words, e.g. "my card is lost"'
        )
    if len(text) > MAX_MESSAGE_CHARS:
        raise InhouseError(
            f"the message has {len(text):,} characters, more than the limit of "
            f"{MAX_MESSAGE_CHARS:,}; send the customer's own message, not a file or thread"
        )
    return text


@dataclass(frozen=True)
class Route:
    """One routed message."""

    intent: str
    confidence: float
    out_of_scope: bool
    truncated_from: int | None  # original length in characters when the message was cut


class SupportService:
    """A router and/or a help-center index (and a suggester), loaded once, for many messages.

    Thread-safe: each request holds one lock. The models share state that is not safe
    across threads: Hugging Face fast tokenizers ("Already borrowed" when two threads encode
    at once), embedders' lazily hashed fingerprints, the answerer's embedded BM25 passages.
    Run one process per core to serve in parallel.
    """

    def __init__(
        self,
        router_dir: Path | None = None,
        index_dir: Path | None = None,
        suggester_dir: Path | None = None,
    ) -> None:
        from inhouse.support.retrieve.registry import load_retriever
        from inhouse.support.route.registry import load_router

        if router_dir is None and index_dir is None and suggester_dir is None:
            raise ConfigError("give a router folder, an index folder or a suggester folder")
        self._setup(
            load_router(Path(router_dir)) if router_dir is not None else None,
            load_retriever(Path(index_dir)) if index_dir is not None else None,
            Suggester.load(Path(suggester_dir)) if suggester_dir is not None else None,
        )

    @classmethod
    def of(
        cls,
        router: Router | None = None,
        retriever: Retriever | None = None,
        suggester: Suggester | None = None,
        generator: Generator | None = None,
    ) -> SupportService:
        """A service over parts already in memory (tests, bake-offs, a generator)."""
        service = cls.__new__(cls)
        service._setup(router, retriever, suggester, generator)
        return service

    def _setup(
        self,
        router: Router | None,
        retriever: Retriever | None,
        suggester: Suggester | None,
        generator: Generator | None = None,
    ) -> None:
        self.router, self.suggester = router, suggester
        self.answerer = (
            Answerer(retriever, router=router, suggester=suggester, generator=generator)
            if retriever is not None
            else None
        )
        self._lock = threading.Lock()

    def route(self, text: object) -> Route:
        """Route one message; past `MAX_CHARS` it is routed on its opening (`truncated_from`)."""
        return self.route_many([text])[0]

    def route_many(self, texts: Sequence[object]) -> list[Route]:
        """Route several messages in one `predict` call (as `route` routes each)."""
        if self.router is None:
            raise ConfigError("routing needs a router: load one with `--router DIR`")
        checked = [check_message(text) for text in texts]
        with self._lock:
            labels, conf = self.router.predict([text[:MAX_CHARS] for text in checked])
        return [
            Route(label, float(c), label == OUT_OF_SCOPE, len(t) if len(t) > MAX_CHARS else None)
            for label, c, t in zip(labels, conf, checked, strict=True)
        ]

    def ask(self, question: object) -> Answer:
        """Answer one message from the help center, with citations (see `Answerer.ask`)."""
        if self.answerer is None:
            raise ConfigError("answers need a help-center index: build one with `support index`")
        question = check_message(question)
        with self._lock:
            return self.answerer.ask(question)

    def suggest(self, text: object, k: int = 3) -> list[Suggestion]:
        """The `k` closest past tickets and how each was resolved."""
        if self.suggester is None:
            raise ConfigError("suggestions need a suggester folder (`Suggester.save`)")
        text = check_message(text)
        with self._lock:
            return self.suggester.suggest([text], k=k)[0]
