"""PII redaction: 30+ real PII strings are caught, 30+ look-alikes are left alone."""

from __future__ import annotations

import logging

import pytest

from inhouse.errors import ConfigError
from inhouse.redact import (
    RedactingFilter,
    Redactor,
    install_log_redaction,
    redact,
)

TRUE_POSITIVES = [
    ("write to jane.doe@example.com please", "EMAIL"),
    ("JOHN_SMITH+support@mail.example.co.uk", "EMAIL"),
    ("contact: a.b-c@sub-domain.example.org.", "EMAIL"),
    ("my email is x@y.io", "EMAIL"),
    ("reply to first.last@company.travel today", "EMAIL"),
    ("old address 1234@numbers.net", "EMAIL"),
    ("call me at (415) 555-0132", "PHONE"),
    ("my number is 415-555-0199", "PHONE"),
    ("ring +44 20 7946 0958 after six", "PHONE"),
    ("mobile +1 212 555 0147", "PHONE"),
    ("phone: +33 1 42 68 53 00", "PHONE"),
    ("reach me on +49 30 901820", "PHONE"),
    ("tel 212.555.0173", "PHONE"),
    ("my cell is 1-800-555-0199", "PHONE"),
    ("number +61 2 9876 5432 in Sydney", "PHONE"),
    ("card 4111 1111 1111 1111 was charged", "CARD"),
    ("visa 4111111111111111", "CARD"),
    ("mastercard 5555-5555-5555-4444 declined", "CARD"),
    ("amex 378282246310005 expired", "CARD"),
    ("card number 6011 1111 1111 1117", "CARD"),
    ("use 5105105105105100 instead", "CARD"),
    ("my card is 4012888888881881.", "CARD"),
    ("discover 6011000990139424", "CARD"),
    ("diners 3056 930902 5904", "CARD"),
    ("IBAN DE89 3704 0044 0532 0130 00 for the refund", "IBAN"),
    ("send it to GB82WEST12345698765432", "IBAN"),
    ("FR14 2004 1010 0505 0001 3M02 606 is mine", "IBAN"),
    ("account NL91ABNA0417164300", "IBAN"),
    ("iban: es9121000418450200051332", "IBAN"),
    ("my IBAN is CH9300762011623852957", "IBAN"),
    ("BE71 0961 2345 6769 thanks", "IBAN"),
]

LOOK_ALIKES = [
    "order 123456789 has not arrived",
    "order number #A-2024-55512",
    "placed on 2024-03-15",
    "paid on 15/03/2024 at 14:32",
    "charged $1,234.56 twice",
    "refund of EUR 4 111.11 please",
    "tracking 1Z999AA10123456784",
    "tracking number 9400 1000 0000 0000 0000 00",
    "the 16 digits 1234567812345678 are wrong",
    "card ending 4242",
    "invoice INV-2024-00017",
    "invoice 2024/000123",
    "reference 00012345",
    "ticket #55512",
    "version 1.2.3.4",
    "ip 192.168.0.1",
    "error code 0x80070005",
    "call reference 12-34-56",
    "sort code 12-34-56 is correct",
    "customer id 987654",
    "postcode SW1A 1AA",
    "zip 94105",
    "account balance 10000000 yen",
    "year 2023 and 2024",
    "SKU 4006381333931",
    "ISBN 978-0-306-40615-7",
    "timestamp 1700000000",
    "bad iban DE89 3704 0044 0532 0130 01",
    "not an email: name at example dot com",
    "twitter handle @example",
    "5 x 12 = 60 items",
    "voucher CODE-ABCD-1234",
]


@pytest.fixture(scope="module")
def redactor():
    return Redactor()


@pytest.mark.parametrize(("text", "kind"), TRUE_POSITIVES)
def test_true_positives_are_redacted(redactor, text, kind):
    out, findings = redactor.redact(text)
    assert [f.kind for f in findings] == [kind], out
    assert f"[{kind}]" in out
    original = text[findings[0].start : findings[0].end]
    assert original not in out


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_kept(redactor, text):
    out, findings = redactor.redact(text)
    assert findings == [] and out == text


def test_counts():
    assert len(TRUE_POSITIVES) >= 30 and len(LOOK_ALIKES) >= 30


def test_several_in_one_text(redactor):
    out, findings = redactor.redact("mail a@b.com or call (415) 555-0132, card 4111111111111111")
    assert out == "mail [EMAIL] or call [PHONE], card [CARD]"
    assert [f.kind for f in findings] == ["EMAIL", "PHONE", "CARD"]


def test_company_patterns_from_config():
    r = Redactor({"member_id": r"\bMBR-\d{6}\b"})
    assert r.redact("member MBR-123456 called")[0] == "member [MEMBER_ID] called"
    with pytest.raises(ConfigError, match="pii_patterns.bad"):
        Redactor({"bad": "("})


def test_settings_patterns_reach_the_default(monkeypatch):
    from inhouse import redact as mod

    monkeypatch.setenv("INHOUSE_PII_PATTERNS", '{"policy": "POL\\\\d{5}"}')
    mod.default_redactor.cache_clear()
    try:
        assert redact("policy POL12345")[0] == "policy [POLICY]"
    finally:
        mod.default_redactor.cache_clear()


def test_logging_filter_redacts_child_records():
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    root, handler = logging.getLogger(), Collect()
    root.addHandler(handler)
    parent = logging.getLogger("inhouse")
    level = parent.level
    parent.setLevel(logging.INFO)
    try:
        flt = install_log_redaction("inhouse")
        assert install_log_redaction("inhouse") is flt  # installed once
        child = logging.getLogger("inhouse.support.test")
        child.info("customer %s paid with %s", "jo@example.com", "4111 1111 1111 1111")
        parent.warning("call +44 20 7946 0958")
        assert records == ["customer [EMAIL] paid with [CARD]", "call [PHONE]"]
    finally:
        root.removeHandler(handler)
        parent.removeFilter(flt)
        parent.setLevel(level)


def test_filter_keeps_clean_records_untouched():
    record = logging.LogRecord("inhouse", logging.INFO, __file__, 1, "order %s", ("123",), None)
    assert RedactingFilter().filter(record)
    assert record.args == ("123",) and record.getMessage() == "order 123"
