"""A generator over a Hugging Face folder, run by transformers (CPU or one GPU).

The tokenizer's own chat template builds the prompt; decoding is greedy unless `temperature`
is above 0 (then `top_p` and `seed` apply). A LoRA adapter folder (`inhouse tune lora`) can
be merged in on load; one trained on another base (its record's weights sha256 differs) is
refused. One call generates at a time: a lock is held around each generation, so the generator
can be shared between threads (a stream holds it until it is exhausted or closed). To serve
several adapters on one base, chosen per request, see `inhouse.generate.adapters`.

    >>> qwen = TransformersGenerator("qwen", Path("./Qwen2.5-0.5B-Instruct"))
    >>> qwen.chat([{"role": "user", "content": "What is 2+2?"}], max_tokens=16)
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from inhouse.errors import ModelError
from inhouse.generate.base import (
    Message,
    Sampling,
    TextStream,
    Usage,
    cut_at_stop,
    held_back,
    sampling,
)

# architecture in config.json -> the model families it covers
SUPPORTED = {
    "Qwen2ForCausalLM": "Qwen2, Qwen2.5, DeepSeek-R1-Distill-Qwen",
    "Qwen3ForCausalLM": "Qwen3",
    "LlamaForCausalLM": "DeepSeek-R1-Distill-Llama, SmolLM2",
}


def architecture(folder: Path) -> str:
    """The architecture a folder's config.json names, or a ModelError if it is unsupported."""
    config = folder / "config.json"
    try:
        archs = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(
            f"{config}: cannot read the model's config ({e}); a Hugging Face model folder "
            "holds config.json beside its weights"
        ) from None
    arch = next((a for a in archs if a in SUPPORTED), None)
    if arch is None:
        named = ", ".join(archs) or "none"
        raise ModelError(
            f"{config}:1: architecture {named} is not supported by the transformers generator; "
            f"it runs {', '.join(SUPPORTED)} ({'; '.join(SUPPORTED.values())})"
        )
    return arch


