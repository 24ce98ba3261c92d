"""A tiny random-weight sentence-transformers model (2 layers, width 32) and two-intent texts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from inhouse.models.embedder import default_embedder_path

CARD = [
    "my card has not arrived yet",
    "when will my new card arrive",
    "still waiting for my card in the mail",
    "the card you sent never came",
    "where is my bank card",
    "card still not delivered",
]
PASSWORD = [
    "I forgot my password",
    "how do I reset my password",
    "password reset link not working",
    "I need a new password",
    "locked out because of my password",
    "how to recover my password",
]
TEXTS = CARD + PASSWORD
INTENTS = ["card"] * len(CARD) + ["password"] * len(PASSWORD)


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BERT of 2 random layers with all-MiniLM-L6-v2's tokenizer, saved as a HF folder."""
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    src = default_embedder_path()
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(src / name, folder / name)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture
def tiny_model(tiny_folder: Path) -> Any:
    """A fresh `SentenceTransformer` (mean pooling) over the tiny BERT, for one test to tune."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    encoder = Transformer(str(tiny_folder), max_seq_length=32)
    return SentenceTransformer(modules=[encoder, Pooling(32, "mean")], device="cpu")
