"""A generator behind an OpenAI-compatible URL: vLLM, SGLang, llama.cpp's server, Ollama.

This is how generation scales past one box: the company runs vLLM on its GPUs and points
`inhouse` at it. Calls go through the official `openai` client, with its timeout and retries
(exponential backoff on connection errors, 408, 429 and 5xx); a backend that stays down is an
`UpstreamError` naming its URL, never a hang.

    >>> qwen = UpstreamGenerator("qwen", "http://gpu-box:8000/v1", "Qwen/Qwen2.5-7B-Instruct")
    >>> qwen.chat([{"role": "user", "content": "hello"}])
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from inhouse.errors import UpstreamError
from inhouse.generate.base import Message


class UpstreamGenerator:
    """`Generator` over `base_url`'s `/chat/completions`, with greedy decoding by default.

    `api_key_env`: the environment variable holding the backend's key (None: no key)."""

    def __init__(
        self,
        name: str,
        base_url: str,
        model: str,
        api_key_env: str | None = None,
        timeout_s: float = 30.0,
        retries: int = 2,
        max_tokens: int = 512,
    ) -> None:
        from openai import OpenAI

        self.name, self.base_url, self.model, self.max_tokens = name, base_url, model, max_tokens
        key = os.environ.get(api_key_env, "") if api_key_env else ""
        self.client = OpenAI(
            base_url=base_url, api_key=key or "none", timeout=timeout_s, max_retries=retries
        )

    def chat(self, messages: list[Message], **params: Any) -> str:
        """The reply to `messages`; `params` (temperature, stop, ...) go to the backend."""
        reply = self._create(messages, params, stream=False)
        choice = reply.choices[0] if reply.choices else None
        if choice is None or choice.message.content is None:
            raise UpstreamError(f"generator {self.name!r} at {self.base_url} sent no reply text")
        return str(choice.message.content)

    def stream(self, messages: list[Message], **params: Any) -> Iterator[str]:
        """The reply to `messages` as the backend streams it, piece by piece."""
        import openai

        try:
            for chunk in self._create(messages, params, stream=True):
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.APIError as e:  # the connection dropped mid-stream
            raise UpstreamError(
                f"generator {self.name!r} at {self.base_url} broke off its stream: "
                f"{_first_line(str(e))}"
            ) from None

    def _create(self, messages: list[Message], params: dict[str, Any], stream: bool) -> Any:
        import openai

        params = {"temperature": 0.0, "max_tokens": self.max_tokens, **params}
        try:
            return self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                stream=stream,
                **params,
            )
        except openai.APIStatusError as e:
            raise UpstreamError(
                f"generator {self.name!r} at {self.base_url} answered {e.status_code}: "
                f"{_first_line(e.message)}"
            ) from None
        except openai.APIError as e:  # connection refused or blocked, timeout, bad response
            cause = e.__cause__ or e.__context__
            why = _first_line(str(cause)) if cause is not None else _first_line(str(e))
            raise UpstreamError(
                f"generator {self.name!r} at {self.base_url} cannot be reached ({why}); "
                "check that it is running and that serve.toml names it"
            ) from None


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "no detail"
