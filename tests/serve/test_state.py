"""The state backends, SQLite and PostgreSQL, under the same tests: keys kept only as keyed
hashes, rate limits across processes, spend, usage; then what is particular to each."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from inhouse.errors import ConfigError, InhouseError
from inhouse.serve.config import ServeConfig, load_config
from inhouse.serve.loaded import Models
from inhouse.serve.state import POOL_SIZE, SqliteState, State, UsageRow, month_of
from inhouse.serve.state_pg import PostgresState, without_password
from inhouse.serve.state_registry import open_state
from tests.serve.conftest import in_process, write_config


@dataclass
class Backend:
    """One backend under test: the serve.toml that names it, in a folder of its own."""

    name: str
    toml: Path

    def config(self) -> ServeConfig:
        return load_config(self.toml)

    def secret(self) -> Path:
        secret = self.config().state_secret
        assert secret is not None
        return secret

    def stored(self, state: State) -> bytes:
        """Everything the database holds about keys, as bytes."""
        if isinstance(state, SqliteState):
            files = sorted(state.path.parent.glob(state.path.name + "*"))
            return b"".join(f.read_bytes() for f in files if f.suffix != ".secret")
        assert isinstance(state, PostgresState)
        rows = [state._read(f"SELECT * FROM {t}") for t in ("keys", "meta")]
        return repr(rows).encode()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        line = 'state = "state.sqlite3"'
    else:
        line = f'state_url = "{request.getfixturevalue("postgres_url")}"'
    (tmp_path / "serve.toml").write_text(line + "\n")
    return Backend(request.param, tmp_path / "serve.toml")


@pytest.fixture
def state(backend: Backend) -> Iterator[State]:
    s = open_state(backend.config())
    yield s
    s.close()


def test_keys_are_not_recoverable_from_the_database(state: State, backend: Backend) -> None:
    key, token = state.create_key("web", ["chat", "embeddings"], rpm=10, budget_usd=5)
    assert key.scopes == ("chat", "embeddings") and key.rpm == 10 and key.budget_usd == 5
    stored = backend.stored(state)
    assert key.id.encode() in stored and token.split("_", 2)[2].encode() not in stored
    assert stat.S_IMODE(backend.secret().stat().st_mode) == 0o600
    assert state.authenticate(token) == key
    assert state.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert state.authenticate("not-a-key") is None


def test_another_secret_opens_no_key_and_is_refused(state: State, backend: Backend) -> None:
    _, token = state.create_key("web", ["chat"])
    state.secret = b"x" * 32  # type: ignore[attr-defined]  # a stolen database, a guessed secret
    assert state.authenticate(token) is None
    state.close()
    backend.secret().write_bytes(b"x" * 32)  # a server given another secret file
    with pytest.raises(ConfigError, match="not the secret the keys in .* were made under"):
        open_state(backend.config())


def test_revoke_and_rotate(state: State) -> None:
    _, old = state.create_key("web", ["chat"], rpm=5)
    key, new = state.rotate("web")
    assert state.authenticate(old) is None and state.authenticate(new) == key
    assert key.rpm == 5 and key.scopes == ("chat",)
    assert state.revoke("web").revoked is not None
    assert state.authenticate(new).revoked is not None  # type: ignore[union-attr]
    with pytest.raises(InhouseError, match="is revoked"):
        state.rotate("web")
    with pytest.raises(InhouseError, match="a key named 'web' exists .a revoked key keeps"):
        state.create_key("web", ["chat"])
    with pytest.raises(InhouseError, match="no key named 'nobody' .*keys: web"):
        state.revoke("nobody")


def test_rate_limit_counts_per_minute_window(state: State) -> None:
    key, _ = state.create_key("web", ["chat"], rpm=3)
    start = 120 * 60.0 + 10  # 10 s into a minute
    assert [state.hit(key, start + i) for i in range(3)] == [None, None, None]
    assert state.hit(key, start + 5) == 45  # wait until the next minute
    assert state.hit(key, start + 50) is None  # a new window
    assert state.hit(key, start + 6) is None  # a server whose clock is behind counts into it
    assert state.hit(key, start + 51) is None
    assert state.hit(key, start + 52) == 58  # the 4th request of the new window
    unlimited, _ = state.create_key("batch", ["chat"])
    assert all(state.hit(unlimited, start) is None for _ in range(100))


HIT = """
import sys, time
from inhouse.serve.config import load_config
from inhouse.serve.state_registry import open_state
s = open_state(load_config(sys.argv[1]), create=False)
key = s.authenticate(sys.argv[2])
print(sum(s.hit(key, time.time()) is None for _ in range(40)))
"""


def test_rate_limit_holds_across_processes(state: State, backend: Backend) -> None:
    _, token = state.create_key("web", ["chat"], rpm=50)
    if time.time() % 60 > 50:  # keep every process in one minute window
        time.sleep(61 - time.time() % 60)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", HIT, str(backend.toml), token], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    allowed = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert sum(allowed) == 50  # 120 requests, 50 let through, whichever process sent them


def test_usage_spend_and_grouping(state: State) -> None:
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
    assert [t.group for t in state.usage(now - 86400, "key")] == ["web", "bot"]  # costliest
    assert by_key["web"].requests == 2 and by_key["web"].tokens_in == 17
    assert by_key["web"].tokens_out == 30 and by_key["web"].usd == pytest.approx(0.06)
    assert by_key["web"].cpu_seconds == pytest.approx(1.5) and by_key["web"].errors == 0
    assert by_key["bot"].errors == 1
    by_model = {t.group: t.requests for t in state.usage(now - 86400, "model")}
    assert by_model == {"minilm": 2, "inhouse-support": 1}
    assert {t.group for t in state.usage(0, "endpoint")} == {
        "/v1/embeddings",
        "/v1/chat/completions",
    }
    expected = 0.06 + (1.0 if month_of(now - 9 * 86400) == month_of(now) else 0.0)
    assert state.spent("web", now) == pytest.approx(expected)
    assert state.spent("web", now + 40 * 86400) == 0.0  # a budget renews each month
    with pytest.raises(InhouseError, match="--by user: choose one of key, model, endpoint"):
        state.usage(0, "user")


def test_a_readable_or_missing_secret_is_refused(state: State, backend: Backend) -> None:
    state.close()
    backend.secret().chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others .*chmod 600"):
        open_state(backend.config())
    backend.secret().unlink()
    with pytest.raises(ConfigError, match="no server secret; create a key first"):
        open_state(backend.config(), create=False)


def test_the_cli_manages_keys_and_reads_usage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], backend: Backend
) -> None:
    from tests.cli.test_serve import run

    c = ["--config", str(backend.toml)]
    code, _, err = run(monkeypatch, capsys, "keys", "list", *c)
    assert code == 2 and ("no state database yet" in err or "no server secret" in err)
    assert not backend.secret().exists()  # and `list` made none
    code, out, err = run(
        monkeypatch, capsys, "keys", "create", "--name", "web", "--scopes", "chat", *c
    )
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    state = open_state(backend.config())
    state.record(UsageRow(time.time(), "web", "/v1/embeddings", "minilm", 200, 12, 0, 0.25, 0.5))
    code, out, _ = run(monkeypatch, capsys, "keys", "list", *c)
    assert code == 0 and "web" in out and "0.5" in out and token not in out
    code, out, _ = run(monkeypatch, capsys, "usage", "--by", "model", "--json", *c)
    assert code == 0 and json.loads(out)[0]["model"] == "minilm"
    assert run(monkeypatch, capsys, "keys", "revoke", "web", *c)[0] == 0
    assert state.authenticate(token).revoked is not None  # type: ignore[union-attr]
    state.close()


# ---------------------------------------------------------------------- SQLite only


def test_a_broken_sqlite_database_or_none_is_refused(tmp_path: Path) -> None:
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigError, match="not a usable state database"):
        SqliteState(tmp_path / "junk.sqlite3")
    with pytest.raises(InhouseError, match="no state database yet"):
        SqliteState(tmp_path / "none.sqlite3", create=False)
    assert not (tmp_path / "none.sqlite3").exists()


# ---------------------------------------------------------------------- PostgreSQL only


def test_an_unreachable_postgres_names_the_url_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://app:hunter2@127.0.0.1:1/inhouse?connect_timeout=2&password=hunter2"
    with pytest.raises(ConfigError) as e:
        PostgresState(url, tmp_path / "s.secret")
    message = str(e.value)
    assert message.startswith("postgresql://app@127.0.0.1:1/inhouse?connect_timeout=2: cannot")
    assert "hunter2" not in message and "check `state_url` in serve.toml" in message
    assert without_password("postgres://db/x") == "postgres://db/x"


def test_replicas_started_at_once_share_one_schema_and_secret(
    postgres_url: str, tmp_path: Path
) -> None:
    secret = tmp_path / "shared.secret"
    with ThreadPoolExecutor(4) as pool:
        replicas = list(pool.map(lambda _: PostgresState(postgres_url, secret), range(4)))
    key, token = replicas[0].create_key("web", ["chat"], rpm=2)
    assert all(r.authenticate(token) == key for r in replicas)
    now = time.time()
    assert [r.hit(key, now) for r in replicas[:3]][2] is not None  # the 3rd, on another replica
    for r in replicas:
        r.close()


def test_limits_and_budgets_hold_across_replicas(
    postgres_url: str, tmp_path: Path, artifacts: Path, models: Models
) -> None:
    config = load_config(write_config(tmp_path, artifacts, state=f'state_url = "{postgres_url}"'))
    replicas = [in_process(config, models) for _ in range(2)]  # two servers, one database
    one, other = (next(r) for r in replicas)
    limited = {"Authorization": f"Bearer {one.key(['embeddings'], rpm=2)}"}
    codes = [r.client.get("/v1/models", headers=limited).status_code for r in (one, other, one)]
    assert codes == [200, 200, 429]
    budget = {"Authorization": f"Bearer {other.key(['embeddings'], budget_usd=1e-12)}"}
    body = {"model": "all-MiniLM-L6-v2", "input": ["my card has not arrived"]}
    assert one.client.post("/v1/embeddings", json=body, headers=budget).status_code == 200
    refused = other.client.post("/v1/embeddings", json=body, headers=budget)  # spent on `one`
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "budget_exhausted"
    for r in replicas:
        r.close()


def test_threads_share_a_bounded_pool_and_a_lost_connection_is_replaced(
    postgres_url: str, tmp_path: Path
) -> None:
    import psycopg

    state = PostgresState(postgres_url, tmp_path / "s.secret")
    key, _ = state.create_key("web", ["chat"], rpm=100)
    now = time.time()
    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda _: state.hit(key, now), range(150)))
    assert results.count(None) == 100
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        sessions = "FROM pg_stat_activity WHERE application_name = 'inhouse'"
        (opened,) = admin.execute(f"SELECT count(*) {sessions}").fetchone()  # type: ignore[misc]
        assert 1 <= opened <= POOL_SIZE
        admin.execute(f"SELECT pg_terminate_backend(pid) {sessions}")  # the database restarts
    with pytest.raises(psycopg.OperationalError):
        state.list_keys()  # the call that finds its connection gone fails (a 500), once
    assert [k.name for k in state.list_keys()] == ["web"]  # the next one reconnects
    state.close()
