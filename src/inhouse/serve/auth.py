"""API-key checks as FastAPI dependencies: the key, its scope, its rate limit and its budget.

    >>> @router.post("/v1/embeddings")
    ... def embeddings(body: EmbeddingRequest, key: Key = Depends(require("embeddings"))): ...

401: no key, a wrong key or a revoked key. 403: a key without the endpoint's scope. 429 with
Retry-After: over the key's requests per minute. 429 with code `budget_exhausted`: the key's
monthly budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from inhouse.serve.context import context, note
from inhouse.serve.errors import ApiError
from inhouse.serve.state import Key, month_of

CREATE = "create one with `inhouse keys create --name NAME --scopes SCOPES`"


def authenticate(request: Request) -> Key:
    """The key of `request`'s `Authorization: Bearer` header, or a 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            f"Missing API key: send the header `Authorization: Bearer <key>` ({CREATE})",
            code="missing_api_key",
        )
    key = context(request).state.authenticate(token)
    if key is None:
        raise ApiError(401, f"Incorrect API key provided ({CREATE})", code="invalid_api_key")
    note(request, key_name=key.name)
    if key.revoked is not None:
        raise ApiError(401, f"The API key {key.name!r} was revoked; {CREATE}", code="key_revoked")
    return key


def require(scope: str | None) -> Callable[[Request], Awaitable[Key]]:
    """A dependency that lets a request through only with a key that has `scope` (None: any
    valid key) and is within its rate limit and budget.

    It runs on the event loop, not in the thread pool: its state calls are one indexed read
    and one upsert (tens of microseconds on SQLite, a loopback round trip on PostgreSQL),
    less than a hop to a worker thread and back."""

    async def check(request: Request) -> Key:
        key = authenticate(request)
        if scope is not None and scope not in key.scopes:
            raise ApiError(
                403,
                f"The API key {key.name!r} lacks the {scope!r} scope that "
                f"{request.url.path} needs (it has: {', '.join(key.scopes)}); use a key "
                f"created with --scopes {scope}",
                code="insufficient_scope",
            )
        state, now = context(request).state, time.time()
        if key.budget_usd is not None:
            spent = state.spent(key.name, now)
            if spent >= key.budget_usd:
                raise ApiError(
                    429,
                    f"The API key {key.name!r} has used up its monthly budget of "
                    f"${key.budget_usd:g} (${spent:.4f} spent in {month_of(now)}); it renews "
                    "on the 1st (UTC), or use a key with a larger --budget-usd",
                    code="budget_exhausted",
                )
        retry = state.hit(key, now)
        if retry is not None:
            raise ApiError(
                429,
                f"Rate limit reached for the API key {key.name!r}: {key.rpm} requests per "
                f"minute; retry in {retry} s",
                code="rate_limit_exceeded",
                headers={"Retry-After": str(retry)},
            )
        return key

    return check


# the key parameter of each endpoint: `key: ChatKey`
AnyKey = Annotated[Key, Depends(require(None))]
EmbeddingsKey = Annotated[Key, Depends(require("embeddings"))]
ChatKey = Annotated[Key, Depends(require("chat"))]
RecommendKey = Annotated[Key, Depends(require("recommend"))]
SupportKey = Annotated[Key, Depends(require("support"))]
