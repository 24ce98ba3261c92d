"""The server's state (keys, rate-limit counters, spend, usage) behind one small interface.

    >>> state = SqliteState(Path("state.sqlite3"))
    >>> key, token = state.create_key("web", ["chat"], rpm=600, budget_usd=50)
    >>> state.authenticate(token).name
    'web'

`State` is the interface; `SqliteState` (WAL mode, one connection per thread, every update one
transaction) is the embedded default. Every worker process opens the same file, so limits and
budgets hold across workers. A PostgreSQL backend would implement the same `State`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from inhouse.errors import ConfigError, InhouseError
from inhouse.serve import keys

WINDOW_SECONDS = 60  # rate limits are requests per minute, counted per fixed minute window
GROUPS = {"key": "key_name", "model": "model", "endpoint": "endpoint"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, scopes TEXT NOT NULL,
    rpm INTEGER, budget_usd REAL, created REAL NOT NULL, revoked REAL
);
CREATE TABLE IF NOT EXISTS rate (
    key_id TEXT NOT NULL, window INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (key_id, window)
);
CREATE TABLE IF NOT EXISTS spend (
    key_name TEXT NOT NULL, month TEXT NOT NULL, usd REAL NOT NULL, PRIMARY KEY (key_name, month)
);
CREATE TABLE IF NOT EXISTS usage (
    time REAL NOT NULL, key_name TEXT, endpoint TEXT NOT NULL, model TEXT, status INTEGER NOT NULL,
    tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, cpu_seconds REAL NOT NULL,
    usd REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_time ON usage (time);
"""


@dataclass(frozen=True)
class Key:
    """One API key as stored: everything but the key itself."""

    id: str
    name: str
    scopes: tuple[str, ...]
    rpm: int | None
    budget_usd: float | None
    created: float
    revoked: float | None


@dataclass(frozen=True)
class UsageRow:
    """One served request, as metered."""

    time: float
    key_name: str | None
    endpoint: str
    model: str | None
    status: int
    tokens_in: int = 0
    tokens_out: int = 0
    cpu_seconds: float = 0.0
    usd: float = 0.0


@dataclass(frozen=True)
class UsageTotal:
    """Usage summed over one group (a key, a model or an endpoint)."""

    group: str
    requests: int
    errors: int
    tokens_in: int
    tokens_out: int
    cpu_seconds: float
    usd: float


class State(Protocol):
    """What the server and the CLI need from a state backend."""

    def create_key(
        self, name: str, scopes: Sequence[str], rpm: int | None, budget_usd: float | None
    ) -> tuple[Key, str]: ...
    def list_keys(self) -> list[Key]: ...
    def revoke(self, name: str) -> Key: ...
    def rotate(self, name: str) -> tuple[Key, str]: ...
    def authenticate(self, token: str) -> Key | None: ...
    def hit(self, key: Key, now: float) -> int | None: ...
    def spent(self, key_name: str, now: float) -> float: ...
    def record(self, row: UsageRow) -> None: ...
    def usage(self, since: float, by: str) -> list[UsageTotal]: ...
    def close(self) -> None: ...


