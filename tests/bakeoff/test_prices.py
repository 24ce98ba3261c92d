"""The packaged price table and user overrides of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.bakeoff.prices import load_prices
from inhouse.errors import ConfigError

REQUIRED = [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4-1",
    "gpt-4-1-mini",
    "gpt-4-1-nano",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "claude-haiku-4-5",
    "claude-sonnet-4-6",
    "gemini-3-5-flash",
    "gemini-3-5-flash-lite",
    "deepseek-v4-flash",
    "qwen3-5-flash",
    "qwen3-5-plus",
]


def test_packaged_table_has_every_model_with_source_and_date() -> None:
    table = load_prices()
    for key in REQUIRED:
        m = table.models[key]
        assert m.source and m.date, key
        assert m.input > 0 and m.output > 0, key
    assert table.models["gpt-4o"].input == 2.50
    assert table.models["gpt-4o"].output == 10.00
    assert table.models["gpt-4o"].cached_input == 1.25
    assert table.models["deepseek-v4-flash"].date == "2026-04-26"
    c7i = table.machines["c7i-large"]
    assert (c7i.usd_per_hour, c7i.vcpus, c7i.date) == (0.08925, 2, "2026-10-09")
    assert table.machines["h100"].usd_per_hour == 3.13


def test_claude_and_gemini_are_counted_approximately() -> None:
    table = load_prices()
    assert not table.models["claude-haiku-4-5"].exact_tokens
    assert not table.models["gemini-3-5-flash"].exact_tokens
    assert table.models["qwen3-5-plus"].exact_tokens


def test_override_changes_one_field_and_adds_a_model(tmp_path: Path) -> None:
    f = tmp_path / "prices.toml"
    f.write_text(
        "[models.gpt-4o]\ninput = 1.0\ndate = '2027-01-01'\n\n"
        "[models.our-contract]\nlabel = 'Our deal'\nprovider = 'X'\ninput = 0.01\noutput = 0.02\n"
        "tokenizer = 'o200k'\nsource = 'our contract'\ndate = '2026-11-01'\n"
    )
    table = load_prices(f)
    assert table.models["gpt-4o"].input == 1.0
    assert table.models["gpt-4o"].output == 10.00  # untouched field kept
    assert table.models["our-contract"].label == "Our deal"
    assert table.files[-1] == str(f)


def test_bad_override_names_file_line_and_field(tmp_path: Path) -> None:
    f = tmp_path / "prices.toml"
    f.write_text("[models.gpt-4o]\ninput = 1.0\n\n[models.gpt-4o-mini]\noutput = 'cheap'\n")
    with pytest.raises(ConfigError, match=rf"{f}:5: models.gpt-4o-mini.output"):
        load_prices(f)


def test_incomplete_new_model_says_what_it_needs(tmp_path: Path) -> None:
    f = tmp_path / "prices.toml"
    f.write_text("# ours\n[models.new]\ninput = 1.0\n")
    with pytest.raises(ConfigError, match=rf"{f}:2: models.new.label: .*needs label"):
        load_prices(f)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "prices.toml"
    f.write_text("[models.gpt-4o]\ninput = = 1\n")
    with pytest.raises(ConfigError, match=rf"{f}:2: not valid TOML"):
        load_prices(f)
    with pytest.raises(ConfigError, match="no such price file"):
        load_prices(tmp_path / "missing.toml")
