"""Strict YAML reading: ``yaml.SafeLoader`` plus line numbers, no duplicate keys, no aliases.

Anchors and aliases are refused outright (no alias bombs), as are duplicate keys within a
mapping (YAML would silently keep the last one), files above :data:`MAX_FILE_BYTES` (never
more than that is read) and anything that is not a regular file (a FIFO, a device), numbers
longer than :data:`MAX_NUMBER_CHARS` (a sexagesimal ``1:1:1:...`` takes quadratic time to
read), numbers that YAML 1.1 (PyYAML) and YAML 1.2 read differently (``010`` is 8 in one and 10
in the other, ``1:30`` is 90 or text, ``1_000``, ``0b11``) and strings with lone surrogates
(they cannot be printed). Every mapping comes back as
a :class:`LineDict` that remembers the line of each key, so errors found later (by Pydantic or
the loader) can point at a line. The document's mapping also remembers how each unquoted
boolean was spelled (``NO``, ``on``), so a boolean found where text belongs can be explained
(:func:`boolean_hint`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from ..model.errors import echo

MAX_FILE_BYTES = 1_000_000
# The longest integer literal accepted: far beyond any real number in a rule file, short
# enough that no integer (sexagesimal 1:1:..., hex) costs time to read or overflows a float.
MAX_NUMBER_CHARS = 40


class YamlError(ValueError):
    """A file that cannot be read, or is not strict YAML. ``code`` is ``invalid-yaml``, or
    ``invalid-rule-file`` when the file could not be read at all (size, kind, permissions)."""

    def __init__(self, message: str, line: int | None = None, *, code: str = "invalid-yaml") -> None:
        self.line = line
        self.message = message
        self.code = code
        super().__init__(message)


class LineDict(dict[str, Any]):
    """A dict that knows the 1-based line of itself and of each of its keys."""

    line: int | None = None
    key_lines: dict[object, int]
    # On the document's top mapping only: line -> the unquoted booleans on it, as spelled.
    booleans: dict[int, list[str]] | None = None


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.booleans: dict[int, list[str]] = {}

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

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:  # noqa: ARG002 - always deep
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
                raise YamlError(f"duplicate key {echo(key)} in one mapping", key_node.start_mark.line + 1)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result


    def construct_yaml_bool(self, node: ScalarNode) -> bool:
        value: bool = super().construct_yaml_bool(node)
        self.booleans.setdefault(node.start_mark.line + 1, []).append(str(node.value))
        return value

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(node.value)
        if len(text) > MAX_NUMBER_CHARS:
            raise YamlError(f"a number of {len(text)} characters; the limit is {MAX_NUMBER_CHARS}",
                            node.start_mark.line + 1)
        value: int = super().construct_yaml_int(node)
        digits = text.lstrip("+-")
        if ":" in digits or "_" in digits or digits[:2] in ("0b", "0B") or \
                (len(digits) > 1 and digits[0] == "0" and digits[1] not in "xX"):
            raise YamlError(_yaml11_number(text, value), node.start_mark.line + 1)
        return value

    def construct_yaml_float(self, node: ScalarNode) -> float:
        text = str(node.value)
        value: float = super().construct_yaml_float(node)
        if ":" in text or "_" in text:
            raise YamlError(_yaml11_number(text, value), node.start_mark.line + 1)
        return value

    def construct_yaml_str(self, node: ScalarNode) -> str:
        value: str = super().construct_yaml_str(node)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as e:
                raise YamlError(f"a string with a lone surrogate (\\u{ord(value[e.start]):04x}), which is not text",
                                node.start_mark.line + 1) from None
        return value


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _StrictLoader.construct_yaml_bool)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _StrictLoader.construct_yaml_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:str", _StrictLoader.construct_yaml_str)


def load_text(text: str) -> Any:
    """Parse YAML text strictly; raise :class:`YamlError` (with a line) on any problem."""
    try:
        loader = _StrictLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
        if isinstance(data, LineDict):
            data.booleans = loader.booleans
        return data
    except YamlError:
        raise
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (a control character)
        line = text.count("\n", 0, e.position) + 1 if isinstance(e.position, int) else None
        what = f"byte #x{ord(e.character):02x}" if isinstance(e.character, bytes) else \
            f"character #x{e.character:04x}" if isinstance(e.character, int) else "character"
        raise YamlError(f"not valid YAML: {what} is not allowed: {e.reason}", line) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(f"not valid YAML: {e.problem or e.context}", line) from None
    except yaml.YAMLError as e:
        raise YamlError(f"not valid YAML: {e}") from None
    except (ValueError, OverflowError, TypeError, RecursionError) as e:
        # e.g. a timestamp like 2024-13-45 that YAML tries to turn into a date
        raise YamlError(f"not valid YAML: {e}") from None


def _yaml11_number(text: str, value: float) -> str:
    """Why a number YAML 1.1 and YAML 1.2 read differently is refused, naming it as written."""
    digits = text.lstrip("+-")
    if ":" in digits:
        how = f"is a base-60 number in YAML 1.1 (read as {value:g}) and text in YAML 1.2"
    elif "_" in digits:
        how = f"has '_' in it: YAML 1.1 reads it as {value:g}, YAML 1.2 as text"
    elif digits[:2] in ("0b", "0B"):
        how = f"is a binary number in YAML 1.1 (read as {value:g}) and text in YAML 1.2"
    else:
        how = f"has a leading zero: YAML 1.1 reads it as octal ({value:g}), YAML 1.2 as {int(text, 10):g}"
    return f"the number {text} {how}; write it in plain decimal digits, or quote it if it is text"


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"{kind}, not a regular file"


def open_file(path: Path) -> BinaryIO:
    """``path`` opened for reading in binary, when it is a regular file: a FIFO, a device, a socket
    or a directory is refused (a :class:`YamlError`) before it is opened, and a FIFO is never
    waited on (opened without blocking, checked again once open)."""
    try:
        mode = path.stat().st_mode
        if _not_regular(mode):
            raise YamlError(f"cannot read: {_not_regular(mode)}", code="invalid-rule-file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise YamlError(f"cannot read: {e.strerror or e}", code="invalid-rule-file") from None
    f = os.fdopen(fd, "rb")
    try:
        mode = os.fstat(fd).st_mode
    except OSError as e:
        f.close()
        raise YamlError(f"cannot read: {e.strerror or e}", code="invalid-rule-file") from None
    if _not_regular(mode):  # replaced between the two looks
        f.close()
        raise YamlError(f"cannot read: {_not_regular(mode)}", code="invalid-rule-file")
    return f


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file (:func:`open_file`) of at most ``limit`` bytes, reading never more
    than ``limit`` + 1; a file whose size is over the limit is refused without being read."""
    with open_file(path) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise YamlError(f"file is {size} bytes; the limit is {limit}", code="invalid-rule-file")
            raw = f.read(limit + 1)
        except OSError as e:
            raise YamlError(f"cannot read: {e.strerror or e}", code="invalid-rule-file") from None
    if len(raw) > limit:  # it grew since it was measured
        raise YamlError(f"file is over {limit} bytes; the limit is {limit}", code="invalid-rule-file")
    return raw


def load_file(path: Path) -> Any:
    """Read and parse one YAML file, enforcing the size limit and UTF-8."""
    return load_bytes(read_file(path))


def load_bytes(raw: bytes) -> Any:
    """Parse the bytes of a YAML file: UTF-8 text, no NUL byte, strict YAML."""
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


_BOOLEAN_WORDS = {False: "no, off and false", True: "yes, on and true"}


def boolean_hint(data: Any, line: int | None, value: bool) -> str:
    """Advice for a boolean found where text belongs: YAML reads unquoted yes/no/on/off as booleans.

    ``data`` is a document from :func:`load_text` (it knows how each boolean was spelled, by
    line); ``line`` is where the value was found, when known."""
    spelled = (getattr(data, "booleans", None) or {}).get(line, []) if line is not None else []
    word = next((w for w in spelled if yaml.SafeLoader.bool_values.get(w.lower()) is value), None)
    if word is not None:
        return f'YAML reads the unquoted {word} as a boolean; quote it: "{word}"'
    return (f"got the boolean {str(value).lower()}: YAML reads unquoted {_BOOLEAN_WORDS[value]} as booleans; "
            f'quote the text (e.g. "{"YES" if value else "NO"}")')
