"""A generator over a GGUF file, run on the CPU by llama.cpp (llama-cpp-python).

The prompt is built with the GGUF's own chat template (its `tokenizer.chat_template`);
decoding is greedy unless `temperature` is above 0. One context is kept between calls and a
call reuses the longest token prefix it shares with the previous one (llama-cpp-python
trims its KV cache to that prefix), so a fixed system prompt or help-center passages are
evaluated once: `Usage.prompt_evaluated` says how many prompt tokens a call computed.

    >>> smol = LlamaCppGenerator("smol", Path("SmolLM2-135M-Instruct.Q4_1.gguf"))
    >>> smol.chat([{"role": "user", "content": "What is 2+2?"}], max_tokens=16)

On Xeons with AMX, llama.cpp built with `-march=native` crashed here (a general protection
fault in its AMX matrix kernels, on any prompt of more than one token); build it without AMX:
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=ON -DGGML_AMX_TILE=OFF
-DGGML_AMX_INT8=OFF" pip install --no-cache-dir llama-cpp-python==0.3.36
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inhouse.errors import InhouseError, ModelError
from inhouse.generate.base import Message, Sampling, TextStream, Usage, sampling

INSTALL = (
    "the llama.cpp backend needs `pip install 'inhouse[llm]'` "
    "(builds llama-cpp-python from source, ~15 min)"
)


def import_llama_cpp() -> Any:
    """The `llama_cpp` module, or an InhouseError saying how to install it."""
    try:
        import llama_cpp
    except ImportError:
        raise InhouseError(INSTALL) from None
    return llama_cpp


class LlamaCppGenerator:
    """`Generator` over the GGUF at `gguf_path` (see the module docstring).

    `n_threads`: CPU threads for decoding and prompt evaluation. One is the default: on the
    2-core box shared with other work, two threads decoded ~9x slower than one, as llama.cpp's
    threads wait on each other whenever one is descheduled (benchmarks/generate_speed.py).
    `n_ctx`: the context window in tokens, prompt and reply.
    `lora_path`: a GGUF LoRA adapter applied on load. One call runs at a time (a lock)."""

    def __init__(
        self,
        name: str,
        gguf_path: Path,
        n_threads: int | None = None,
        n_ctx: int = 4096,
        lora_path: Path | None = None,
        max_tokens: int = 512,
    ) -> None:
        llama_cpp = import_llama_cpp()
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.name, self.path, self.max_tokens = name, Path(gguf_path), max_tokens
        self.n_threads = n_threads or 1
        if not self.path.is_file():
            raise ModelError(f"{self.path}: no such GGUF file; see `inhouse models list`")
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                lora_path=str(lora_path) if lora_path else None,
                verbose=False,
            )
        except ValueError as e:  # llama.cpp could not read the file or the adapter
            raise ModelError(f"{self.path}: llama.cpp cannot load it ({e})") from None
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(
                f"{self.path}: the GGUF has no chat template (tokenizer.chat_template); "
                "use an instruct model's GGUF"
            )
        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        text = self.llm._model.token_get_text
        self.formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=text(eos) if eos != -1 else "",
            bos_token=text(bos) if bos != -1 else "",
        )
        self._lock = threading.Lock()

    def chat(self, messages: list[Message], **params: Any) -> str:
        """The whole reply to `messages`."""
        return "".join(self.stream(messages, **params))

    def stream(self, messages: list[Message], **params: Any) -> TextStream:
        """The reply to `messages` as it is generated, in text pieces."""
        s = sampling(params, self.max_tokens, "llama.cpp")
        usage = Usage()
        return TextStream(self._streamed(messages, s, usage), usage)

    def tokens(self, messages: list[Message]) -> tuple[list[int], list[str]]:
        """The prompt tokens of `messages` under the GGUF's chat template, and the template's
        own stop strings."""
        result = self.formatter(messages=messages)
        prompt = self.llm.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        stops = result.stop if isinstance(result.stop, list) else [result.stop]
        return prompt, [s for s in stops if s]

    def _streamed(self, messages: list[Message], s: Sampling, usage: Usage) -> Iterator[str]:
        llama_cpp = import_llama_cpp()
        prompt, template_stops = self.tokens(messages)
        usage.prompt_tokens = len(prompt)
        if len(prompt) + s.max_tokens > self.llm.n_ctx():
            raise ModelError(
                f"{self.name}: {len(prompt)} prompt tokens + max_tokens {s.max_tokens} exceed "
                f"the context window of {self.llm.n_ctx()}; shorten the messages, lower "
                "max_tokens, or load the model with a larger n_ctx"
            )
        sampled = 0

        def count(input_ids: Any, logits: Any) -> bool:
            nonlocal sampled
            sampled += 1
            return False

        with self._lock:
            usage.prompt_evaluated = len(prompt) - self._reused(prompt)
            chunks = self.llm.create_completion(
                prompt=prompt,
                max_tokens=s.max_tokens,
                temperature=s.temperature,
                top_p=s.top_p,
                top_k=0,
                min_p=0.0,
                repeat_penalty=1.0,
                seed=s.seed,
                stop=[*s.stop, *template_stops],
                stopping_criteria=llama_cpp.StoppingCriteriaList([count]),
                stream=True,
            )
            try:
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    if choice["text"]:
                        yield choice["text"]
                    if choice["finish_reason"]:
                        usage.finish_reason = choice["finish_reason"]
            finally:
                chunks.close()
                # every sampled token but the last is evaluated into the context
                usage.completion_tokens = self.llm.n_tokens - len(prompt) + 1 if sampled else 0

    def _reused(self, prompt: list[int]) -> int:
        """Prompt tokens already in the context from the previous call (the rule
        `Llama.generate` applies: the common prefix, less one when it is the whole prompt)."""
        held = self.llm._input_ids.tolist()
        common = 0
        for a, b in zip(held, prompt, strict=False):
            if a != b:
                break
            common += 1
        if common == len(prompt) == self.llm.n_tokens and not self.llm._requires_eval:
            return common  # the logits of the last prompt token are still live
        return common - 1 if common == len(prompt) and common > 0 else common
