"""The in-batch-negatives loss on hand-built cases, and a tiny contrastive tuning run."""

import math

import numpy as np
import pytest
import torch

from inhouse.tune.contrastive import contrastive_tune, in_batch_negatives_loss

from .conftest import CARD, PASSWORD


def test_loss_on_a_hand_built_batch() -> None:
    q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # length does not matter: cosine
    d = torch.tensor([[3.0, 0.0], [0.0, 1.0]])
    # each query: own doc at cosine 1, the other at 0 -> -log(e / (e + 1))
    loss = in_batch_negatives_loss(q, d, scale=1.0)
    assert float(loss) == pytest.approx(math.log(1 + math.e) - 1)
    swapped = in_batch_negatives_loss(q, d.flip(0), scale=1.0)  # own doc now the orthogonal one
    assert float(swapped) == pytest.approx(math.log(1 + math.e))
    # a larger scale makes the right answer near-certain (e^-20 is below float32's grain)
    assert 0.0 <= float(in_batch_negatives_loss(q, d, scale=20.0)) < 1e-6


def test_loss_equals_sentence_transformers_ranking_loss() -> None:
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(0)
    q, d = torch.randn(6, 8), torch.randn(6, 8)
    library = MultipleNegativesRankingLoss(torch.nn.Identity())  # type: ignore[arg-type]
    assert torch.equal(
        in_batch_negatives_loss(q, d), library.compute_loss_from_embeddings([q, d], None)
    )


def test_tuning_lowers_the_loss_and_pulls_same_intent_texts_together(tiny_model) -> None:
    pairs = [(a, b) for a, b in zip(CARD, CARD[1:] + CARD[:1], strict=True)]
    pairs += [(a, b) for a, b in zip(PASSWORD, PASSWORD[1:] + PASSWORD[:1], strict=True)]
    torch.manual_seed(0)
    log = contrastive_tune(
        tiny_model, pairs, epochs=6, batch_size=4, lr=1e-3, shuffle_seed=0, progress=False
    )
    assert [row["epoch"] for row in log] == [1, 2, 3, 4, 5, 6]
    assert log[-1]["loss"] < log[0]["loss"]
    assert not tiny_model.training  # left in eval mode
    v = tiny_model.encode(CARD + PASSWORD, normalize_embeddings=True)
    sims = v @ v.T
    same = np.add.outer(np.arange(12) < 6, np.arange(12) < 6) != 1
    np.fill_diagonal(same, False)
    assert sims[same].mean() > sims[~same].mean()


def test_same_seed_same_weights(tiny_model, tiny_folder) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    pairs = list(zip(CARD, PASSWORD, strict=True))
    runs = []
    for model in (
        tiny_model,
        SentenceTransformer(
            modules=[Transformer(str(tiny_folder), max_seq_length=32), Pooling(32, "mean")],
            device="cpu",
        ),
    ):
        torch.manual_seed(1)
        contrastive_tune(model, pairs, epochs=2, batch_size=4, shuffle_seed=3, progress=False)
        runs.append(model.state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
