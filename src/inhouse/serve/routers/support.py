"""POST /v1/support/route and POST /v1/support/ask: the support workload's own endpoints.

The handlers run on the event loop; their model calls go through the batchers
(`serve.batching`), which decide whether a call runs on the loop or in a worker thread.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request

from inhouse.serve.auth import SupportKey
from inhouse.serve.config import SUPPORT_MODEL
from inhouse.serve.context import context, note
from inhouse.serve.errors import unknown_model
from inhouse.serve.metering import tokens
from inhouse.serve.protocol import AskResponse, Citation, RouteResponse, SupportInfo, SupportRequest
from inhouse.support.answer.answerer import Answer
from inhouse.support.service import SupportService, check_message

router = APIRouter()


def info_of(answer: Answer) -> SupportInfo:
    """How an answer was made, as the wire's `SupportInfo`."""
    return SupportInfo(
        intent=answer.intent,
        confidence=answer.confidence,
        escalate=answer.escalate,
        reason=answer.reason,
        citations=[
            Citation(article_id=c.article_id, title=c.title, passage=c.passage, score=c.score)
            for c in answer.citations
        ],
    )


def assistant(request: Request, model: str | None) -> SupportService:
    """The support assistant, when `model` names it (or is left out) and one is loaded."""
    service = context(request).models.assistant
    if service is None or model not in (None, SUPPORT_MODEL):
        raise unknown_model(model, "assistant", [SUPPORT_MODEL] if service else [])
    note(request, model=SUPPORT_MODEL)
    return service


async def ask(request: Request, question: str) -> Answer:
    """Ask the assistant, metering the tokens in and out and the CPU time."""
    ctx = context(request)
    batcher = ctx.batchers.ask
    assert batcher is not None, "ask() before assistant()"
    answer, cost = await batcher(check_message(question))
    tokenizer = ctx.config.tokenizer
    note(
        request,
        tokens_in=tokens([question], tokenizer),
        tokens_out=tokens([answer.answer], tokenizer),
        cost=cost,
    )
    return answer


@router.post("/v1/support/route", response_model=RouteResponse)
async def route(body: SupportRequest, request: Request, key: SupportKey) -> RouteResponse:
    ctx = context(request)
    routers = ctx.models.routers
    name = body.model or ctx.models.assistant_router or next(iter(routers), None)
    if name not in routers:
        raise unknown_model(body.model, "router", list(routers))
    note(request, model=name)
    routed, cost = await ctx.batchers.route[name](check_message(body.message))
    n = tokens([body.message], ctx.config.tokenizer)
    note(request, tokens_in=n, cost=cost)
    return RouteResponse(model=name, **asdict(routed))


@router.post("/v1/support/ask", response_model=AskResponse)
async def support_ask(body: SupportRequest, request: Request, key: SupportKey) -> AskResponse:
    assistant(request, body.model)
    answer = await ask(request, body.message)
    return AskResponse(model=SUPPORT_MODEL, answer=answer.answer, **info_of(answer).model_dump())
