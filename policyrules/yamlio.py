"""Strict YAML reading: ``yaml.SafeLoader`` plus line numbers, no duplicate keys, no aliases.

Anchors and aliases are refused outright (no alias bombs), as are duplicate keys within a
mapping (YAML would silently keep the last one) and files above :data:`MAX_FILE_BYTES`.
Every mapping comes back as a :class:`LineDict` that remembers the line of each key, so
errors found later (by Pydantic or the loader) can point at a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

MAX_FILE_BYTES = 1_000_000


class YamlError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


class LineDict(dict[str, Any]):
    """A dict that knows the 1-based line of itself and of each of its keys."""

    line: int | None = None
    key_lines: dict[object, int]


class _StrictLoader(yaml.SafeLoader):
    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise YamlError("YAML aliases (*name) are not allowed in rule files",
                            event.start_mark.line + 1)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlError("YAML anchors (&name) are not allowed in rule files",
                            event.start_mark.line + 1)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError("YAML merge keys (<<) are not allowed", key_node.start_mark.line + 1)
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise YamlError("a mapping key must be a plain value",
                                key_node.start_mark.line + 1) from None
            if key in result:
                raise YamlError(f"duplicate key {key!r} in one mapping", key_node.start_mark.line + 1)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_mapping)


def load_text(text: str) -> Any:
    """Parse YAML text strictly; raise :class:`YamlError` (with a line) on any problem."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except YamlError:
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(f"not valid YAML: {e.problem or e.context}", line) from None
    except yaml.YAMLError as e:
        raise YamlError(f"not valid YAML: {e}") from None
    except (ValueError, OverflowError, TypeError, RecursionError) as e:
        # e.g. a timestamp like 2024-13-45 that YAML tries to turn into a date
        raise YamlError(f"not valid YAML: {e}") from None


def load_file(path: Path) -> Any:
    """Read and parse one YAML file, enforcing the size limit and UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlError(f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
        raw = path.read_bytes()
    except OSError as e:
        raise YamlError(f"cannot read: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise YamlError(f"not UTF-8 text (byte {e.start})") from None
    if "\x00" in text:
        raise YamlError("binary data (a NUL byte) in a YAML file")
    return load_text(text)


def line_of(data: Any, loc: Sequence[object]) -> int | None:
    """The line of the deepest element of ``loc`` found in ``data`` (a Pydantic error loc)."""
    line: int | None = data.line if isinstance(data, LineDict) else None
    node = data
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            if isinstance(node, LineDict) and node.line is not None:
                line = node.line
        else:
            break
    return line
