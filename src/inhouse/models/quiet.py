"""Third-party chatter kept out of the command line's output, with each library's own switches,
around one call: transformers' progress bars, and a named library's log notices.

    >>> with quiet_transformers():
    ...     model = SentenceTransformer(path)   # no "Loading weights" bar
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers' tqdm bars ("Loading weights", "Writing model shards") off for the call,
    then back as they were."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


class _Drop(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


@contextmanager
def dropping_log(logger: str, text: str) -> Iterator[None]:
    """Records of `logger` ("" is the root logger) whose message contains `text` are dropped
    for the call; every other record passes."""
    target, drop = logging.getLogger(logger or None), _Drop(text)
    target.addFilter(drop)
    try:
        yield
    finally:
        target.removeFilter(drop)
