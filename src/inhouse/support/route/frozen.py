"""What the routers over a frozen embedder share: their features, and how they are saved.

A frozen router keeps the embedder's weights as they are and learns only arrays on top of its
mean-pooled states at `layers`. It is saved as those arrays plus an ONNX export of the
embedder's graph (the serving path), and loads back through the embedder's registry record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inhouse.artifacts import Manifest
from inhouse.models.embedder import Embedder
from inhouse.models.encoder import BATCH_SIZE, Views
from inhouse.models.features import view_features
from inhouse.models.load import LazyEmbedder, lazy_embedder_for, load_embedder_for
from inhouse.models.onnx import ONNX_FILE, OnnxViews, can_serve_onnx, export_onnx, load_views
from inhouse.support.route.base import Thresholded, restore, save_router

ARRAYS_FILE = "arrays.npz"


class FrozenRouter(Thresholded):
    """Subclasses give `parameters()` (the constructor's keywords), `arrays()` and
    `set_arrays()`; this class gives `features`, `save` and `load`."""

    stores_embedder = False
    serve_precision = "float32"  # one view runs well within the latency target; exact
    embedder: Embedder
    layers: tuple[int, ...] = (-1,)  # the last layer: the sentence embedding
    serving: Views | None = None  # set by `load`: the exported graph
    classes: list[str]

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled states of `layers`: from the exported graph once loaded, else torch."""
        if self.serving is not None:
            return self.serving(texts)[0]
        return view_features(self.embedder, texts, self.layers)

    def parameters(self) -> dict[str, Any]:
        raise NotImplementedError

    def arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def set_arrays(self, arrays: Mapping[str, np.ndarray], classes: list[str]) -> None:
        raise NotImplementedError

    def save(self, path: Path) -> Path:
        def write(folder: Path) -> None:
            np.savez(folder / ARRAYS_FILE, **self.arrays())  # type: ignore[arg-type]
            export_onnx(folder / ONNX_FILE, [(self.embedder, self.layers)], self.serve_precision)

        return save_router(self, path, write, self.parameters(), self.classes, self.embedder)

    @classmethod
    def load(cls, folder: Path, embedder: Embedder | None, manifest: Manifest) -> Any:
        """With its exported graph and no embedder given, the embedder's weights are checked
        but not loaded (`LazyEmbedder`): serving needs only its tokenizer."""
        what, graph = f"the router at {folder}", folder / ONNX_FILE
        built = manifest.base_model
        if embedder is None and built is not None and can_serve_onnx(graph):
            embedder = lazy_embedder_for(built, what)  # its weights checked against `built`
        else:
            embedder = load_embedder_for(built, what, embedder)
        router = cls(embedder, **manifest.parameters)  # type: ignore[call-arg]
        with np.load(folder / ARRAYS_FILE) as arrays:
            router.set_arrays(arrays, list(manifest.state["classes"]))
        # a float32 graph: a batch of messages (the server's dynamic batching) is one run
        if isinstance(embedder, LazyEmbedder):
            router.serving = OnnxViews(graph, embedder.tokenizer(), batch_size=BATCH_SIZE)
        else:
            router.serving = load_views(graph, [(embedder, router.layers)], batch_size=BATCH_SIZE)
        restore(router, manifest)
        return router