class TransformersGenerator:
    """`Generator` over the causal LM in `folder` (see the module docstring).

    `device`: "cpu", "cuda" or "auto" (CUDA when available). `dtype`: a torch dtype name
    ("float32", "bfloat16", "float16"); None: float32 on CPU, bfloat16 on CUDA.
    `adapter`: a LoRA folder (`inhouse tune lora`) trained on this base model, merged in on
    load. `base_sha256`: the weights sha256 of `folder` when the caller knows it (a registered
    model); None: hashed when an adapter needs the check.
    `max_tokens`: the reply length when a call does not give one."""

    def __init__(
        self,
        name: str,
        folder: Path,
        device: str = "auto",
        dtype: str | None = None,
        adapter: Path | None = None,
        max_tokens: int = 512,
        base_sha256: str | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.name, self.folder, self.max_tokens = name, Path(folder), max_tokens
        self.architecture = architecture(self.folder)
        self._sha256 = base_sha256
        self.adapter = Path(adapter) if adapter else None
        if self.adapter is not None:
            self.check_adapter(self.adapter)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        dtype = dtype or ("bfloat16" if self.device.type == "cuda" else "float32")
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder)
        if not self.tokenizer.chat_template:
            raise ModelError(
                f"{self.folder}: the tokenizer has no chat template (tokenizer_config.json "
                "`chat_template`); use an instruct model's folder"
            )
        model: Any = AutoModelForCausalLM.from_pretrained(self.folder, dtype=getattr(torch, dtype))
        if self.adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(self.adapter)).merge_and_unload()
        self.model: Any = model.to(self.device).eval()
        ends = {self.tokenizer.eos_token_id, *_ids(self.model.generation_config.eos_token_id)}
        self.eos = sorted(i for i in ends if i is not None)
        self._lock = threading.Lock()
        self.plain: Callable[[], None] | None = None
        """Run under the lock before `chat` and `stream`: an `AdapterSet` holding adapters on
        this model sets it to turn them off, so a call on the base is the base alone."""

    @property
    def sha256(self) -> str:
        """The weights sha256 of the base folder, as the registry computes it."""
        if self._sha256 is None:
            from inhouse.models.adapters import folder_sha256

            self._sha256 = folder_sha256(self.folder)[1]
        return self._sha256

    def check_adapter(self, adapter: Path) -> None:
        """A ModelError unless the adapter in `adapter` was trained on this base's weights."""
        from inhouse.models.adapters import BaseRef, check_base, read_adapter

        record = read_adapter(adapter)
        ref = BaseRef(name=self.name, path=self.folder, format="hf-folder", sha256=self.sha256)
        check_base(adapter, record, ref)

    def chat(self, messages: list[Message], **params: Any) -> str:
        """The whole reply to `messages`."""
        return self.chat_with(messages, params, prepare=self.plain)

    def stream(self, messages: list[Message], **params: Any) -> TextStream:
        """The reply to `messages` as it is generated, in text pieces."""
        return self.stream_with(messages, params, prepare=self.plain)

    def chat_with(
        self, messages: list[Message], params: dict[str, Any], prepare: Callable[[], None] | None
    ) -> str:
        """`chat`, calling `prepare` first under the generation lock (it puts the model in the
        state this call needs, e.g. an adapter made active: no other call can change it until
        this one ends)."""
        s = sampling(params, self.max_tokens, "transformers")
        usage = Usage()
        with self._lock:
            if prepare is not None:
                prepare()
            inputs = self._prompt(messages, usage)
            out = self._generate(inputs, s, streamer=None, cancel=None)
            ids = out[0, inputs["input_ids"].shape[1] :].tolist()
        return "".join(self._pieces(ids, s, usage))

    def stream_with(
        self, messages: list[Message], params: dict[str, Any], prepare: Callable[[], None] | None
    ) -> TextStream:
        """`stream`, calling `prepare` first under the lock, which the stream holds until it
        is exhausted or closed."""
        s = sampling(params, self.max_tokens, "transformers")
        usage = Usage()
        return TextStream(self._streamed(messages, s, usage, prepare), usage)

    def _streamed(
        self,
        messages: list[Message],
        s: Sampling,
        usage: Usage,
        prepare: Callable[[], None] | None,
    ) -> Iterator[str]:
        ids: queue.Queue[int | BaseException | None] = queue.Queue()
        cancel = threading.Event()
        with self._lock:
            if prepare is not None:
                prepare()
            inputs = self._prompt(messages, usage)
            worker = threading.Thread(
                target=self._generate_into, args=(inputs, s, ids, cancel), daemon=True
            )
            worker.start()
            try:
                yield from self._pieces(_drain(ids), s, usage)
            finally:
                cancel.set()  # a reader that stops early ends generation at the next token
                worker.join()

    def _prompt(self, messages: list[Message], usage: Usage) -> Any:
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        inputs = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        usage.prompt_tokens = usage.prompt_evaluated = int(inputs["input_ids"].shape[1])
        return inputs.to(self.device)

    def _generate_into(
        self, inputs: Any, s: Sampling, ids: queue.Queue, cancel: threading.Event
    ) -> None:
        try:
            self._generate(inputs, s, streamer=_QueueStreamer(ids), cancel=cancel)
        except BaseException as e:  # re-raised in the reading thread
            ids.put(e)
            ids.put(None)

    def _generate(
        self, inputs: Any, s: Sampling, streamer: Any, cancel: threading.Event | None
    ) -> Any:
        import torch
        from transformers import GenerationConfig, StoppingCriteriaList

        config = GenerationConfig(
            max_new_tokens=s.max_tokens,
            do_sample=not s.greedy,
            temperature=s.temperature if not s.greedy else None,
            top_p=s.top_p if not s.greedy else None,
            top_k=None,
            repetition_penalty=1.0,
            eos_token_id=self.eos,
            pad_token_id=self.tokenizer.pad_token_id or self.eos[0],
        )
        prompt_len = inputs["input_ids"].shape[1]
        stopping = StoppingCriteriaList([_Stop(self.tokenizer, prompt_len, s.stop, cancel)])
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            if s.seed is not None:
                torch.manual_seed(s.seed)
            return self.model.generate(
                **inputs, generation_config=config, stopping_criteria=stopping, streamer=streamer
            )

    def _pieces(self, ids: Iterable[int], s: Sampling, usage: Usage) -> Iterator[str]:
        """Text pieces of the generated `ids`: cut at the first stop string, holding back what
        may still turn into one, so the pieces joined are exactly the whole reply."""
        stops, kept, sent, text = list(s.stop), [], 0, ""
        usage.finish_reason = "stop"
        for i in ids:
            usage.completion_tokens += 1
            if i in self.eos:
                break
            kept.append(i)
            text = str(
                self.tokenizer.decode(
                    kept, skip_special_tokens=True, clean_up_tokenization_spaces=False
                )
            )
            text, hit = cut_at_stop(text, stops)
            if hit:
                break
            end = len(text) - held_back(text, stops)
            if end > sent:
                yield text[sent:end]
                sent = end
        else:
            if usage.completion_tokens >= s.max_tokens:
                usage.finish_reason = "length"
        if len(text) > sent:
            yield text[sent:]


class _QueueStreamer:
    """Receives `generate`'s new token ids (not the prompt) into a queue; None ends it."""

    def __init__(self, ids: queue.Queue) -> None:
        self.ids, self.prompt_seen = ids, False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # generate's first call passes the prompt
            self.prompt_seen = True
            return
        for i in value.reshape(-1).tolist():
            self.ids.put(int(i))

    def end(self) -> None:
        self.ids.put(None)


def _drain(ids: queue.Queue) -> Iterator[int]:
    while (item := ids.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item


class _Stop:
    """Ends generation once a stop string appears in the reply, or the reader has left."""

    def __init__(
        self, tokenizer: Any, prompt_len: int, stops: tuple[str, ...], cancel: Any
    ) -> None:
        self.tokenizer, self.prompt_len = tokenizer, prompt_len
        self.stops, self.cancel = stops, cancel
        # a stop string of n characters lies within the last n + 4 tokens (tokens of ASCII
        # text are at least one character); `_pieces` checks the whole reply either way
        self.tail = max((len(s) for s in stops), default=0) + 4

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        done = self.cancel is not None and self.cancel.is_set()
        if self.stops and not done:
            tail = input_ids[0, max(self.prompt_len, input_ids.shape[1] - self.tail) :]
            text = self.tokenizer.decode(tail, skip_special_tokens=True)
            done = any(s in text for s in self.stops)
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


def _ids(value: int | list[int] | None) -> list[int]:
    if value is None:
        return []
    return [value] if isinstance(value, int) else list(value)
