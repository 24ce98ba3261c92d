"""`State` in PostgreSQL, for several server replicas behind a load balancer.

    >>> state = PostgresState("postgresql://inhouse@db:5432/inhouse", Path("inhouse-state.secret"))

The SQL is `SqlState`'s, as with SQLite: a rate-limit hit is one atomic upsert, usage and spend
are written in one transaction, so limits and budgets hold across every replica. Each process
keeps a small pool of connections (`state.POOL_SIZE`) shared by its threads; a connection lost
to a database restart is replaced on the next call.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg

from inhouse.errors import ConfigError
from inhouse.serve.state import SqlState

SCHEMA_LOCK = 0x1A4E_5EED  # the advisory lock replicas that start at once create tables under


def without_password(url: str) -> str:
    """`url` with its password left out (of the user part and of the query), for messages.

    >>> without_password("postgresql://app:hunter2@db:5432/inhouse?sslmode=require")
    'postgresql://app@db:5432/inhouse?sslmode=require'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"], safe="/")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class PostgresState(SqlState):
    """`State` in the PostgreSQL database at `url`, its keys hashed under the secret in `secret`.

    The tables are made on first use (the database itself must exist). A server that cannot
    reach it, or holds another secret than the one the keys were made under, is a ConfigError.
    """

    placeholder = "%s"
    schema_lock = f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})"

    def __init__(self, url: str, secret: Path, create: bool = True) -> None:
        self.url = url
        self.location = without_password(url)
        super().__init__(secret, create)
        try:
            self._setup()
        except psycopg.Error as e:
            self.close()
            password = urlsplit(url).password
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if password:
                reason = reason.replace(password, "***")
            raise ConfigError(
                f"{self.location}: cannot use the state database ({reason}); check `state_url` "
                "in serve.toml, that PostgreSQL runs there and that the database exists"
            ) from None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            self.url, autocommit=True, connect_timeout=10, application_name="inhouse"
        )

    def _lost(self, db: psycopg.Connection[tuple[object, ...]]) -> bool:
        return db.closed
