"""The catalogue loads, holds the models the design names, and matches models on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.errors import ModelError
from inhouse.models.catalogue import load_catalogue

DESIGN_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
EXPECTED = {
    "Qwen3-Embedding-0.6B": ("Qwen/Qwen3-Embedding-0.6B", "embedding", 1024),
    "bge-small-en-v1.5": ("BAAI/bge-small-en-v1.5", "embedding", 384),
    "gte-small": ("thenlper/gte-small", "embedding", 384),
    "all-MiniLM-L6-v2": ("sentence-transformers/all-MiniLM-L6-v2", "embedding", 384),
    "all-mpnet-base-v2": ("sentence-transformers/all-mpnet-base-v2", "embedding", 768),
    "smollm2-135m-instruct": ("HuggingFaceTB/SmolLM2-135M-Instruct", "chat", None),
    "qwen2.5-coder-0.5b-instruct": ("Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF", "chat", None),
    "Qwen2.5-0.5B-Instruct": ("Qwen/Qwen2.5-0.5B-Instruct", "chat", None),
    "Qwen2.5-1.5B-Instruct": ("Qwen/Qwen2.5-1.5B-Instruct", "chat", None),
    "Qwen2.5-7B-Instruct": ("Qwen/Qwen2.5-7B-Instruct", "chat", None),
    "Qwen3-0.6B": ("Qwen/Qwen3-0.6B", "chat", None),
    "Qwen3-1.7B": ("Qwen/Qwen3-1.7B", "chat", None),
    "Qwen3-8B": ("Qwen/Qwen3-8B", "chat", None),
    "DeepSeek-R1-Distill-Qwen-1.5B": ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "chat", None),
    "DeepSeek-R1-Distill-Qwen-7B": ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "chat", None),
}


def test_catalogue_has_every_named_model_with_required_fields() -> None:
    cat = load_catalogue()
    assert {e.name for e in cat} == set(EXPECTED)
    for e in cat:
        hf_id, task, dim = EXPECTED[e.name]
        assert (e.hf_id, e.task, e.dimensions) == (hf_id, task, dim)
        assert e.lab and e.licence and e.recommended_use
        assert e.context_length >= 256
        assert e.parameter_count > 10_000_000


def test_minilm_record_pins_the_design_sha256() -> None:
    minilm = load_catalogue()["all-MiniLM-L6-v2"]
    assert minilm.known_sha256() == {"model.safetensors": DESIGN_SHA256}
    assert "modules.json" in {f.path for f in minilm.files}
    assert minilm.parameter_count == 22_700_000


def test_lookup_by_name_or_hf_id_is_case_insensitive_and_unknown_is_an_error() -> None:
    cat = load_catalogue()
    assert cat["qwen/qwen3-8b"].name == "Qwen3-8B"
    assert cat["QWEN3-8B"].name == "Qwen3-8B"
    with pytest.raises(ModelError, match="unknown catalogue model 'Qwen9'.*Qwen3-8B"):
        cat["Qwen9"]


def test_match_by_hash_then_config_then_file_name() -> None:
    cat = load_catalogue()
    assert cat.match("anything", sha256s=[DESIGN_SHA256]).name == "all-MiniLM-L6-v2"
    assert cat.match("x", config={"_name_or_path": "Qwen/Qwen3-1.7B"}).name == "Qwen3-1.7B"
    assert cat.match("Qwen2.5-7B-Instruct-Q4_K_M.gguf").name == "Qwen2.5-7B-Instruct"
    assert cat.match("qwen3-0.6b").name == "Qwen3-0.6B"
    assert cat.match("Qwen3-Embedding-0.6B").name == "Qwen3-Embedding-0.6B"
    assert cat.match("Qwen3-0.6B-finetuned-on-tickets") is None
    assert cat.match("my-model") is None


def test_a_bad_record_is_reported_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "catalogue.toml"
    bad.write_text(
        '[[model]]\nname = "X"\nhf_id = "a/X"\nlab = "l"\nlicence = "MIT"\ntask = "embedding"\n'
        'parameters = "1B"\ncontext_length = 512\nrecommended_use = "u"\n'
    )
    with pytest.raises(ModelError, match=r"\[\[model\]\] X: .*needs `dimensions`"):
        load_catalogue.__wrapped__(bad)
