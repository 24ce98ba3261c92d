"""POST /v1/chat/completions: the grounded assistant `inhouse-support`, every generator of
`[generators]` by its name, and each of a generator's LoRA `adapters` as `NAME:ADAPTER`.

The assistant's answer is the assistant message; its routed intent, citations and escalation
flag are in the extension field `inhouse` (on the last chunk when streaming). A generator
answers the messages as they are (redacted first when it sits behind a URL: nothing leaves
the machine unredacted), with OpenAI's `temperature`, `top_p`, `max_tokens`, `stop` and
`seed`; it runs in a worker thread, so the event loop keeps serving meanwhile. A stream is
Server-Sent Events of `chat.completion.chunk` objects, ending with `data: [DONE]`; an error
after the stream began is sent as an `error` event before `[DONE]`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from inhouse.errors import InhouseError
from inhouse.serve.auth import ChatKey
from inhouse.serve.config import SUPPORT_MODEL
from inhouse.serve.context import context, note
from inhouse.serve.errors import ApiError, unknown_model
from inhouse.serve.metering import Meter, tokens
from inhouse.serve.protocol import (
    AssistantMessage,
    ChatChunk,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    Choice,
    ChunkChoice,
    Delta,
    SupportInfo,
    Usage,
)
from inhouse.serve.routers.support import ask, assistant, info_of

router = APIRouter()


def text_of(message: ChatMessage) -> str:
    """A message's text: its string content, or its text parts joined."""
    if isinstance(message.content, str):
        return message.content
    parts = message.content or []
    return "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


def question_of(messages: list[ChatMessage]) -> str:
    """The customer's question: the last user message."""
    for message in reversed(messages):
        if message.role == "user" and text_of(message).strip():
            return text_of(message)
    raise ApiError(400, "messages: no user message with text to answer", param="messages")


# with `stream: true` the answer is Server-Sent Events (each event a chat.completion.chunk,
# then `[DONE]`), not JSON: declared so clients (and the fuzzer) know both
STREAMED: dict[str, Any] = {"text/event-stream": {}}


@router.post(
    "/v1/chat/completions", response_model=ChatResponse, responses={200: {"content": STREAMED}}
)
async def chat(body: ChatRequest, request: Request, key: ChatKey) -> Any:
    ctx = context(request)
    if body.model in ctx.models.generators:
        return await generate(body, request)
    base, colon, _ = body.model.partition(":")
    if colon and base in ctx.config.generators:
        adapters = [n for n in ctx.models.generators if n.startswith(f"{base}:")]
        raise unknown_model(body.model, f"adapter of {base}", adapters)
    if body.model != SUPPORT_MODEL or ctx.models.assistant is None:
        loaded = list(ctx.models.generators) + ([SUPPORT_MODEL] if ctx.models.assistant else [])
        raise unknown_model(body.model, "chat model", loaded)
    assistant(request, body.model)
    answer = await ask(request, question_of(body.messages))
    notes = request.state
    usage = Usage(
        prompt_tokens=notes.tokens_in,
        completion_tokens=notes.tokens_out,
        total_tokens=notes.tokens_in + notes.tokens_out,
    )
    ident, created, info = f"chatcmpl-{secrets.token_hex(12)}", int(time.time()), info_of(answer)
    if not body.stream:
        return ChatResponse(
            id=ident,
            created=created,
            model=body.model,
            choices=[Choice(message=AssistantMessage(content=answer.answer))],
            usage=usage,
            inhouse=info,
        )
    with_usage = body.stream_options is not None and body.stream_options.include_usage
    events = chunks(ident, created, body.model, answer.answer, info, usage if with_usage else None)
    return StreamingResponse(events, media_type="text/event-stream")