def month_of(now: float) -> str:
    """The calendar month (UTC) budgets are counted in, e.g. '2026-12'."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m")


class SqliteState:
    """`State` in one SQLite file (WAL mode), shared by every worker process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.secret = keys.load_secret(self.path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._db().executescript(SCHEMA)  # each statement is idempotent and atomic

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(
                    self.path, timeout=10, isolation_level=None, check_same_thread=False
                )
                db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as e:
                raise ConfigError(f"{self.path}: not a usable state database ({e})") from None
            db.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of the process
            self._local.db = db
            with self._all_lock:
                self._all.append(db)
        return db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so that updates never race."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # ------------------------------------------------------------------ keys

    def create_key(
        self,
        name: str,
        scopes: Sequence[str],
        rpm: int | None = None,
        budget_usd: float | None = None,
    ) -> tuple[Key, str]:
        """A new key named `name`; returns it and the key itself, which is never stored."""
        if not name.strip():
            raise InhouseError("--name: give the key a name, e.g. --name web-frontend")
        if rpm is not None and rpm <= 0:
            raise InhouseError(f"--rpm {rpm}: give a positive number of requests per minute")
        if budget_usd is not None and budget_usd < 0:
            raise InhouseError(f"--budget-usd {budget_usd}: a budget cannot be negative")
        token = keys.new_token()
        ident = keys.key_id(token)
        assert ident is not None
        with self._tx() as db:
            taken = db.execute("SELECT revoked FROM keys WHERE name = ?", (name,)).fetchone()
            if taken is not None:
                how = "a revoked key keeps its name" if taken[0] else "rotate it instead"
                raise InhouseError(f"a key named {name!r} exists ({how}); choose another --name")
            db.execute(
                "INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (ident, name, keys.key_hash(self.secret, token), ",".join(scopes), rpm,
                 budget_usd, time.time()),
            )  # fmt: skip
        return self._key(name), token

    def _key(self, name: str) -> Key:
        row = self._db().execute("SELECT * FROM keys WHERE name = ?", (name,)).fetchone()
        if row is None:
            known = ", ".join(k.name for k in self.list_keys()) or "none"
            raise InhouseError(f"no key named {name!r} (keys: {known}); see `inhouse keys list`")
        return _key_of(row)

    def list_keys(self) -> list[Key]:
        """Every key, revoked ones included, oldest first."""
        rows = self._db().execute("SELECT * FROM keys ORDER BY created").fetchall()
        return [_key_of(r) for r in rows]

    def revoke(self, name: str) -> Key:
        """Revoke the key named `name`: it answers 401 from now on."""
        key = self._key(name)
        with self._tx() as db:
            db.execute("UPDATE keys SET revoked = ? WHERE id = ?", (time.time(), key.id))
        return self._key(name)

    def rotate(self, name: str) -> tuple[Key, str]:
        """A new key for `name`, same scopes and limits; the old key stops working at once."""
        key = self._key(name)
        if key.revoked is not None:
            raise InhouseError(f"key {name!r} is revoked; create a new one with another --name")
        token = keys.new_token()
        with self._tx() as db:
            db.execute(
                "UPDATE keys SET id = ?, hash = ? WHERE id = ?",
                (keys.key_id(token), keys.key_hash(self.secret, token), key.id),
            )
        return self._key(name), token

    def authenticate(self, token: str) -> Key | None:
        """The key `token` is (revoked or not), None when it is no key of ours."""
        ident = keys.key_id(token)
        if ident is None:
            return None
        row = self._db().execute("SELECT * FROM keys WHERE id = ?", (ident,)).fetchone()
        if row is None or not keys.same_hash(row[2], self.secret, token):
            return None
        return _key_of(row)

    # ------------------------------------------------------------------ limits and usage

    def hit(self, key: Key, now: float) -> int | None:
        """Count one request of `key`; the seconds to wait when it is over its rpm, else None."""
        if key.rpm is None:
            return None
        window = int(now // WINDOW_SECONDS)
        with self._tx() as db:
            db.execute("DELETE FROM rate WHERE key_id = ? AND window < ?", (key.id, window))
            (count,) = db.execute(
                "INSERT INTO rate VALUES (?, ?, 1) ON CONFLICT (key_id, window) "
                "DO UPDATE SET count = count + 1 RETURNING count",
                (key.id, window),
            ).fetchone()
        if count <= key.rpm:
            return None
        return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))

    def spent(self, key_name: str, now: float) -> float:
        """USD `key_name` has spent in the calendar month (UTC) of `now`."""
        row = (
            self._db()
            .execute(
                "SELECT usd FROM spend WHERE key_name = ? AND month = ?", (key_name, month_of(now))
            )
            .fetchone()
        )
        return float(row[0]) if row else 0.0

    def record(self, row: UsageRow) -> None:
        """Store one usage row and add its cost to its key's monthly spend, in one transaction."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row.time, row.key_name, row.endpoint, row.model, row.status, row.tokens_in,
                 row.tokens_out, row.cpu_seconds, row.usd),
            )  # fmt: skip
            if row.key_name is not None and row.usd:
                db.execute(
                    "INSERT INTO spend VALUES (?, ?, ?) ON CONFLICT (key_name, month) "
                    "DO UPDATE SET usd = usd + excluded.usd",
                    (row.key_name, month_of(row.time), row.usd),
                )

    def usage(self, since: float, by: str = "key") -> list[UsageTotal]:
        """Usage since `since` (unix time), summed per key, model or endpoint, costliest first."""
        if by not in GROUPS:
            raise InhouseError(f"--by {by}: choose one of {', '.join(GROUPS)}")
        column = GROUPS[by]
        rows = (
            self._db()
            .execute(
                f"SELECT COALESCE({column}, '-'), COUNT(*), SUM(status >= 400), SUM(tokens_in), "
                "SUM(tokens_out), SUM(cpu_seconds), SUM(usd) FROM usage WHERE time >= ? "
                f"GROUP BY 1 ORDER BY 7 DESC, 2 DESC",
                (since,),
            )
            .fetchall()
        )
        return [UsageTotal(*r) for r in rows]

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._all_lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()


def open_state(path: Path, create: bool = True) -> SqliteState:
    """The state database at `path`; with `create` False a missing one is an InhouseError."""
    if not create and not Path(path).exists():
        raise InhouseError(
            f"{path}: no state database yet; create a key first (`inhouse keys create`), "
            "or fix `state` in serve.toml"
        )
    return SqliteState(path)


def _key_of(row: tuple[Any, ...]) -> Key:
    ident, name, _hash, scopes, rpm, budget, created, revoked = row
    return Key(ident, name, tuple(scopes.split(",")), rpm, budget, created, revoked)
