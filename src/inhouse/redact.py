"""PII redaction before text is logged or sent to a generator: emails, phones, cards, IBANs.

    >>> redact("card 4111 1111 1111 1111, mail jo@example.com")
    ('card [CARD], mail [EMAIL]', [Finding(kind='CARD', ...), Finding(kind='EMAIL', ...)])

Phones come from `phonenumbers`, cards are checked with the Luhn digit (`stdnum.luhn`), IBANs
with `stdnum.iban`; a company adds its own patterns in `Settings.pii_patterns`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from stdnum import iban, luhn

from inhouse.errors import ConfigError

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# 13-19 digits, optionally in groups split by single spaces or dashes.
CARD = re.compile(r"(?<![\w\-])\d(?:[ \-]?\d){12,18}(?![\w\-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", re.IGNORECASE)
CARD_PREFIXES = ("2", "3", "4", "5", "6")  # issuer ranges of Mastercard, Amex, Visa, Discover...


@dataclass(frozen=True)
class Finding:
    """One redacted span of the original text (the value itself is never kept)."""

    kind: str
    start: int
    end: int


def _card_grouping(candidate: str) -> bool:
    """Unbroken, or grouped as cards are printed: 4-4-4-4(-3), 4-4-4-3, Amex 4-6-5, Diners 4-6-4."""
    groups = [len(g) for g in re.split(r"[ \-]", candidate)]
    if len(groups) == 1 or groups in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(g == 4 for g in groups[:-1]) and 3 <= groups[-1] <= 4


def _cards(text: str) -> list[Finding]:
    out = []
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if (
            13 <= len(digits) <= 19
            and digits.startswith(CARD_PREFIXES)
            and _card_grouping(m.group())
            and luhn.is_valid(digits)
        ):
            out.append(Finding("CARD", m.start(), m.end()))
    return out


def _ibans(text: str) -> list[Finding]:
    out = []
    for m in IBAN.finditer(text):
        candidate = m.group()
        # the pattern is greedy; try shorter endings so a trailing word does not spoil a match
        for end in range(len(candidate), 14, -1):
            if iban.is_valid(candidate[:end].upper()):
                out.append(Finding("IBAN", m.start(), m.start() + len(candidate[:end].rstrip())))
                break
    return out


def _emails(text: str) -> list[Finding]:
    return [Finding("EMAIL", m.start(), m.end()) for m in EMAIL.finditer(text)]


def _phones(text: str, region: str) -> list[Finding]:
    matcher = phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.STRICT_GROUPING
    )
    return [Finding("PHONE", m.start, m.end) for m in matcher]


class Redactor:
    """Finds PII spans and replaces each with `[KIND]`. Earlier detectors win overlaps."""

    def __init__(self, patterns: Mapping[str, str] | None = None, region: str = "US") -> None:
        self.region = region
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        for label, pattern in (patterns or {}).items():
            try:
                self.patterns.append((label.upper(), re.compile(pattern)))
            except re.error as e:
                raise ConfigError(
                    f"pii_patterns.{label}: not a valid regular expression ({e}); "
                    "fix it in inhouse.toml or INHOUSE_PII_PATTERNS"
                ) from None

    def find(self, text: str) -> list[Finding]:
        """Non-overlapping findings in text order."""
        candidates = [
            *_emails(text),
            *_ibans(text),
            *_cards(text),
            *(Finding(k, m.start(), m.end()) for k, p in self.patterns for m in p.finditer(text)),
            *_phones(text, self.region),
        ]
        taken: list[Finding] = []
        for f in candidates:  # priority = list order above
            if f.end > f.start and all(f.end <= t.start or f.start >= t.end for t in taken):
                taken.append(f)
        return sorted(taken, key=lambda f: f.start)

    def redact(self, text: str) -> tuple[str, list[Finding]]:
        """`text` with every finding replaced by its placeholder, and the findings."""
        findings = self.find(text)
        parts, last = [], 0
        for f in findings:
            parts.append(text[last : f.start])
            parts.append(f"[{f.kind}]")
            last = f.end
        parts.append(text[last:])
        return "".join(parts), findings


@lru_cache(maxsize=1)
def default_redactor() -> Redactor:
    """The redactor with the company's `pii_patterns` from settings."""
    from inhouse.settings import get_settings

    return Redactor(get_settings().pii_patterns)


def redact(text: str, redactor: Redactor | None = None) -> tuple[str, list[Finding]]:
    """Redact PII from `text`; the seam every generator call and log record goes through."""
    return (redactor or default_redactor()).redact(text)


def redact_text(text: str) -> str:
    """Only the redacted text (for callers that do not need the findings)."""
    return redact(text)[0]


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record's formatted message before it is emitted."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message, findings = redact(record.getMessage(), self.redactor)
        if findings:
            record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), self.redactor
            )[0]
        return True


def install_log_redaction(
    logger: str = "inhouse", redactor: Redactor | None = None
) -> RedactingFilter:
    """Redact every record of `logger` and its children; returns the filter.

    A logger's own filters do not see records that children propagate up, so the filter also
    goes on the handlers that emit them: `logger`'s and, while it propagates, the root's.
    Handlers added later need `handler.addFilter(filter)`. Installing twice is a no-op.
    """
    log = logging.getLogger(logger)
    flt = next((f for f in log.filters if isinstance(f, RedactingFilter)), None)
    if flt is None:
        flt = RedactingFilter(redactor)
        log.addFilter(flt)
    handlers = list(log.handlers)
    if log.propagate:
        handlers += logging.getLogger().handlers
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt
