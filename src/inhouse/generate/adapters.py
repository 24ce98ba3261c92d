"""Many LoRA adapters on one base model, chosen per request: `BASE:ADAPTER`.

One copy of the base's weights stays in memory; each adapter (a folder of `inhouse tune lora`)
is put on it the first time a request names it (peft's `PeftModel.load_adapter`,
`set_adapter`), and at most `max_resident` stay loaded: once a new one is in, the least
recently used is deleted (`delete_adapter`; so for a moment one more is in memory), and it
is loaded again when it is asked for.

    >>> adapters = AdapterSet(TransformersGenerator("qwen", folder), {"support-v1": path})
    >>> adapters.generator("support-v1").chat(messages)     # named "qwen:support-v1"
    >>> adapters.generator(None).chat(messages)             # the base alone

Which adapter is active is model state shared by every call, so it is set under the base
generator's generation lock and held there for the whole generation, a stream's included until
it is exhausted or closed: a request for another adapter waits, and no answer is ever computed
with another request's adapter (llama.cpp's server had that bug: ggml-org/llama.cpp#10374).
Every adapter's record is checked against the base's weights sha256 when the set is made, so
a wrong base fails at start-up, not at the first request.

llama.cpp (GGUF) is not covered: llama-cpp-python 0.3.36 exposes `llama_adapter_lora_init`
and `llama_set_adapters_lora` only at its low-level C API (its `Llama` applies one `lora_path`
at construction). Hot-swapping would take an adapter handle per GGUF LoRA, a call to
`llama_set_adapters_lora` under the generator's lock before each generation, and a reset of
the prefix-reuse cache on every switch (the cached KV was computed with the other adapter).
Until then a GGUF is served with one adapter merged, or several as separate generators.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from inhouse.errors import ModelError
from inhouse.generate.base import Message, TextStream
from inhouse.generate.hf import TransformersGenerator


class AdapterSet:
    """LoRA adapters by name on the base `base` (see the module docstring).

    `adapters`: adapter name -> folder; `max_resident`: most adapters loaded at once; `name`:
    the base's served name, which the adapters' names `NAME:ADAPTER` start with (None: the
    base generator's own name)."""

    def __init__(
        self,
        base: TransformersGenerator,
        adapters: dict[str, Path],
        max_resident: int = 4,
        name: str | None = None,
    ) -> None:
        if base.adapter is not None:
            raise ModelError(
                f"{base.name}: its adapter {base.adapter} is merged into the weights; several "
                "adapters go on the base model alone (drop `adapter`, list it in `adapters`)"
            )
        if max_resident < 1:
            raise ModelError(f"{base.name}: max_adapters must be at least 1, not {max_resident}")
        bad = [n for n in adapters if not n or ":" in n]
        if bad:
            raise ModelError(f"{base.name}: adapter name {bad[0]!r} must be non-empty, no ':'")
        self.base, self.max_resident = base, max_resident
        self.name = name if name is not None else base.name
        self.folders = {n: Path(f) for n, f in adapters.items()}
        for folder in self.folders.values():
            base.check_adapter(folder)
        self.resident: OrderedDict[str, None] = OrderedDict()
        """The loaded adapters, least recently used first."""
        self.loads = 0
        """Adapters loaded so far (again after an eviction)."""
        self.evictions = 0
        """Adapters deleted to make room."""
        base.plain = self._plain

    def names(self) -> list[str]:
        """The served model names, `BASE:ADAPTER`, in the order the adapters were given."""
        return [f"{self.name}:{n}" for n in self.folders]

    def generator(self, adapter: str | None) -> AdapterGenerator | TransformersGenerator:
        """The `Generator` answering with `adapter` on the base (None: the base alone); an
        unknown adapter is a ModelError naming the known ones."""
        if adapter is None:
            return self.base
        if adapter not in self.folders:
            raise ModelError(
                f"{self.name}: no adapter {adapter!r}; it has {', '.join(self.names()) or 'none'}"
            )
        return AdapterGenerator(self, adapter)

    def use(self, adapter: str) -> None:
        """Make `adapter` the active one, loading it when it is not resident (then the least
        recently used beyond `max_resident` is deleted). Callers hold the base's lock."""
        from peft import PeftModel

        model: Any = self.base.model
        if adapter not in self.resident:
            folder, device = str(self.folders[adapter]), str(self.base.device)
            if isinstance(model, PeftModel):
                model.load_adapter(folder, adapter_name=adapter, torch_device=device)
            else:  # the first adapter wraps the base model in peft's LoRA layers
                model = PeftModel.from_pretrained(
                    model, folder, adapter_name=adapter, torch_device=device
                )
                self.base.model = model
            model.eval()
            self.loads += 1
        self.resident[adapter] = None
        self.resident.move_to_end(adapter)
        model.base_model.enable_adapter_layers()
        model.set_adapter(adapter)
        while len(self.resident) > self.max_resident:
            evicted, _ = self.resident.popitem(last=False)
            model.delete_adapter(evicted)
            self.evictions += 1

    def _plain(self) -> None:
        """Turn the adapters off for a call on the base (under the lock)."""
        if self.resident:
            self.base.model.base_model.disable_adapter_layers()


class AdapterGenerator:
    """`Generator` of one adapter of an `AdapterSet`: named `BASE:ADAPTER`."""

    def __init__(self, adapters: AdapterSet, adapter: str) -> None:
        self.adapters, self.adapter = adapters, adapter
        self.name = f"{adapters.name}:{adapter}"
        self.folder = adapters.folders[adapter]

    def _prepare(self) -> None:
        self.adapters.use(self.adapter)

    def chat(self, messages: list[Message], **params: Any) -> str:
        """The whole reply to `messages`, with this adapter."""
        return self.adapters.base.chat_with(messages, params, prepare=self._prepare)

    def stream(self, messages: list[Message], **params: Any) -> TextStream:
        """The reply with this adapter, in pieces; the base stays on it until the stream ends."""
        return self.adapters.base.stream_with(messages, params, prepare=self._prepare)