async def chunks(
    ident: str, created: int, model: str, text: str, info: SupportInfo, usage: Usage | None
) -> AsyncIterator[str]:
    """The SSE events of one answer: the role, the text word by word, the end, [DONE]."""

    def event(choices: list[ChunkChoice], **extra: Any) -> str:
        chunk = ChatChunk(id=ident, created=created, model=model, choices=choices, **extra)
        return f"data: {chunk.model_dump_json(exclude_none=True)}\n\n"

    yield event([ChunkChoice(delta=Delta(role="assistant", content=""))])
    for piece in re.findall(r"\S+\s*|\s+", text):
        yield event([ChunkChoice(delta=Delta(content=piece))])
    yield event([ChunkChoice(delta=Delta(), finish_reason="stop")], inhouse=info)
    if usage is not None:
        yield event([], usage=usage)
    yield "data: [DONE]\n\n"


async def generate(body: ChatRequest, request: Request) -> Any:
    """A generator's answer to the request's messages, whole or streamed."""
    ctx = context(request)
    generator = ctx.models.generators[body.model]
    note(request, model=body.model)
    config = ctx.config.generators.get(body.model)  # NAME:ADAPTER runs on the generator NAME
    remote = (config or ctx.config.generators[body.model.partition(":")[0]]).base_url is not None
    messages = []
    for m in body.messages:
        text = text_of(m)
        messages.append(
            {"role": m.role, "content": ctx.redactor.redact(text)[0] if remote else text}
        )
    params: dict[str, Any] = {
        name: getattr(body, name)
        for name in ("temperature", "top_p", "max_tokens", "stop", "seed")
        if getattr(body, name) is not None
    }
    tokenizer = ctx.config.tokenizer
    note(request, tokens_in=tokens([m["content"] for m in messages], tokenizer))
    ident, created = f"chatcmpl-{secrets.token_hex(12)}", int(time.time())
    if not body.stream:

        def whole() -> tuple[str, Literal["stop", "length"], Meter]:
            with Meter() as meter:
                pieces = generator.stream(messages, **params)
                text = "".join(pieces)
            return text, finish_reason(pieces), meter

        text, reason, cost = await anyio.to_thread.run_sync(whole)
        n_in, n_out = request.state.tokens_in, tokens([text], tokenizer)
        note(request, tokens_out=n_out, cost=cost)
        return ChatResponse(
            id=ident,
            created=created,
            model=body.model,
            choices=[Choice(message=AssistantMessage(content=text), finish_reason=reason)],
            usage=Usage(prompt_tokens=n_in, completion_tokens=n_out, total_tokens=n_in + n_out),
        )
    with_usage = body.stream_options is not None and body.stream_options.include_usage
    pieces = generator.stream(messages, **params)

    def event(choices: list[ChunkChoice], **extra: Any) -> str:
        chunk = ChatChunk(id=ident, created=created, model=body.model, choices=choices, **extra)
        return f"data: {chunk.model_dump_json(exclude_none=True)}\n\n"

    cost = Meter()  # every piece's CPU and wall time, each in its worker thread

    def next_piece() -> str | None:
        with cost:
            return next(pieces, None)

    async def events() -> AsyncIterator[str]:
        yield event([ChunkChoice(delta=Delta(role="assistant", content=""))])
        text = ""
        try:
            while True:
                piece = await anyio.to_thread.run_sync(next_piece)
                if piece is None:
                    break
                text += piece
                yield event([ChunkChoice(delta=Delta(content=piece))])
        except InhouseError as e:
            error = {"message": str(e), "type": "upstream_error", "param": None, "code": None}
            yield f"data: {json.dumps({'error': error})}\n\n"
        n_in, n_out = request.state.tokens_in, tokens([text], tokenizer)
        note(request, tokens_out=n_out, cost=cost)  # before the last byte: metered
        yield event([ChunkChoice(delta=Delta(), finish_reason=finish_reason(pieces))])
        if with_usage:
            usage = Usage(prompt_tokens=n_in, completion_tokens=n_out, total_tokens=n_in + n_out)
            yield event([], usage=usage)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def finish_reason(pieces: Iterator[str]) -> Literal["stop", "length"]:
    """`length` when the answer ran into `max_tokens` (a local backend says so), else `stop`."""
    usage = getattr(pieces, "usage", None)
    reason = getattr(usage, "finish_reason", None)
    return "length" if reason == "length" else "stop"
