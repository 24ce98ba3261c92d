"""`SqliteState`: keys kept only as keyed hashes, rate limits across processes, spend, usage."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inhouse.errors import ConfigError, InhouseError
from inhouse.serve.keys import secret_path
from inhouse.serve.state import SqliteState, UsageRow, month_of


@pytest.fixture
def state(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = SqliteState(tmp_path / "state.sqlite3")
    yield s
    s.close()


def test_keys_are_not_recoverable_from_the_database(state: SqliteState, tmp_path: Path) -> None:
    key, token = state.create_key("web", ["chat", "embeddings"], rpm=10, budget_usd=5)
    assert key.scopes == ("chat", "embeddings") and key.rpm == 10 and key.budget_usd == 5
    secret_part = token.split("_", 2)[2]
    for f in tmp_path.glob("state.sqlite3*"):
        if f.suffix != ".secret":
            assert secret_part.encode() not in f.read_bytes(), f
    assert stat.S_IMODE(secret_path(state.path).stat().st_mode) == 0o600
    assert state.authenticate(token) == key
    assert state.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert state.authenticate("not-a-key") is None


def test_another_secret_opens_no_key(state: SqliteState, tmp_path: Path) -> None:
    _, token = state.create_key("web", ["chat"])
    state.close()
    secret_path(state.path).chmod(0o600)
    secret_path(state.path).write_bytes(b"x" * 32)  # a stolen database with a guessed secret
    assert SqliteState(state.path).authenticate(token) is None


def test_revoke_and_rotate(state: SqliteState) -> None:
    _, old = state.create_key("web", ["chat"], rpm=5)
    key, new = state.rotate("web")
    assert state.authenticate(old) is None and state.authenticate(new) == key
    assert key.rpm == 5 and key.scopes == ("chat",)
    assert state.revoke("web").revoked is not None
    assert state.authenticate(new).revoked is not None  # type: ignore[union-attr]
    with pytest.raises(InhouseError, match="is revoked"):
        state.rotate("web")
    with pytest.raises(InhouseError, match="a key named 'web' exists"):
        state.create_key("web", ["chat"])
    with pytest.raises(InhouseError, match="no key named 'nobody' .*keys: web"):
        state.revoke("nobody")


def test_rate_limit_counts_per_minute_window(state: SqliteState) -> None:
    key, _ = state.create_key("web", ["chat"], rpm=3)
    start = 120 * 60.0 + 10  # 10 s into a minute
    assert [state.hit(key, start + i) for i in range(3)] == [None, None, None]
    assert state.hit(key, start + 5) == 45  # wait until the next minute
    assert state.hit(key, start + 50) is None  # a new window
    unlimited, _ = state.create_key("batch", ["chat"])
    assert all(state.hit(unlimited, start) is None for _ in range(100))


HIT = """
import sys, time
from inhouse.serve.state import SqliteState
s = SqliteState(sys.argv[1])
key = s.authenticate(sys.argv[2])
print(sum(s.hit(key, time.time()) is None for _ in range(40)))
"""


def test_rate_limit_holds_across_processes(state: SqliteState) -> None:
    _, token = state.create_key("web", ["chat"], rpm=50)
    if time.time() % 60 > 50:  # keep both processes in one minute window
        time.sleep(61 - time.time() % 60)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", HIT, str(state.path), token], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    allowed = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert sum(allowed) == 50  # 120 requests, 50 let through, whichever process sent them


def test_usage_spend_and_grouping(state: SqliteState) -> None:
    now = time.time()
    rows = [
        UsageRow(now, "web", "/v1/embeddings", "minilm", 200, 10, 0, 0.5, 0.02),
        UsageRow(now, "web", "/v1/chat/completions", "inhouse-support", 200, 7, 30, 1.0, 0.04),
        UsageRow(now, "bot", "/v1/embeddings", "minilm", 429),
        UsageRow(now - 9 * 86400, "web", "/v1/embeddings", "minilm", 200, 99, 0, 9.0, 1.0),
    ]
    for row in rows:
        state.record(row)
    by_key = {t.group: t for t in state.usage(now - 86400, "key")}
    assert by_key["web"].requests == 2 and by_key["web"].tokens_in == 17
    assert by_key["web"].tokens_out == 30 and by_key["web"].usd == pytest.approx(0.06)
    assert by_key["bot"].errors == 1
    by_model = {t.group: t.requests for t in state.usage(now - 86400, "model")}
    assert by_model == {"minilm": 2, "inhouse-support": 1}
    assert {t.group for t in state.usage(0, "endpoint")} == {
        "/v1/embeddings",
        "/v1/chat/completions",
    }
    expected = 0.06 + (1.0 if month_of(now - 9 * 86400) == month_of(now) else 0.0)
    assert state.spent("web", now) == pytest.approx(expected)
    with pytest.raises(InhouseError, match="--by user: choose one of key, model, endpoint"):
        state.usage(0, "user")


def test_a_readable_secret_or_a_broken_database_is_refused(tmp_path: Path) -> None:
    SqliteState(tmp_path / "s.sqlite3").close()
    secret_path(tmp_path / "s.sqlite3").chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others .*chmod 600"):
        SqliteState(tmp_path / "s.sqlite3")
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigError, match="not a usable state database"):
        SqliteState(tmp_path / "junk.sqlite3")
