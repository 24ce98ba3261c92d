"""POST /v1/embeddings: OpenAI's embeddings API over any loaded embedder."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request

from inhouse.serve.auth import EmbeddingsKey
from inhouse.serve.context import context, note
from inhouse.serve.errors import ApiError, unknown_model
from inhouse.serve.metering import tokens
from inhouse.serve.protocol import Embedding, EmbeddingRequest, EmbeddingResponse, Usage

router = APIRouter()


def texts_of(body: EmbeddingRequest, limit: int) -> list[str]:
    """The request's texts, checked: at least one, at most `limit`, none empty, no token ids."""
    texts = [body.input] if isinstance(body.input, str) else list(body.input)
    if not texts:
        raise ApiError(400, "input: give at least one text", param="input")
    if not all(isinstance(t, str) for t in texts):
        raise ApiError(400, "input: token arrays are not supported; send text", param="input")
    if len(texts) > limit:
        raise ApiError(
            400,
            f"input: {len(texts):,} texts in one request, more than the limit of {limit:,}; "
            "split them over several requests",
            param="input",
        )
    for i, text in enumerate(texts):
        if not str(text).strip():
            raise ApiError(400, f"input[{i}]: the text is empty", param="input")
    return [str(t) for t in texts]


@router.post("/v1/embeddings", response_model=EmbeddingResponse)
async def create_embeddings(
    body: EmbeddingRequest, request: Request, key: EmbeddingsKey
) -> EmbeddingResponse:
    ctx = context(request)
    embedder = ctx.models.embedders.get(body.model)
    if embedder is None:
        raise unknown_model(body.model, "embedder", list(ctx.models.embedders))
    note(request, model=body.model)
    texts = texts_of(body, ctx.config.max_embedding_inputs)
    if body.dimensions is not None and body.dimensions != embedder.dim:
        raise ApiError(
            400,
            f"dimensions: {body.model} makes {embedder.dim}-dimensional vectors and cannot "
            f"shorten them; leave dimensions out or send {embedder.dim}",
            param="dimensions",
        )
    vectors, cost = await ctx.batchers.embed[body.model](texts)
    n = tokens(texts, ctx.config.tokenizer)
    note(request, tokens_in=n, cost=cost)
    if body.encoding_format == "base64":  # little-endian float32 bytes, as OpenAI sends them
        data = [
            Embedding(index=i, embedding=base64.b64encode(v.astype("<f4").tobytes()).decode())
            for i, v in enumerate(vectors)
        ]
    else:
        data = [Embedding(index=i, embedding=v.tolist()) for i, v in enumerate(vectors)]
    return EmbeddingResponse(
        data=data, model=body.model, usage=Usage(prompt_tokens=n, total_tokens=n)
    )
