"""``policyrules.packs.yamlio`` on its own: strict YAML (no duplicate keys, aliases or merge keys;
numbers YAML 1.1 and 1.2 read differently refused; plain ones read as YAML 1.2 does), line numbers,
the size limit, and files that are not regular files refused without being waited on."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from policyrules.packs.yamlio import (
    MAX_FILE_BYTES,
    MAX_NUMBER_CHARS,
    LineDict,
    YamlError,
    boolean_hint,
    line_of,
    load_bytes,
    load_file,
    load_text,
    read_file,
)


def refused(text: str) -> YamlError:
    with pytest.raises(YamlError) as info:
        load_text(text)
    return info.value


def test_mappings_remember_the_line_of_each_key() -> None:
    data = load_text("a: 1\nrules:\n  - id: x\n    when: {n: 2}\n")
    assert data == {"a": 1, "rules": [{"id": "x", "when": {"n": 2}}]}
    assert isinstance(data, LineDict) and data.line == 1 and data.key_lines == {"a": 1, "rules": 2}
    assert data["rules"][0].line == 3 and data["rules"][0].key_lines == {"id": 3, "when": 4}
    assert line_of(data, ("rules", 0, "when", "n")) == 4
    assert line_of(data, ("rules", 0, "title")) == 3  # not there: the deepest place found
    assert line_of(data, ("rules", 5)) == 2


def test_a_duplicate_key_is_refused_with_its_line() -> None:
    err = refused("a: 1\nb: 2\na: 3\n")
    assert (err.message, err.line, err.code) == ("duplicate key 'a' in one mapping", 3, "invalid-yaml")


@pytest.mark.parametrize(("text", "message", "line"), [
    ("a: &x 1\nb: *x\n", "YAML anchors (&name) are not allowed in rule files", 1),
    ("a: [1]\nb: *x\n", "YAML aliases (*name) are not allowed in rule files", 2),
    ("a: 1\n<<: {b: 2}\n", "YAML merge keys (<<) are not allowed", 2),
    ("? [1, 2]\n: x\n", "a mapping key must be a plain value", 1),
])
def test_anchors_aliases_merge_keys_and_odd_keys_are_refused(text: str, message: str, line: int) -> None:
    err = refused(text)
    assert (err.message, err.line) == (message, line)


@pytest.mark.parametrize(("literal", "why"), [
    ("010", "has a leading zero: YAML 1.1 reads it as octal (8), YAML 1.2 as 10"),
    ("-007", "has a leading zero: YAML 1.1 reads it as octal (-7), YAML 1.2 as -7"),
    ("1:30", "is a base-60 number in YAML 1.1 (read as 90) and text in YAML 1.2"),
    ("1_000", "has '_' in it: YAML 1.1 reads it as 1000, YAML 1.2 as text"),
    ("0b11", "is a binary number in YAML 1.1 (read as 3) and text in YAML 1.2"),
    ("1:30.5", "is a base-60 number in YAML 1.1 (read as 90.5) and text in YAML 1.2"),
    ("1_0.5", "has '_' in it: YAML 1.1 reads it as 10.5, YAML 1.2 as text"),
])
def test_numbers_yaml_1_1_and_1_2_read_differently_are_refused(literal: str, why: str) -> None:
    err = refused(f"x: 1\nn: {literal}\n")
    assert err.line == 2
    assert err.message == f"the number {literal} {why}; write it in plain decimal digits, or quote it if it is text"


@pytest.mark.parametrize(("literal", "value"), [
    ("0", 0), ("10", 10), ("-5", -5), ("0x1F", 31), ("2.5", 2.5), ("1.0e+3", 1000.0), ('"010"', "010"), ("'1:30'", "1:30"),
])
def test_plain_numbers_read_as_in_yaml_1_2(literal: str, value: object) -> None:
    got = load_text(f"n: {literal}\n")["n"]
    assert got == value and type(got) is type(value)


def test_a_number_too_long_is_refused_before_it_is_read() -> None:
    ok = "9" * MAX_NUMBER_CHARS
    assert load_text(f"n: {ok}\n")["n"] == int(ok)
    err = refused(f"n: {ok}9\n")
    assert err.message == f"a number of {MAX_NUMBER_CHARS + 1} characters; the limit is {MAX_NUMBER_CHARS}"


def test_invalid_yaml_names_the_line() -> None:
    err = refused("a: 1\nb: [1, 2\nc: 3\n")
    assert err.message.startswith("not valid YAML: ") and err.line is not None and err.line >= 2


def test_bytes_must_be_utf8_text_without_nul() -> None:
    assert load_bytes(b"name: Kharkiv\n") == {"name": "Kharkiv"}
    with pytest.raises(YamlError, match=r"^not UTF-8 text \(byte 6\)$"):
        load_bytes(b"name: \xff\n")
    with pytest.raises(YamlError, match="binary data"):
        load_bytes(b"a: 1\x00\n")


def test_booleans_found_where_text_belongs_get_advice() -> None:
    data = load_text("a: x\nsupplier: NO\n")
    assert data["supplier"] is False
    assert boolean_hint(data, 2, False) == 'YAML reads the unquoted NO as a boolean; quote it: "NO"'
    assert boolean_hint(data, None, True).startswith("got the boolean true: YAML reads unquoted yes, on and true")


# Files -----------------------------------------------------------------------------------


def test_a_file_within_the_limit_is_read(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text("a: 1\n", encoding="utf-8")
    assert load_file(f) == {"a": 1}
    assert read_file(f, limit=5) == b"a: 1\n"


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(YamlError) as info:
        load_file(f)
    assert info.value.message == f"file is {MAX_FILE_BYTES + 1} bytes; the limit is {MAX_FILE_BYTES}"
    assert info.value.code == "invalid-rule-file"
    small = tmp_path / "small.yaml"
    small.write_text("a: 10\n", encoding="utf-8")
    with pytest.raises(YamlError, match=r"^file is 6 bytes; the limit is 5$"):
        read_file(small, limit=5)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(YamlError) as info:
        load_file(fifo)  # would block forever if it were opened for reading
    assert (info.value.message, info.value.code) == ("cannot read: a FIFO (named pipe), not a regular file",
                                                     "invalid-rule-file")


def test_a_device_a_directory_and_a_socket_are_refused(tmp_path: Path) -> None:
    assert Path("/dev/null").exists()
    with pytest.raises(YamlError, match=r"^cannot read: a character device, not a regular file$"):
        load_file(Path("/dev/null"))
    with pytest.raises(YamlError, match=r"^cannot read: a directory, not a regular file$"):
        load_file(tmp_path)
    path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(YamlError, match=r"^cannot read: a socket, not a regular file$"):
            load_file(path)


def test_a_missing_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(YamlError, match=r"^cannot read: No such file or directory$"):
        load_file(tmp_path / "nowhere.yaml")
