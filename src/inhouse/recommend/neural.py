"""What the torch-trained vector systems (two-tower, sasrec) share: an epoch loop with a progress
bar and a per-epoch log (`inhouse.tune.loop`), and the network's weights saved as arrays in the
version's npz.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from inhouse.recommend.vectors import VectorRecommender
from inhouse.tune.loop import epoch_log, progress_bar


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as `torch.nn.GELU()`, for the numpy serving paths."""
    from scipy.special import erf

    out: np.ndarray = x * 0.5 * (1.0 + erf(x / np.float32(np.sqrt(2.0))))
    return out.astype(np.float32, copy=False)


class NetRecommender(VectorRecommender):
    """A `VectorRecommender` whose vectors come from a torch network `self.net`.

    A subclass builds the network from the catalog-text matrix (`_build`) and sets the item
    vectors from it (`_refresh_vectors`); fitting calls `_epochs` with one epoch's work.
    """

    net: nn.Module | None = None
    train_log: list[dict[str, float]]

    def _build(self, text: np.ndarray) -> nn.Module:
        """A fresh network over the (n_items, width) catalog-text matrix."""
        raise NotImplementedError

    def _refresh_vectors(self) -> None:
        """Set `item_vectors` from the trained network."""
        raise NotImplementedError

    def _setup_torch(self) -> None:
        """Thread count and seed from the parameters, before building the network."""
        if self.params.get("threads"):
            torch.set_num_threads(int(self.params["threads"]))
        torch.manual_seed(int(self.params["seed"]))

    def _epochs(self, epochs: int, run_epoch: Callable[[], float], label: str = "") -> None:
        """Call `run_epoch()` (returns the epoch's mean loss) `epochs` times, with a progress
        bar, appending loss and seconds per epoch to `train_log`; leaves the network in eval
        mode. `label` names the run in the bar (e.g. which of several towers)."""
        net = self.net
        assert net is not None, f"{self.name}: build the network before training"

        with progress_bar(f"training {self.name}{label}", epochs) as tick:

            def one(_: int) -> float:
                net.train()
                loss = run_epoch()
                tick()
                return loss

            self.train_log += epoch_log(epochs, one)
        net.eval()

    def _state(self) -> dict[str, np.ndarray]:
        assert self.net is not None, f"{self.name}: nothing to save; fit first"
        return {f"net.{k}": v.detach().numpy() for k, v in self.net.state_dict().items()}

    def _set_state(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        weights = {k.removeprefix("net."): v for k, v in arrays.items() if k.startswith("net.")}
        text = next(v for k, v in weights.items() if k.split(".")[-1] == "text")
        self.net = self._build(text[:-1])  # the last text row is the padding item
        self.net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
        self.net.eval()
        self._refresh_vectors()
