"""The real GGUFs `inhouse models install` puts in the project's registry; a test skips when
one is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

SMOLLM2 = "smollm2-135m-instruct"
QWEN = "qwen2.5-coder-0.5b-instruct"


def installed_gguf(name: str) -> Path:
    """The path of the registered GGUF `name`, or a skip saying how to install it."""
    from inhouse.models.registry import read_registry

    entry = read_registry().get(name)
    if entry is None or entry.format != "gguf" or entry.status() == "missing":
        pytest.skip(f"{name} is not installed: run `inhouse models install {name}`")
    return entry.path


def long_prefix() -> str:
    """About 400 tokens of real English: the docstrings of inhouse's generate modules."""
    import ast

    import inhouse.generate

    folder = Path(inhouse.generate.__file__).parent
    docs = [ast.get_docstring(ast.parse(p.read_text())) for p in sorted(folder.glob("*.py"))]
    return "\n\n".join(d for d in docs if d)
