"""The server's state (keys, rate-limit counters, spend, usage) behind one small interface.

    >>> state = SqliteState(Path("state.sqlite3"))
    >>> key, token = state.create_key("web", ["chat"], rpm=600, budget_usd=50)
    >>> state.authenticate(token).name
    'web'

`State` is the interface. `SqlState` is its SQL, written once for SQLite and PostgreSQL: each
call takes a connection from a small pool, and every update is one transaction. `SqliteState`
(one file in WAL mode) is the embedded default; every worker process opens the same file, so
limits and budgets hold across workers. `state_pg.PostgresState` holds them across machines,
and `state_registry.open_state` picks the backend serve.toml names.
"""

from __future__ import annotations

import hmac
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from inhouse.errors import ConfigError, InhouseError
from inhouse.serve import keys

WINDOW_SECONDS = 60  # rate limits are requests per minute, counted per fixed minute window
POOL_SIZE = 8  # most connections one process holds; more concurrent calls wait for one
GROUPS = {"key": "key_name", "model": "model", "endpoint": "endpoint"}

SECRET_CHECK = "inhouse state secret check"  # its HMAC under the secret, kept in `meta`

# Portable SQL: SQLite reads DOUBLE PRECISION as REAL, and "window" is quoted (PostgreSQL
# reserves it). `hits` holds each key's current minute window and its count (one row per key).
SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, scopes TEXT NOT NULL,
    rpm INTEGER, budget_usd DOUBLE PRECISION, created DOUBLE PRECISION NOT NULL,
    revoked DOUBLE PRECISION
);
CREATE TABLE IF NOT EXISTS hits (
    key_id TEXT PRIMARY KEY, "window" INTEGER NOT NULL, count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS spend (
    key_name TEXT NOT NULL, month TEXT NOT NULL, usd DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (key_name, month)
);
CREATE TABLE IF NOT EXISTS usage (
    time DOUBLE PRECISION NOT NULL, key_name TEXT, endpoint TEXT NOT NULL, model TEXT,
    status INTEGER NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL,
    cpu_seconds DOUBLE PRECISION NOT NULL, usd DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_time ON usage (time);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)
"""

# One request of a key: a later window starts again at 1; a server whose clock is behind
# counts into the newer window rather than resetting it.
HIT = """
INSERT INTO hits VALUES (?, ?, 1) ON CONFLICT (key_id) DO UPDATE SET
    count = CASE WHEN excluded."window" > hits."window" THEN 1 ELSE hits.count + 1 END,
    "window" = CASE WHEN excluded."window" > hits."window" THEN excluded."window"
                    ELSE hits."window" END
RETURNING count, "window"
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

    location: str
    """Where the state is, for messages: a file, or a URL without its password."""

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


Run = Callable[..., Any]  # run(sql, params=()) -> the driver's cursor


class SqlState:
    """`State` over a SQL database; a backend subclass says how to connect.

    The SQL here is written with `?` placeholders (and no literal `?`); a driver with another
    marker sets `placeholder`.
    """

    location: str
    begin = "BEGIN"
    """How a write transaction starts."""
    placeholder = "?"
    schema_lock = ""
    """A statement that serializes schema creation among servers starting at once, if needed."""

    def __init__(self, secret_file: Path, create: bool) -> None:
        self.secret_file = Path(secret_file)
        self.secret = keys.load_secret(self.secret_file, create)
        self._idle: list[Any] = []
        self._idle_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(POOL_SIZE)

    def _connect(self) -> Any:
        """A new connection in autocommit mode (transactions are explicit)."""
        raise NotImplementedError

    def _lost(self, db: Any) -> bool:
        """Whether `db` is closed (the server went away) and needs replacing."""
        return False

    @contextmanager
    def _db(self) -> Iterator[Any]:
        """A connection for one call: an idle one of the pool, else a new one."""
        with self._slots:
            with self._idle_lock:
                db = self._idle.pop() if self._idle else None
            if db is None or self._lost(db):  # a lost one (the database restarted) is replaced
                db = self._connect()
            try:
                yield db
            finally:
                with self._idle_lock:
                    if not self._lost(db):
                        self._idle.append(db)
                    else:  # the database went away: the idle ones are as dead as this one
                        for idle in self._idle:
                            idle.close()
                        self._idle.clear()

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one statement, run in a transaction of its own."""
        with self._db() as db:
            return list(db.execute(self._sql(sql), params).fetchall())

    @contextmanager
    def _tx(self) -> Iterator[Run]:
        """One write transaction: every statement `run` runs commits together, or none does."""
        with self._db() as db:
            db.execute(self.begin)

            def run(sql: str, params: Sequence[Any] = ()) -> Any:
                return db.execute(self._sql(sql), params)

            try:
                yield run
            except BaseException:
                if not self._lost(db):
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _setup(self) -> None:
        """Create what is missing, and refuse a secret other than the one the keys were made
        under (each server would otherwise make its own, and know only its own keys)."""
        check = keys.key_hash(self.secret, SECRET_CHECK)
        with self._tx() as run:
            if self.schema_lock:
                run(self.schema_lock)
            for statement in filter(str.strip, SCHEMA.split(";")):
                run(statement)
            run("INSERT INTO meta VALUES ('secret', ?) ON CONFLICT (name) DO NOTHING", (check,))
            (stored,) = run("SELECT value FROM meta WHERE name = 'secret'").fetchone()
        if not hmac.compare_digest(stored, check):
            self.close()
            raise ConfigError(
                f"{self.secret_file}: not the secret the keys in {self.location} were made "
                "under; give every server the same secret file (`state_secret`), or restore "
                "it from a backup"
            )

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
        with self._tx() as run:
            added = run(
                "INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (name) DO NOTHING",
                (keys.key_id(token), name, keys.key_hash(self.secret, token), ",".join(scopes),
                 rpm, budget_usd, time.time()),
            ).rowcount  # fmt: skip
            if not added:
                (revoked,) = run("SELECT revoked FROM keys WHERE name = ?", (name,)).fetchone()
                how = "a revoked key keeps its name" if revoked else "rotate it instead"
                raise InhouseError(f"a key named {name!r} exists ({how}); choose another --name")
        return self._key(name), token

    def _key(self, name: str) -> Key:
        rows = self._read("SELECT * FROM keys WHERE name = ?", (name,))
        if not rows:
            known = ", ".join(k.name for k in self.list_keys()) or "none"
            raise InhouseError(f"no key named {name!r} (keys: {known}); see `inhouse keys list`")
        return _key_of(rows[0])

    def list_keys(self) -> list[Key]:
        """Every key, revoked ones included, oldest first."""
        return [_key_of(r) for r in self._read("SELECT * FROM keys ORDER BY created")]

    def revoke(self, name: str) -> Key:
        """Revoke the key named `name`: it answers 401 from now on."""
        key = self._key(name)
        with self._tx() as run:
            run("UPDATE keys SET revoked = ? WHERE name = ?", (time.time(), key.name))
        return self._key(name)

    def rotate(self, name: str) -> tuple[Key, str]:
        """A new key for `name`, same scopes and limits; the old key stops working at once."""
        key = self._key(name)
        if key.revoked is not None:
            raise InhouseError(f"key {name!r} is revoked; create a new one with another --name")
        token = keys.new_token()
        with self._tx() as run:
            changed = run(
                "UPDATE keys SET id = ?, hash = ? WHERE id = ? AND revoked IS NULL",
                (keys.key_id(token), keys.key_hash(self.secret, token), key.id),
            ).rowcount
        if not changed:
            raise InhouseError(f"key {name!r} was rotated or revoked meanwhile; run it again")
        return self._key(name), token

    def authenticate(self, token: str) -> Key | None:
        """The key `token` is (revoked or not), None when it is no key of ours."""
        ident = keys.key_id(token)
        if ident is None:
            return None
        rows = self._read("SELECT * FROM keys WHERE id = ?", (ident,))
        if not rows or not keys.same_hash(rows[0][2], self.secret, token):
            return None
        return _key_of(rows[0])

    # ------------------------------------------------------------------ limits and usage

    def hit(self, key: Key, now: float) -> int | None:
        """Count one request of `key`; the seconds to wait when it is over its rpm, else None.

        One atomic statement, so concurrent requests (of any process or server) never both
        take the last request of a window."""
        if key.rpm is None:
            return None
        [(count, window)] = self._read(HIT, (key.id, int(now // WINDOW_SECONDS)))
        if count <= key.rpm:
            return None
        return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))

    def spent(self, key_name: str, now: float) -> float:
        """USD `key_name` has spent in the calendar month (UTC) of `now`."""
        sql = "SELECT usd FROM spend WHERE key_name = ? AND month = ?"
        rows = self._read(sql, (key_name, month_of(now)))
        return float(rows[0][0]) if rows else 0.0

    def record(self, row: UsageRow) -> None:
        """Store one usage row and add its cost to its key's monthly spend, in one transaction."""
        with self._tx() as run:
            run(
                "INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row.time, row.key_name, row.endpoint, row.model, row.status, row.tokens_in,
                 row.tokens_out, row.cpu_seconds, row.usd),
            )  # fmt: skip
            if row.key_name is not None and row.usd:
                run(
                    "INSERT INTO spend VALUES (?, ?, ?) ON CONFLICT (key_name, month) "
                    "DO UPDATE SET usd = spend.usd + excluded.usd",
                    (row.key_name, month_of(row.time), row.usd),
                )

    def usage(self, since: float, by: str = "key") -> list[UsageTotal]:
        """Usage since `since` (unix time), summed per key, model or endpoint, costliest first."""
        if by not in GROUPS:
            raise InhouseError(f"--by {by}: choose one of {', '.join(GROUPS)}")
        rows = self._read(
            f"SELECT COALESCE({GROUPS[by]}, '-'), COUNT(*), "
            "SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), SUM(tokens_in), SUM(tokens_out), "
            "SUM(cpu_seconds), SUM(usd) FROM usage WHERE time >= ? "
            "GROUP BY 1 ORDER BY 7 DESC, 2 DESC",
            (since,),
        )
        return [UsageTotal(*r) for r in rows]

    def close(self) -> None:
        """Close the pool's connections (a later call opens a new one)."""
        with self._idle_lock:
            for db in self._idle:
                db.close()
            self._idle.clear()


class SqliteState(SqlState):
    """`State` in one SQLite file (WAL mode), shared by every worker process.

    Its secret is `secret` (default: `<path>.secret` beside it); with `create` False, a file
    that does not exist yet is an InhouseError instead of a new database."""

    begin = "BEGIN IMMEDIATE"  # take the write lock at once, so that updates never race

    def __init__(self, path: Path, secret: Path | None = None, create: bool = True) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        if not create and not self.path.exists():
            raise InhouseError(
                f"{path}: no state database yet; create a key first (`inhouse keys create`), "
                "or fix `state` in serve.toml"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(secret or keys.secret_path(self.path), create)
        self._setup()

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as e:
            raise ConfigError(f"{self.path}: not a usable state database ({e})") from None
        db.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of the process
        return db


def _key_of(row: Sequence[Any]) -> Key:
    ident, name, _hash, scopes, rpm, budget, created, revoked = row
    return Key(ident, name, tuple(scopes.split(",")), rpm, budget, created, revoked)
