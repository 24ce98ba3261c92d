"""The artifacts a server process holds: embedders, recommenders, routers, indexes, assistant.

    >>> models = Models.load(config)
    >>> [card.id for card in models.cards]
    ['all-MiniLM-L6-v2', 'shop', 'bank-router', 'bank-help', 'inhouse-support']

Everything is loaded once at start-up. An artifact built with a loaded embedder (same weights)
shares it instead of loading another copy. The models share state that is not safe across
threads, so every computation holds `Models.lock`: one request computes at a time in a worker
process, and `--workers N` serves N at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from inhouse import artifacts
from inhouse.generate.base import Generator
from inhouse.models.embedder import DEFAULT_EMBEDDER, Embedder, fingerprint
from inhouse.recommend.service import RecommendService
from inhouse.serve.config import SUPPORT_MODEL, GeneratorConfig, ServeConfig
from inhouse.serve.protocol import ModelCard
from inhouse.support.service import SupportService


def _manifest_sha256(folder: Path) -> str:
    return hashlib.sha256((folder / artifacts.MANIFEST).read_bytes()).hexdigest()


def load_embedder_named(name: str) -> Embedder:
    """An embedder by registry name; the embedded default needs no registration."""
    from inhouse.models.load import load_embedder, load_embedder_by_name

    return load_embedder() if name == DEFAULT_EMBEDDER else load_embedder_by_name(name)


BACKENDS = {"LlamaCppGenerator": "llama.cpp", "TransformersGenerator": "transformers"}


def load_generator_named(
    name: str, config: GeneratorConfig, now: int
) -> tuple[Generator, ModelCard]:
    """The generator `config` describes, and its card: a model run here is checked against
    its registered sha256 (or hashed, given by path); an upstream one is named by its URL."""
    if config.base_url is not None:
        from inhouse.generate.upstream import UpstreamGenerator

        upstream = UpstreamGenerator(
            name,
            config.base_url,
            config.model,
            api_key_env=config.api_key_env,
            timeout_s=config.timeout_s,
            retries=config.retries,
            max_tokens=config.max_tokens,
        )
        identity = hashlib.sha256(f"{config.base_url} {config.model}".encode()).hexdigest()
        card = ModelCard(
            id=name, created=now, kind="generator", system="upstream",
            base_model=config.model, sha256=identity,
        )  # fmt: skip
        return upstream, card
    from inhouse.generate.registry import load_generator
    from inhouse.models.registry import read_registry
    from inhouse.models.weights import combined_sha256, inspect_path, sha256_files

    generator = load_generator(
        config.model, adapter=config.adapter, max_tokens=config.max_tokens, n_threads=config.threads
    )
    from inhouse.generate.hf import TransformersGenerator

    registered = read_registry().get(config.model)
    if registered is not None:
        sha256 = registered.weights_sha256()
    elif isinstance(generator, TransformersGenerator):
        sha256 = generator.sha256  # hashed once, shared with the adapters' base check
    else:
        path = Path(config.model).expanduser()
        _, files = inspect_path(path)
        names = [f.name if path.is_file() else f.relative_to(path).as_posix() for f in files]
        sha256 = combined_sha256(dict(zip(names, sha256_files(files), strict=True)))
    system = BACKENDS.get(type(generator).__name__, type(generator).__name__)
    card = ModelCard(
        id=name, created=now, kind="generator", system=system, base_model=config.model,
        sha256=sha256,
    )  # fmt: skip
    return generator, card


def load_adapters_named(
    name: str, config: GeneratorConfig, generator: Generator, now: int
) -> tuple[dict[str, Generator], list[ModelCard]]:
    """The `NAME:ADAPTER` generators of `config.adapters` on the loaded base `generator`, and
    their cards (kind `adapter`, the sha256 of the adapter's weights). Each adapter's record is
    checked against the base now; its weights load when a request first names it."""
    from inhouse.errors import ModelError
    from inhouse.generate.adapters import AdapterSet
    from inhouse.generate.hf import TransformersGenerator
    from inhouse.models.weights import sha256_file

    if not config.adapters:
        return {}, []
    if not isinstance(generator, TransformersGenerator):
        raise ModelError(
            f"[generators.{name}] adapters: several adapters on one base are served by the "
            f"transformers backend only, and {config.model} runs on "
            f"{BACKENDS.get(type(generator).__name__, type(generator).__name__)}; serve the "
            "model's Hugging Face folder, or give each adapter its own [generators.NAME] with "
            "`adapter` (merged in)"
        )
    adapters = AdapterSet(generator, config.adapters, max_resident=config.max_adapters, name=name)
    served: dict[str, Generator] = {}
    cards = []
    for adapter, folder in config.adapters.items():
        view = adapters.generator(adapter)
        served[view.name] = view
        file = folder / "adapter_model.safetensors"
        if not file.is_file():
            raise ModelError(f"{file}: missing; the adapter folder is incomplete, train it again")
        weights = sha256_file(file, progress=False)
        cards.append(
            ModelCard(
                id=view.name,
                created=now,
                kind="adapter",
                system="lora",
                base_model=name,
                sha256=weights,
            )  # fmt: skip
        )
    return served, cards


@dataclass
class Models:
    """Every loaded model by name, and the cards `GET /v1/models` lists."""

    embedders: dict[str, Embedder] = field(default_factory=dict)
    recommenders: dict[str, RecommendService] = field(default_factory=dict)
    routers: dict[str, SupportService] = field(default_factory=dict)
    generators: dict[str, Generator] = field(default_factory=dict)
    assistant: SupportService | None = None
    assistant_router: str | None = None
    cards: list[ModelCard] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, config: ServeConfig) -> Models:
        """Load everything `config` names (a missing or bad artifact is an InhouseError)."""
        from inhouse.support.retrieve.base import read_index
        from inhouse.support.retrieve.registry import load_retriever
        from inhouse.support.route.base import read_router
        from inhouse.support.route.registry import load_router

        models, now = cls(), int(time.time())
        for name in config.embedders:
            emb = models.embedders[name] = load_embedder_named(name)
            card = ModelCard(id=name, created=now, kind="embedder", sha256=fingerprint(emb).sha256)
            models.cards.append(card)
        for name, path in config.recommenders.items():
            models.recommenders[name] = RecommendService(path)
            folder, manifest = artifacts.read(path, "recommend")
            models._card(name, "recommender", folder, manifest, now)
        for name, gen in config.generators.items():
            models.generators[name], card = load_generator_named(name, gen, now)
            models.cards.append(card)
            adapted, cards = load_adapters_named(name, gen, models.generators[name], now)
            models.generators.update(adapted)
            models.cards.extend(cards)
        routers, indexes = {}, {}
        for name, path in config.routers.items():
            folder, manifest = read_router(path)
            routers[name] = load_router(path, models._shared(manifest.base_model))
            models.routers[name] = SupportService.of(router=routers[name])
            models._card(name, "router", folder, manifest, now)
        for name, path in config.indexes.items():
            folder, manifest = read_index(path)
            indexes[name] = load_retriever(path, models._shared(manifest.base_model))
            models._card(name, "index", folder, manifest, now)
        router_name, index_name = config.support_parts()
        if index_name is not None:
            router = routers[router_name] if router_name is not None else None
            generator = None
            if config.support.generator is not None:
                generator = models.generators[config.support.generator]
            models.assistant = SupportService.of(
                router=router, retriever=indexes[index_name], generator=generator
            )
            models.assistant_router = router_name
            parts = f"{index_name}+{router_name}" if router_name else index_name
            digest = hashlib.sha256(
                "".join(
                    c.sha256 for c in models.cards if c.id in (router_name, index_name)
                ).encode()
            ).hexdigest()
            card = ModelCard(
                id=SUPPORT_MODEL, created=now, kind="assistant", system=parts, sha256=digest
            )
            models.cards.append(card)
        return models

    def _shared(self, built: artifacts.ModelRecord | None) -> Embedder | None:
        """A loaded embedder with the weights `built` names, to share instead of loading one."""
        if built is None:
            return None
        for emb in self.embedders.values():
            fp = fingerprint(emb)
            if (fp.sha256, fp.dim) == (built.sha256, built.dim):
                return emb
        return None

    def _card(
        self, name: str, kind: str, folder: Path, manifest: artifacts.Manifest, now: int
    ) -> None:
        base = manifest.base_model.name if manifest.base_model else None
        sha256 = _manifest_sha256(folder)
        card = ModelCard(
            id=name, created=now, kind=kind, system=manifest.system, base_model=base, sha256=sha256
        )
        self.cards.append(card)

    def names(self, kind: str) -> list[str]:
        """The loaded models of one kind, in load order."""
        return [c.id for c in self.cards if c.kind == kind]
