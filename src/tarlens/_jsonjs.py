"""``package.json`` parsed with the semantics npm gets from ``JSON.parse``.

npm reads the file as UTF-8 (invalid bytes become U+FFFD), strips one leading byte-order
mark, and ``JSON.parse`` keeps the *last* of duplicate keys. Those quiet rules are an attack
surface (a second ``"scripts"`` key hides a ``postinstall`` from a reader that keeps the
first), so the parser records every duplicate, the BOM and invalid UTF-8 as facts.
``NaN``/``Infinity``, which Python's ``json`` accepts and ``JSON.parse`` rejects, are errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs

from tarlens._errors import LimitExceeded, PackageJsonError
from tarlens._limits import Limits

__all__: list[str] = []  # private module


@attrs.frozen
class DuplicateKey:
    pointer: str  # JSON pointer of the object holding the key ("" is the top level)
    key: str
    count: int


@attrs.frozen
class JsonDoc:
    value: Any = attrs.field(repr=False)
    bom: bool
    utf8: bool
    duplicates: tuple[DuplicateKey, ...]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def pointer_escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def value_bound(data: bytes) -> int:
    """At least as many values as ``data`` holds as JSON: every value but the first
    follows a comma, a colon or an opening bracket (counted in C, before any parsing)."""
    return 1 + sum(data.count(c) for c in (b",", b":", b"[", b"{"))


def parse(data: bytes, *, path: str, limits: Limits) -> JsonDoc:
    """Parse ``data`` as npm would; raise :class:`PackageJsonError` where ``JSON.parse``
    throws, and :class:`LimitExceeded` beyond ``max_json_values`` or ``max_json_depth``."""
    bound = value_bound(data)
    if bound > limits.max_json_values:
        raise LimitExceeded(
            "max_json_values",
            limits.max_json_values,
            what=f"the values in {path} (up to {bound} by its commas, colons and brackets)",
        )
    try:
        text = data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        utf8 = False
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    dups: dict[int, list[tuple[str, int]]] = {}

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            counts: dict[str, int] = {}
            for k, _ in pairs:
                counts[k] = counts.get(k, 0) + 1
            dups[id(obj)] = [(k, c) for k, c in counts.items() if c > 1]
        return obj

    max_depth = limits.max_json_depth
    try:
        value = json.loads(text, object_pairs_hook=hook, parse_constant=_reject_constant)
    except RecursionError:
        raise LimitExceeded(
            "max_json_depth", max_depth, what=f"the nesting depth of {path}"
        ) from None
    except json.JSONDecodeError as exc:
        raise PackageJsonError(
            path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise PackageJsonError(path, f"invalid JSON: {exc}") from None
    duplicates = _walk(value, dups, max_depth, path)
    return JsonDoc(value=value, bom=bom, utf8=utf8, duplicates=duplicates)


def _walk(
    value: Any, dups: dict[int, list[tuple[str, int]]], max_depth: int, path: str
) -> tuple[DuplicateKey, ...]:
    """Check the depth and place every duplicate key at its JSON pointer: depth first, one
    iterator per open container, so memory follows the depth and not the number of values
    (pointers are spelled only along the way down)."""
    found: list[DuplicateKey] = []
    if not isinstance(value, (dict, list)):
        return ()
    stack: list[tuple[Iterator[tuple[Any, Any]], str]] = []

    def enter(node: Any, pointer: str) -> None:
        if len(stack) >= max_depth:
            raise LimitExceeded("max_json_depth", max_depth, what=f"the nesting depth of {path}")
        if isinstance(node, dict):
            for key, count in dups.get(id(node), ()):
                found.append(DuplicateKey(pointer, key, count))
            stack.append((iter(node.items()), pointer))
        else:
            stack.append((enumerate(node), pointer))

    enter(value, "")
    while stack:
        items, pointer = stack[-1]
        for k, v in items:
            if isinstance(v, (dict, list)):
                key = pointer_escape(k) if isinstance(k, str) else str(k)
                enter(v, f"{pointer}/{key}")
                break
        else:
            stack.pop()
    found.sort(key=lambda d: (d.pointer, d.key))
    return tuple(found)
