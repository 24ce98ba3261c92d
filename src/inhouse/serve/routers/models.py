"""GET /health (no key), /v1/models and /openapi.json (any valid key), /metrics (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse

from inhouse.serve.auth import AnyKey, require
from inhouse.serve.context import context
from inhouse.serve.protocol import ModelList

router = APIRouter()


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness for load balancers: answers without a key, says nothing about the models."""
    return {"status": "ok"}


@router.get("/v1/models", response_model=ModelList)
async def list_models(request: Request, key: AnyKey) -> ModelList:
    """Every loaded embedder, recommender, router, index and the support assistant."""
    return ModelList(data=context(request).models.cards)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, key: AnyKey) -> dict[str, Any]:
    """The OpenAPI schema of every endpoint (any valid key)."""
    schema: dict[str, Any] = request.app.openapi()
    return schema


async def metrics(request: Request) -> Response:
    """Prometheus text exposition (admin scope unless `metrics_public`)."""
    ctx = context(request)
    return Response(ctx.metrics.render(), media_type=ctx.metrics.content_type)


def add_metrics(router: APIRouter, public: bool) -> None:
    """Serve /metrics, behind the admin scope unless `public`."""
    deps = [] if public else [Depends(require("admin"))]
    router.add_api_route(
        "/metrics", metrics, methods=["GET"], dependencies=deps, response_class=PlainTextResponse
    )
