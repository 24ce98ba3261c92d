"""Key format and scopes."""

from __future__ import annotations

import pytest

from inhouse.errors import ConfigError
from inhouse.serve.keys import key_hash, key_id, new_token, parse_scopes, same_hash


def test_a_token_has_a_public_id_and_a_secret() -> None:
    token = new_token()
    assert token.startswith("ih_") and len(key_id(token) or "") == 12
    assert new_token() != token
    assert key_id("sk-abc") is None and key_id("ih_short_x") is None
    stored = key_hash(b"s" * 32, token)
    assert same_hash(stored, b"s" * 32, token) and not same_hash(stored, b"t" * 32, token)


def test_scopes_are_checked_and_ordered() -> None:
    assert parse_scopes("support, chat,chat") == ["chat", "support"]
    with pytest.raises(ConfigError, match="unknown scope billing; choose from embeddings,chat"):
        parse_scopes("chat,billing")
    with pytest.raises(ConfigError, match="empty"):
        parse_scopes(" , ")
