"""The routing classifier's fine-tuning loop on a tiny random-weight encoder and two intents."""

import math

import numpy as np
import torch

from inhouse.tune.classify import classify_tune

from .conftest import INTENTS, TEXTS


def _intent_gap(model) -> float:
    """Mean cosine between same-intent texts minus that between the two intents."""
    v = model.encode(TEXTS, normalize_embeddings=True)
    sims = v @ v.T
    card = np.array(INTENTS) == "card"
    same = np.equal.outer(card, card)
    other = ~same
    np.fill_diagonal(same, False)
    return float(sims[same].mean() - sims[other].mean())


def test_tuning_lowers_the_loss_and_separates_two_intents(tiny_model) -> None:
    before = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    gap = _intent_gap(tiny_model)
    result = classify_tune(
        tiny_model,
        TEXTS,
        INTENTS,
        epochs=10,
        batch_size=4,
        lr=1e-2,
        head_lr=5e-2,
        frozen_layers=1,
        label_smoothing=0.0,
        progress=False,
    )
    assert result["steps"] == 30  # 10 epochs of 3 batches
    assert result["final_loss"] < 0.75 * math.log(2)  # chance is log 2
    assert _intent_gap(tiny_model) > gap + 0.2  # random weights start near 0
    # embeddings and the lowest block stay fixed; the rest moved; all trainable again after
    after = tiny_model.state_dict()
    moved = {k for k in after if not torch.equal(after[k], before[k])}
    assert moved and all(".encoder.layer.1." in k for k in moved)
    assert all(p.requires_grad for p in tiny_model.parameters())
    assert not tiny_model.training


def test_max_steps_caps_the_run(tiny_model) -> None:
    out = classify_tune(
        tiny_model, TEXTS, INTENTS, epochs=5, batch_size=4, max_steps=2, progress=False
    )
    assert out["steps"] == 2
