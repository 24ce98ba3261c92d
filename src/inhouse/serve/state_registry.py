"""The state backend a serve.toml names: its SQLite file, or the PostgreSQL of `state_url`.

    >>> state = open_state(load_config(Path("serve.toml")))

It lives beside `state.State`, not in it, so the backends import the protocol without a cycle.
"""

from __future__ import annotations

from inhouse.serve.config import ServeConfig
from inhouse.serve.state import SqliteState, State


def open_state(config: ServeConfig, create: bool = True) -> State:
    """The state of `config`; with `create` False, one never made (no SQLite file, no secret)
    is an InhouseError instead of a new one."""
    secret = config.state_secret or config.default_secret()
    if config.state_url is not None:
        from inhouse.serve.state_pg import PostgresState  # psycopg only when it is used

        return PostgresState(config.state_url, secret, create)
    return SqliteState(config.state, secret, create)
