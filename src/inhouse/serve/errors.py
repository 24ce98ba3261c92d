"""OpenAI-shaped errors for every failure: `{"error": {"message", "type", "param", "code"}}`.

Bad input of any kind (malformed JSON, wrong types, unknown models, an `InhouseError` from a
service) is a 4xx; only a bug is a 500, and its message names no internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from inhouse.errors import InhouseError, UpstreamError
from inhouse.serve.protocol import ErrorResponse

log = logging.getLogger("inhouse.serve")

TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "upstream_error",
}


class ApiError(Exception):
    """An error the server answers with; `headers` go with it (e.g. Retry-After)."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.headers = headers or {}


# The errors every keyed endpoint may answer, declared in its OpenAPI responses (400 replaces
# FastAPI's 422: validation errors are answered as OpenAI's 400).
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": TYPES[status]}
    for status in (400, 401, 403, 404, 413, 429, 500, 502)
}


def error_body(
    status: int, message: str, param: str | None = None, code: str | None = None
) -> dict[str, dict[str, str | None]]:
    """The JSON body of an error."""
    kind = TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(error: ApiError) -> JSONResponse:
    body = error_body(error.status, error.message, error.param, error.code)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def unknown_model(model: str | None, kind: str, known: list[str]) -> ApiError:
    """The 404 for a model name that is not loaded (OpenAI's `model_not_found`)."""
    listing = ", ".join(known) or "none is loaded"
    return ApiError(
        404,
        f"The model {model!r} does not exist here; loaded {kind}s: {listing} (GET /v1/models)",
        param="model",
        code="model_not_found",
    )


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    if err.get("type") == "json_invalid":
        return f"The body is not valid JSON: {err.get('msg')}", None
    param = ".".join(loc) or None
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    return (f"{param}: {msg}" if param else msg), param


def without_422(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI schema without FastAPI's 422 responses, which this server never sends."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


def install(app: FastAPI) -> None:
    """Route every exception through the OpenAI error shape, and declare them in the schema."""
    app.openapi = lambda: without_422(app)  # type: ignore[method-assign]

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return JSONResponse(error_body(400, message, param, "invalid_value"), status_code=400)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"No endpoint {request.method} {request.url.path}; see GET /v1/models"
        return JSONResponse(
            error_body(exc.status_code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(UpstreamError)
    async def _upstream(request: Request, exc: UpstreamError) -> JSONResponse:
        return JSONResponse(error_body(502, str(exc)), status_code=502)

    @app.exception_handler(InhouseError)
    async def _user(request: Request, exc: InhouseError) -> JSONResponse:
        return JSONResponse(error_body(400, str(exc)), status_code=400)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(500, "The server had an internal error; it is logged."), status_code=500
        )
