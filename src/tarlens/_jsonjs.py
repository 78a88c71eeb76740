"""``package.json`` parsed with the semantics npm gets from ``JSON.parse``.

npm reads the file as UTF-8 (invalid bytes become U+FFFD), strips one leading byte-order
mark, and ``JSON.parse`` keeps the *last* of duplicate keys. Those quiet rules are an attack
surface (a second ``"scripts"`` key hides a ``postinstall`` from a reader that keeps the
first), so the parser records every duplicate, the BOM and invalid UTF-8 as facts.
``NaN``/``Infinity``, which Python's ``json`` accepts and ``JSON.parse`` rejects, are errors.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from tarlens._errors import LimitExceeded, PackageJsonError

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


def parse(data: bytes, *, path: str, max_depth: int) -> JsonDoc:
    """Parse ``data`` as npm would; raise :class:`PackageJsonError` where ``JSON.parse`` throws."""
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
    """Check the depth (iteratively) and place every duplicate key at its JSON pointer."""
    found: list[DuplicateKey] = []
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, pointer, depth = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                raise LimitExceeded(
                    "max_json_depth", max_depth, what=f"the nesting depth of {path}"
                )
            for key, count in dups.get(id(node), ()):
                found.append(DuplicateKey(pointer, key, count))
            for k, v in node.items():
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{pointer}/{pointer_escape(k)}", depth + 1))
        elif isinstance(node, list):
            if depth > max_depth:
                raise LimitExceeded(
                    "max_json_depth", max_depth, what=f"the nesting depth of {path}"
                )
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{pointer}/{i}", depth + 1))
    found.sort(key=lambda d: (d.pointer, d.key))
    return tuple(found)
