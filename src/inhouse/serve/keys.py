"""API keys: their format, the server secret, and the keyed hash that is all the database keeps.

    >>> token = new_token()                    # 'ih_3f2a9c01d4e5_...' : public id, then secret
    >>> key_id(token)
    '3f2a9c01d4e5'

The database stores only HMAC-SHA256(server secret, token). The secret is 32 random bytes in a
file (beside a SQLite database by default), mode 0600, so a copy of the database alone recovers
no key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from inhouse.errors import ConfigError

PREFIX = "ih_"
SCOPES = ("embeddings", "chat", "recommend", "support", "admin")
SECRET_BYTES = 32


def new_token() -> str:
    """A fresh key: `ih_<12 hex id>_<43 url-safe secret characters>`."""
    return f"{PREFIX}{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


def key_id(token: str) -> str | None:
    """The public id of a key (what the database looks it up by), None when malformed."""
    if not token.startswith(PREFIX):
        return None
    ident, sep, rest = token[len(PREFIX) :].partition("_")
    if not sep or len(ident) != 12 or not rest:
        return None
    return ident


def key_hash(secret: bytes, token: str) -> str:
    """HMAC-SHA256 of the whole key under the server secret, as hex."""
    return hmac.new(secret, token.encode("utf-8"), hashlib.sha256).hexdigest()


def same_hash(stored: str, secret: bytes, token: str) -> bool:
    """Whether `token` hashes to `stored`, compared in constant time."""
    return hmac.compare_digest(stored, key_hash(secret, token))


def parse_scopes(text: str) -> list[str]:
    """`embeddings,chat` as a checked list of scopes."""
    scopes = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ConfigError(
            f"--scopes {text!r}: {'unknown scope ' + ', '.join(unknown) if unknown else 'empty'}; "
            f"choose from {','.join(SCOPES)}"
        )
    return sorted(set(scopes), key=SCOPES.index)


def secret_path(database: Path) -> Path:
    """Where the server secret of `database` lives: beside it, `<name>.secret`."""
    return Path(database).with_name(Path(database).name + ".secret")


def load_secret(path: Path, create: bool = True) -> bytes:
    """The server secret in the file `path`, created (0600) on first use when `create`.

    Several workers may start at once: the secret is written to a temporary file and linked
    into place, so exactly one secret wins and nobody reads half of one.
    """
    path = Path(path)
    if not path.exists() and not create:
        raise ConfigError(
            f"{path}: no server secret; create a key first (`inhouse keys create`), copy the "
            "secret file of the other servers here, or fix `state_secret` in serve.toml"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(SECRET_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker made it first; use theirs
        finally:
            tmp.unlink()
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path}: the server secret is readable by others (mode {mode:o}); "
            f"run `chmod 600 {path}`"
        )
    secret = path.read_bytes()
    if len(secret) != SECRET_BYTES:
        raise ConfigError(
            f"{path}: not a server secret ({len(secret)} bytes, expected {SECRET_BYTES}); "
            "restore it from a backup (keys made under another secret stop working)"
        )
    return secret
