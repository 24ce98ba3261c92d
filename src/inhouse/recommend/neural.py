"""What the torch-trained vector systems (two-tower, sasrec) share: an epoch loop with a progress
bar and a per-epoch log (`inhouse.tune.loop`), the classes a batch's softmax runs over (every
item, or a sample for large catalogs), and the network's weights saved as arrays in the
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

FULL_SOFTMAX_MAX = 100_000  # catalogs up to this size train with a softmax over every item
SAMPLED_NEGATIVES = 4096  # larger ones, by default: the batch's targets + this many drawn items


def negatives_for(n_items: int, negatives: int | None) -> int:
    """How many uniformly drawn negatives a batch's softmax uses: 0 (every item) when
    `negatives` is 0, or when it is None and the catalog has at most `FULL_SOFTMAX_MAX` items
    (a 1M-item softmax over 6,400 positions would be 25 GB of logits per batch)."""
    if negatives is None:
        return 0 if n_items <= FULL_SOFTMAX_MAX else SAMPLED_NEGATIVES
    if negatives < 0:
        from inhouse.errors import ConfigError

        raise ConfigError(f"negatives={negatives}: use 0 (every item), None (auto) or a count")
    return int(negatives)


def sampled_classes(
    targets: torch.Tensor, n_items: int, negatives: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """The classes a batch is scored against, as sampled softmax does: its distinct `targets`
    plus `negatives` items drawn uniformly from the catalog, sorted; and each target's position
    among them. Without a log-Q correction: the in-batch targets are popularity-sampled, which
    pushes popular items down a little, as in-batch negatives do."""
    drawn = torch.randint(n_items, (negatives,), generator=generator)
    classes, where = torch.unique(torch.cat([targets, drawn]), return_inverse=True)
    return classes, where[: len(targets)]


def batch_rows(
    classes: torch.Tensor, inputs: torch.Tensor, pad: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The distinct items a sampled batch uses (its `classes` and `inputs`, and the padding item
    `pad` when given: the largest id, so the last row), sorted; and where each class and each
    input sits among them (`inputs`' shape)."""
    parts = [classes, inputs.flatten()] + ([torch.tensor([pad])] if pad is not None else [])
    rows, where = torch.unique(torch.cat(parts), return_inverse=True)
    local = where[len(classes) : len(classes) + inputs.numel()].view_as(inputs)
    return rows, where[: len(classes)], local


def adam(net: nn.Module, lr: float, sparse_ids: bool) -> list[torch.optim.Optimizer]:
    """AdamW over `net`'s parameters. With `sparse_ids` (sampled training, which looks the ID
    embeddings `ids.weight` up with sparse gradients), those tables get `SparseAdam` instead:
    it updates only the rows a batch used, where a dense step over a 1M-row table costs most of
    the batch's time."""
    ids = [w for name, w in net.named_parameters() if sparse_ids and name.endswith("ids.weight")]
    rest = [w for w in net.parameters() if all(w is not i for i in ids)]
    out: list[torch.optim.Optimizer] = [torch.optim.AdamW(rest, lr=lr, weight_decay=0.0)]
    if ids:
        out.append(torch.optim.SparseAdam(ids, lr=lr))
    return out


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as `torch.nn.GELU()`, for the numpy serving paths: torch's kernel on
    the same memory, much faster than scipy's `erf` on serving-sized blocks."""
    out: np.ndarray = torch.nn.functional.gelu(torch.from_numpy(np.asarray(x))).numpy()
    return out


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
