"""A strict reader for the block-style YAML subset ``slack-manifest.yml`` is written in.

Mappings, sequences (of scalars or of mappings), plain / quoted scalars, ``true``/``false``
and comments. Anything else (flow collections, anchors, tags, block scalars, tabs, YAML 1.1
booleans such as ``yes``) is refused rather than guessed at, so the manifest test can never
pass on a misreading; a manifest that needs more is the time to add a YAML library.
"""

from __future__ import annotations

import json
import re
from typing import Any

_KEY = re.compile(r"^([A-Za-z_][\w.-]*):(?: (.*))?$")
_REFUSED_STARTS = tuple("{[&*!|>%@`")
_AMBIGUOUS = {"yes", "no", "on", "off", "y", "n", "null", "~"}
_NUMBER = re.compile(r"^[-+]?[\d._]+(e[-+]?\d+)?$", re.IGNORECASE)


class ManifestSyntaxError(ValueError):
    pass


Line = tuple[int, str]  # indentation, text without the comment


def load(text: str) -> Any:
    lines = _lines(text)
    if not lines:
        raise ManifestSyntaxError("empty document")
    value, end = _block(lines, 0, lines[0][0])
    if end != len(lines):
        raise ManifestSyntaxError(f"unexpected indentation at {lines[end][1]!r}")
    return value


def _lines(text: str) -> list[Line]:
    lines: list[Line] = []
    for raw in text.splitlines():
        if "\t" in raw:
            raise ManifestSyntaxError(f"tab in {raw!r}")
        content = _without_comment(raw).rstrip()
        if content.strip():
            lines.append((len(content) - len(content.lstrip(" ")), content.strip()))
    return lines


def _without_comment(raw: str) -> str:
    quote = ""
    for i, char in enumerate(raw):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#" and (i == 0 or raw[i - 1] == " "):
            return raw[:i]
    return raw


def _block(lines: list[Line], i: int, indent: int) -> tuple[Any, int]:
    if _is_item(lines[i][1]):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _is_item(text: str) -> bool:
    return text == "-" or text.startswith("- ")


def _mapping(lines: list[Line], i: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent and not _is_item(lines[i][1]):
        match = _KEY.match(lines[i][1])
        if match is None:
            raise ManifestSyntaxError(f"expected 'key: value', got {lines[i][1]!r}")
        key, rest = match.group(1), (match.group(2) or "").strip()
        if key in result:
            raise ManifestSyntaxError(f"duplicate key {key!r}")
        i += 1
        if rest:
            result[key] = scalar(rest)
        elif i < len(lines) and (lines[i][0] > indent
                                 or (lines[i][0] == indent and _is_item(lines[i][1]))):
            result[key], i = _block(lines, i, lines[i][0])
        else:
            raise ManifestSyntaxError(f"{key!r} has no value")
    return result, i


def _sequence(lines: list[Line], i: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while i < len(lines) and lines[i][0] == indent and _is_item(lines[i][1]):
        text = lines[i][1][1:].strip()
        if not text:
            raise ManifestSyntaxError("empty sequence item")
        if _KEY.match(text):  # "- key: value" opens a mapping indented past the dash
            lines[i] = (indent + 2, text)
            item, i = _mapping(lines, i, indent + 2)
        else:
            item, i = scalar(text), i + 1
        items.append(item)
    return items, i


def scalar(text: str) -> Any:
    if text.startswith('"'):
        return json.loads(text)  # the manifest's double-quoted strings use no YAML-only escape
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise ManifestSyntaxError(f"unterminated string {text!r}")
        return text[1:-1].replace("''", "'")
    if text in ("true", "false"):
        return text == "true"
    if (text.startswith(_REFUSED_STARTS) or text.lower() in _AMBIGUOUS or ": " in text
            or _NUMBER.match(text)):
        raise ManifestSyntaxError(f"not in the supported subset: {text!r}")
    return text
