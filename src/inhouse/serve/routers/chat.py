"""POST /v1/chat/completions: model `inhouse-support` answers with the grounded assistant.

The assistant's answer is the assistant message; its routed intent, citations and escalation
flag are in the extension field `inhouse` (on the last chunk when streaming). A stream is
Server-Sent Events of `chat.completion.chunk` objects, ending with `data: [DONE]`.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from inhouse.serve.auth import ChatKey
from inhouse.serve.errors import ApiError
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


@router.post("/v1/chat/completions", response_model=ChatResponse)
async def chat(body: ChatRequest, request: Request, key: ChatKey) -> Any:
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
