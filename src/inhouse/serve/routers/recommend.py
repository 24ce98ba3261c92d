"""POST /v1/recommendations: a user id or a session of item ids -> ranked items, with reasons.

An unknown user is a cold start, not an error: the most popular items, with `fallback` true
and a note saying the user has no history.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from inhouse.recommend.service import Response
from inhouse.serve.auth import RecommendKey
from inhouse.serve.batching import locked
from inhouse.serve.context import context, note
from inhouse.serve.errors import unknown_model
from inhouse.serve.metering import Meter
from inhouse.serve.protocol import Reason, RecommendedItem, RecommendRequest, RecommendResponse

router = APIRouter()


@router.post("/v1/recommendations", response_model=RecommendResponse)
async def recommend(
    body: RecommendRequest, request: Request, key: RecommendKey
) -> RecommendResponse:
    ctx = context(request)
    services = ctx.models.recommenders
    name = body.model if body.model is not None else next(iter(services), None)
    if name not in services or (body.model is None and len(services) > 1):
        raise unknown_model(body.model, "recommender", list(services))
    note(request, model=name)
    service, category, exclude = services[name], body.category, body.exclude

    def answer() -> tuple[Response, Meter]:
        with Meter() as meter:
            if body.user_id is not None:
                got = service.for_user(body.user_id, body.k, body.explain, category, exclude)
            else:
                session = body.item_ids or []
                got = service.for_items(session, body.k, body.explain, None, category, exclude)
        return got, meter

    # a recommendation takes well under a millisecond: on the event loop, unless the model
    # lock is held by a long call in a worker thread
    response, cost = await locked(ctx.models.lock, answer)
    note(request, cost=cost)
    items = [
        RecommendedItem(
            item_id=s.item_id,
            title=s.title,
            score=s.score,
            because=[Reason(item_id=h, contribution=c) for h, c in s.because],
        )
        for s in response.items
    ]
    return RecommendResponse(
        model=name,
        system=response.system,
        user_id=response.user_id,
        items=items,
        fallback=response.fallback,
        notes=response.notes,
    )
