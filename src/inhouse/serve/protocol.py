"""The wire format: pydantic models of every request and response the server speaks.

The OpenAI-compatible ones (`/v1/embeddings`, `/v1/chat/completions`, `/v1/models`) follow
OpenAI's shapes, so the official SDK works unmodified. Unknown request fields are accepted and
logged, as vLLM does. Support answers carry their routing, citations and escalation in the
extension field `inhouse` of a chat completion.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

log = logging.getLogger("inhouse.serve")

MAX_K = 1000


class Request(BaseModel):
    """A request body: unknown fields pass, with a warning naming them."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="after")
    def _log_unknown(self) -> Request:
        if self.model_extra:
            log.warning(
                "%s: ignoring unknown fields: %s", type(self).__name__, ", ".join(self.model_extra)
            )
        return self


# ---------------------------------------------------------------- errors and models


class ErrorInfo(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """OpenAI's error body."""

    error: ErrorInfo


class ModelCard(BaseModel):
    """One loaded model in `GET /v1/models`; `kind`, `base_model` and `sha256` are ours."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "inhouse"
    kind: str
    """embedder, recommender, router, index, assistant, generator, or adapter (a LoRA adapter
    served on a generator as `NAME:ADAPTER`)."""
    system: str | None = None
    """The registry system of an artifact (cooc, logistic, hybrid ...)."""
    base_model: str | None = None
    """The embedder an artifact was built with, by registry name; an adapter's generator."""
    sha256: str
    """An embedder's weights sha256; an artifact's sha256 of its manifest.json; an adapter's
    sha256 of its weights file."""


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# ---------------------------------------------------------------- embeddings


class EmbeddingRequest(Request):
    model: str
    input: str | list[str] | list[int] | list[list[int]]
    """One text or a list of texts (token arrays are refused: send text)."""
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(default=None, gt=0)
    user: str | None = None


class Embedding(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class Usage(BaseModel):
    prompt_tokens: int
    total_tokens: int
    completion_tokens: int | None = None


class EmbeddingResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: Usage


# ---------------------------------------------------------------- chat


class ChatMessage(Request):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(Request):
    include_usage: bool = False


class ChatRequest(Request):
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=32_768)
    top_p: float | None = Field(default=None, gt=0, le=1)
    stop: str | list[str] | None = None
    """Up to 4 strings that end the answer (generators; the assistant ignores it)."""
    seed: int | None = None
    user: str | None = None

    @field_validator("stop")
    @classmethod
    def _at_most_four(cls, stop: str | list[str] | None) -> str | list[str] | None:
        if isinstance(stop, list) and len(stop) > 4:
            raise ValueError("give at most 4 stop strings")
        return stop


class Citation(BaseModel):
    article_id: str
    title: str
    passage: str
    score: float


class SupportInfo(BaseModel):
    """The extension field `inhouse` of a support chat completion: how the answer was made."""

    intent: str | None
    """The routed intent (None without a router)."""
    confidence: float
    """Evidence of the best cited passage, in [0, 1]."""
    escalate: bool
    """True: hand the conversation to a human; the answer text says so."""
    reason: str
    citations: list[Citation]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length"] = "stop"


class ChatResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    inhouse: SupportInfo | None = None
    """How the `inhouse-support` assistant made its answer; absent for a generator's."""


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop", "length"] | None = None


class ChatChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    inhouse: SupportInfo | None = None
    """Sent on the last content chunk (the one with finish_reason)."""


# ---------------------------------------------------------------- workloads


class RecommendRequest(Request):
    model: str | None = None
    """A name from `[recommenders]`; may be left out when only one is loaded."""
    user_id: str | None = None
    item_ids: list[str] | None = Field(default=None, min_length=1)
    """A session of item ids, oldest first (instead of `user_id`)."""
    k: int = Field(default=10, ge=1, le=MAX_K)
    exclude: list[str] = Field(default_factory=list, max_length=MAX_K)
    """Item ids never to recommend (at most 1000)."""
    category: str | None = Field(default=None, min_length=1, max_length=200)
    """Recommend only items of this catalog category (matched exactly)."""
    explain: bool = False

    @model_validator(mode="after")
    def _one_subject(self) -> RecommendRequest:
        if (self.user_id is None) == (self.item_ids is None):
            raise ValueError("give exactly one of user_id and item_ids")
        return self


class Reason(BaseModel):
    item_id: str
    contribution: float


class RecommendedItem(BaseModel):
    item_id: str
    title: str
    score: float
    because: list[Reason] = Field(default_factory=list)


class RecommendResponse(BaseModel):
    object: Literal["recommendations"] = "recommendations"
    model: str
    system: str
    user_id: str | None
    items: list[RecommendedItem]
    fallback: bool
    """True for a cold start: an unknown user or session gets the most popular items."""
    notes: list[str]


class SupportRequest(Request):
    message: str
    model: str | None = None
    """Route: a name from `[routers]` (default: the assistant's router). Ask: `inhouse-support`."""


class RouteResponse(BaseModel):
    object: Literal["support.route"] = "support.route"
    model: str
    intent: str
    confidence: float
    out_of_scope: bool
    truncated_from: int | None


class AskResponse(SupportInfo):
    object: Literal["support.answer"] = "support.answer"
    model: str
    answer: str
