"""No system name is written out by hand outside its registry and the module defining it: lists
of systems elsewhere are derived from the registries, so they cannot drift."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import inhouse

SRC = Path(inhouse.__file__).parent
REGISTRIES = (
    "inhouse.recommend.registry",
    "inhouse.support.route.registry",
    "inhouse.support.retrieve.registry",
)


def _responses() -> tuple[str, list[str]]:
    """The response systems' registry: its own module once there is one, the bench before."""
    try:
        module = importlib.import_module("inhouse.support.answer.registry")
        return module.__name__, list(module.SYSTEMS)
    except ModuleNotFoundError:
        module = importlib.import_module("inhouse.support.answer.evaluate")
        return module.__name__, list(module.RESPONSE_SYSTEMS)


def registries() -> dict[str, list[str]]:
    """Registry module -> the system names it registers."""
    out = {name: list(importlib.import_module(name).SYSTEMS) for name in REGISTRIES}
    module, names = _responses()
    out[module] = names
    return out


def _path(module: str) -> Path:
    return SRC.joinpath(*module.split(".")[1:]).with_suffix(".py")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of a module, its classes and functions."""
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            out.add(id(first.value))
    return out


def _named(tree: ast.AST) -> set[str]:
    """Names a module gives its systems: `name = "..."` in a class, `self.name = ... "..."`, or
    the default of a `name` parameter. That module defines those systems."""
    values: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(getattr(t, "id", getattr(t, "attr", None)) == "name" for t in targets):
                values.append(node.value)
        if isinstance(node, ast.arguments):
            args = node.posonlyargs + node.args
            pairs = list(zip(args[len(args) - len(node.defaults) :], node.defaults, strict=True))
            pairs += [(a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True) if d]
            values += [d for a, d in pairs if a.arg == "name"]
    return {
        c.value
        for v in values
        for c in ast.walk(v)
        if isinstance(c, ast.Constant) and isinstance(c.value, str)
    }


def _keys(tree: ast.AST) -> set[int]:
    """ids of string subscripts (`arrays["popularity"]`): field names, not systems."""
    return {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}


def literal_uses() -> list[str]:
    """`file:line: 'name'` for each system name written as a string outside where it may be."""
    owners: dict[str, set[Path]] = {}
    for module, names in registries().items():
        for name in names:
            owners.setdefault(name, set()).add(_path(module))
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(SRC.rglob("*.py"))}
    for path, tree in trees.items():
        for name in _named(tree) & owners.keys():
            owners[name].add(path)
    found = []
    for path, tree in trees.items():
        skip = _docstrings(tree) | _keys(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in owners
                and id(node) not in skip
                and path not in owners[node.value]
            ):
                found.append(f"{path.relative_to(SRC.parent)}:{node.lineno}: {node.value!r}")
    return found


def test_every_registry_lists_systems() -> None:
    for module, names in registries().items():
        assert len(names) >= 3 and len(set(names)) == len(names), module


def test_no_system_name_is_written_by_hand_outside_its_registry() -> None:
    found = literal_uses()
    assert not found, (
        "system names written by hand (derive them from the registry, or use the class's "
        "`name`):\n" + "\n".join(found)
    )
