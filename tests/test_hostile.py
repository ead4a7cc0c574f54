"""Issue 16: every hostile input ends in a clear error (one line; exit 2 at the CLI) or a correct
answer, never a wrong verdict, a traceback or unbounded reading. One regression test per finding,
named after it. Inputs that could eat memory or hang run in a child process with a memory cap
and a timeout, so a regression fails its test instead of the test run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from policyrules import Engine, ParameterError, RuleFileError
from policyrules.cli import main
from policyrules.packs.files import MAX_DEPTH
from policyrules.packs.loader import bundled_rules_dir, load_pack
from policyrules.packs.yamlio import MAX_FILE_BYTES, YamlError, load_text, read_file

from .helpers import edit, peak_memory, write_pack

RULES = bundled_rules_dir()
MEMORY_CAP = 512 * 2**20


def load_error(root: Path) -> RuleFileError:
    with pytest.raises(RuleFileError) as info:
        load_pack(root)
    assert "\n" not in str(info.value)
    return info.value


def _capped() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def child(*argv: str | Path, stdin: int | None = subprocess.DEVNULL, timeout: float = 30,
          shell_stdout: str | None = None) -> subprocess.CompletedProcess[str]:
    """``policyrules ARGV`` in a child process under a memory cap, with a timeout; ``shell_stdout``
    (``"| head -c 10"``, ``"> /dev/full"``) runs it through the shell with that redirection."""
    cmd = [sys.executable, "-m", "policyrules.cli", *map(str, argv)]
    if shell_stdout is not None:
        import shlex

        return subprocess.run(f"{shlex.join(cmd)} {shell_stdout}", shell=True, capture_output=True,
                              text=True, timeout=timeout, preexec_fn=_capped, check=False, stdin=stdin,
                              executable=shutil.which("bash"))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=_capped,
                          check=False, stdin=stdin)


def assert_one_line_exit_2(done: subprocess.CompletedProcess[str], command: str, text: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"policyrules {command}: error: "), done.stderr
    assert text in done.stderr, done.stderr


# 2. YAML 1.1 numbers ---------------------------------------------------------------------

THRESHOLD = ("us/baseline.yaml", "      target_country: RU\n")


@pytest.mark.parametrize(("written", "read_as"), [
    ("010", "has a leading zero: YAML 1.1 reads it as octal (8), YAML 1.2 as 10"),
    ("-07", "has a leading zero: YAML 1.1 reads it as octal (-7), YAML 1.2 as -7"),
    ("1:30", "is a base-60 number in YAML 1.1 (read as 90) and text in YAML 1.2"),
    ("1:30.5", "is a base-60 number in YAML 1.1 (read as 90.5) and text in YAML 1.2"),
    ("1_000", "has '_' in it: YAML 1.1 reads it as 1000, YAML 1.2 as text"),
    ("0b101", "is a binary number in YAML 1.1 (read as 5) and text in YAML 1.2"),
])
def test_yaml_octal_and_sexagesimal_thresholds_are_refused_naming_file_line_and_number(
        pack_copy: Path, written: str, read_as: str) -> None:
    """``gt: 010`` used to be read as 8 and ``gt: 1:30`` as 90, silently moving a threshold."""
    edit(pack_copy, *THRESHOLD, f"      target_country: RU\n      range_km: {{gt: {written}}}\n")
    err = load_error(pack_copy)
    assert (err.file, err.code) == ("rules/us/baseline.yaml", "invalid-yaml")
    assert err.line is not None and str(err).startswith(f"rules/us/baseline.yaml:{err.line}: ")
    assert f"the number {written} {read_as}; write it in plain decimal digits, or quote it if it is text" in str(err)


@pytest.mark.parametrize(("text", "value"), [("80", 80), ("-3", -3), ("0", 0), ("80.5", 80.5), ("0x50", 80),
                                              ("1.5e+2", 150.0), ('"010"', "010"), ("'1:30'", "1:30")])
def test_numbers_both_yaml_versions_read_alike_and_quoted_text_still_load(text: str, value: object) -> None:
    assert load_text(f"a: {text}") == {"a": value}


def test_a_yaml_octal_range_in_a_strike_file_is_refused_at_the_cli(tmp_path: Path) -> None:
    f = tmp_path / "strike.yaml"
    f.write_text("weapon: HIMARS\ntarget_region: belgorod\ntarget_type: artillery\nrange_km: 010\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", str(f)], out=out, err=err) == 2
    assert err.getvalue() == (f"policyrules evaluate: error: {f}:4: the number 010 has a leading zero: YAML 1.1 "
                              "reads it as octal (8), YAML 1.2 as 10; write it in plain decimal digits, or quote "
                              "it if it is text\n")


# 5. Unbounded reads ----------------------------------------------------------------------


def test_a_sparse_rule_file_over_the_size_limit_is_refused_without_being_read(pack_copy: Path) -> None:
    """A sparse 1.5 GB file used to cost seconds and gigabytes before it was refused."""
    with (pack_copy / "us" / "huge.yaml").open("wb") as f:
        f.truncate(1_500_000_000)
    err, peak = peak_memory(lambda: load_error(pack_copy))
    assert peak < 50_000_000  # nothing of the 1.5 GB was read
    assert (err.file, err.detail) == ("rules/us/huge.yaml", f"file is 1500000000 bytes; the limit is {MAX_FILE_BYTES}")


def test_read_file_never_reads_more_than_the_limit_plus_one_byte(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_bytes(b"x" * 101)
    assert read_file(f, limit=101) == b"x" * 101
    with pytest.raises(YamlError, match="file is 101 bytes; the limit is 100"):
        read_file(f, limit=100)


@pytest.mark.parametrize("make", ["device", "directory"])
def test_read_file_refuses_devices_and_directories(tmp_path: Path, make: str) -> None:
    path = tmp_path / "x.yaml"
    if make == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    with pytest.raises(YamlError) as info:
        read_file(path)
    kind = {"device": "a character device", "directory": "a directory"}[make]
    assert info.value.message == f"cannot read: {kind}, not a regular file"


def test_read_file_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """Run in a child: opening a FIFO for reading used to wait for a writer forever."""
    path = tmp_path / "x.yaml"
    os.mkfifo(path)
    code = ("import sys; from policyrules.packs.yamlio import YamlError, read_file\n"
            "try: read_file(__import__('pathlib').Path(sys.argv[1]))\n"
            "except YamlError as e: print(e.message)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=30,
                          preexec_fn=_capped, check=False)
    assert (done.returncode, done.stdout) == (0, "cannot read: a FIFO (named pipe), not a regular file\n"), done.stderr


# 3 and 9. The directory walk: depth, links, odd files ------------------------------------


@contextlib.contextmanager
def deep_tree(top: Path, levels: int) -> Iterator[None]:
    """``top/d/d/.../d``, ``levels`` deep, for the time of a test (removed from the bottom up after:
    shutil.rmtree, pytest's clean-up, recurses). Each directory is made relative to its parent's
    descriptor, so no long path is ever resolved."""
    fds = [os.open(top, os.O_RDONLY)]
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fds[-1])
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        yield
    finally:
        for i in range(len(fds) - 1, -1, -1):
            os.close(fds[i])
            if i:
                os.rmdir("d", dir_fd=fds[i - 1])


def test_a_directory_tree_1100_levels_deep_is_refused_at_the_depth_limit_not_by_a_recursion_error(
        pack_copy: Path) -> None:
    with deep_tree(pack_copy / "us", 1100):
        err = load_error(pack_copy)
    assert err.file == "rules/us/" + "/".join(["d"] * (MAX_DEPTH)), err.file
    assert err.detail == f"directories nest more than {MAX_DEPTH} levels below the rules directory"


def test_rule_files_at_the_depth_limit_still_load(pack_copy: Path) -> None:
    deep = pack_copy.joinpath(*["d"] * (MAX_DEPTH - 1))
    deep.mkdir(parents=True)
    (pack_copy / "us" / "2024-11-17.yaml").rename(deep / "us.yaml")
    assert load_pack(pack_copy).policies["us"].versions[-1].file == "rules/" + "d/" * (MAX_DEPTH - 1) + "us.yaml"


@pytest.mark.parametrize(("make", "message"), [
    (lambda p, root: p.symlink_to(root / "nowhere.yaml"), "a broken symbolic link (No such file or directory)"),
    (lambda p, root: p.symlink_to(p), "a symbolic link loop (Too many levels of symbolic links)"),
], ids=["dangling", "loop"])
def test_dangling_symlinks_and_symlink_loops_among_rule_files_are_refused_not_skipped(
        pack_copy: Path, make: object, message: str) -> None:
    make(pack_copy / "us" / "odd.yaml", pack_copy)  # type: ignore[operator]
    err = load_error(pack_copy)
    assert (err.file, err.detail) == ("rules/us/odd.yaml", message)


def test_a_fifo_among_rule_files_is_refused_not_skipped_or_waited_on(pack_copy: Path) -> None:
    os.mkfifo(pack_copy / "us" / "odd.yaml")
    done = child("evaluate", "--rules", pack_copy, "--strike", JSON_STRIKE)
    assert_one_line_exit_2(done, "evaluate", "rules/us/odd.yaml: a FIFO (named pipe): a rule file must be a regular file")


def test_a_symlink_to_a_file_outside_the_rules_folder_is_refused(pack_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    shutil.copy(pack_copy / "us" / "2024-11-17.yaml", outside)
    (pack_copy / "us" / "2024-11-17.yaml").unlink()
    (pack_copy / "us" / "2024-11-17.yaml").symlink_to(outside)
    err = load_error(pack_copy)
    assert err.file == "rules/us/2024-11-17.yaml"
    assert err.detail.startswith("a symbolic link to ")
    assert err.detail.endswith(", outside the rules directory; links are followed only inside it")


def test_a_symlinked_directory_outside_the_rules_folder_is_refused(pack_copy: Path, tmp_path: Path) -> None:
    shutil.move(pack_copy / "gb", tmp_path / "gb")
    (pack_copy / "gb").symlink_to(tmp_path / "gb")
    assert "outside the rules directory" in load_error(pack_copy).detail


def test_symlinks_inside_the_rules_folder_are_followed(pack_copy: Path) -> None:
    (pack_copy / "gb" / "2024-05-02.yaml").rename(pack_copy / "gb.txt")  # not a rule file itself
    (pack_copy / "gb" / "2024-05-02.yaml").symlink_to(pack_copy / "gb.txt")
    assert load_pack(pack_copy).digest == load_pack(RULES).digest


def test_a_directory_linked_twice_is_refused_not_read_twice(pack_copy: Path) -> None:
    (pack_copy / "again").symlink_to(pack_copy / "us")
    err = load_error(pack_copy)
    assert (err.file, err.detail) == ("rules/us", ("a link to a directory read already (rules/again); "
                                                   "a link must not repeat a directory of the pack"))


def test_a_link_to_an_enclosing_directory_is_refused_not_walked_forever(pack_copy: Path) -> None:
    (pack_copy / "us" / "up").symlink_to(pack_copy)
    err = load_error(pack_copy)
    assert (err.file, err.detail) == ("rules/us/up", ("a link to a directory read already (rules); "
                                                      "a link must not repeat a directory of the pack"))


@pytest.mark.parametrize("path", ["", "  "])
def test_an_empty_rules_path_is_refused_not_read_as_the_current_directory(path: str) -> None:
    with pytest.raises(RuleFileError, match="an empty path is not a rules directory"):
        load_pack(path)


# 3. Tracebacks at load -------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("effective_until", "9999-12-31", "out of range (1900-01-01 to 2200-12-31)"),
    ("effective_from", "0001-01-01", "out of range (1900-01-01 to 2200-12-31)"),
    ("effective_from", '"20241117"', "not a date in YYYY-MM-DD form"),
    ("effective_from", '"2024-11-17T00:00:00"', "not a date in YYYY-MM-DD form"),
])
def test_effective_until_9999_12_31_is_refused_not_an_overflow_error(
        pack_copy: Path, field: str, value: str, message: str) -> None:
    """A date at Python's limit used to overflow when the day after a version's window was computed."""
    old = "effective_from: 2024-06-03"  # the latest Dutch version: a plain date, no end
    new = f"{old}\neffective_until: {value}" if field == "effective_until" else f"effective_from: {value}"
    edit(pack_copy, "nl/2024-06-03.yaml", old, new)
    err = load_error(pack_copy)
    assert (err.file, err.field, err.detail) == ("rules/nl/2024-06-03.yaml", field, message)


def chained_rules(n: int) -> str:
    """``n`` rules, each overriding the next: a chain of ``n - 1`` overrides."""
    return "".join(f"  - id: r{i}\n    title: t\n    effect: {'allowed' if i % 2 else 'prohibited'}\n"
                   f"    when: {{range_km: {{ge: {i}}}}}\n" + (f"    overrides: [r{i + 1}]\n" if i + 1 < n else "")
                   + '    source: {document: a.txt, quote: "q"}\n' for i in range(n))


CHAIN_HEAD = "policy: us\nversion: v1\ntitle: t\neffective_from: 2022-02-24\ndefault: allowed\nrules:\n"


def test_a_chain_of_1000_overrides_loads_and_decides_not_a_recursion_error(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, {"us/v1.yaml": CHAIN_HEAD + chained_rules(1001)}))
    strike = {"weapon": "ATACMS", "target_region": "belgorod", "target_type": "troops", "range_km": 250}
    verdicts = [Engine(pack, backend).evaluate(strike) for backend in ("compiled", "durable")]
    assert verdicts[0].model_dump(exclude={"backend"}) == verdicts[1].model_dump(exclude={"backend"})
    chain = {f"r{i}" for i in range(251)}  # r0..r250 match; each overrides the next: all but r0 lose
    assert set(verdicts[0].matched) == chain and set(verdicts[0].overridden) == chain - {"r0"}
    assert verdicts[0].rule.id == "r0"


def test_an_override_cycle_closing_a_chain_of_1000_is_found(tmp_path: Path) -> None:
    rules = chained_rules(1001) + "    overrides: [r0]\n"  # r1000, the last, overrides r0
    with pytest.raises(RuleFileError) as info:
        load_pack(write_pack(tmp_path, {"us/v1.yaml": CHAIN_HEAD + rules}))
    err = info.value
    assert (err.code, err.rule) == ("override-cycle", "r0")
    assert err.detail.startswith("override cycle: r0 -> r1 -> r2 -> ") and err.detail.endswith(" -> r1000 -> r0")


def test_an_extends_chain_of_1100_versions_loads_and_evaluates_on_durable(pack_copy: Path) -> None:
    """Each version extends the one before; the files sort newest first, so the loader meets the end of
    the chain first (it used to recurse once per version)."""
    for i in range(1, 1101):
        parent = f"v{i - 1}" if i > 1 else "2024-11-17"
        day = (dt.date(2025, 1, 1) + dt.timedelta(days=i)).isoformat()
        (pack_copy / "us" / f"v{99999 - i}.yaml").write_text(
            f"policy: us\nversion: v{i}\ntitle: t\neffective_from: {day}\nextends: {parent}\n", encoding="utf-8")
    done = child("evaluate", "--rules", pack_copy, "--format", "json", "--strike", '{"weapon": "HIMARS", '
                 '"target_region": "kursk", "target_type": "troops", "range_km": 10, "self_defense": false}', timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    verdict = json.loads(done.stdout)
    assert (verdict["decision"], verdict["policy"]["version"]) == ("prohibited", "v1100")


@pytest.mark.parametrize("value", [10**400, None, [80], "80", True, float("nan")])
def test_with_parameters_given_10_to_the_400_none_or_a_list_is_a_parameter_error(
        compiled_engine: Engine, value: object) -> None:
    with pytest.raises(ParameterError) as info:
        compiled_engine.with_parameters({"us.long_range_km": value})
    assert str(info.value).startswith("parameter us.long_range_km: expected a")
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


# 9. One date syntax everywhere -----------------------------------------------------------


@pytest.mark.parametrize("ref", ["us@20240601", "us@2024-W22-6", "us@2024-153", "us@２０２４-０６-０１"])
def test_diff_us_at_20240601_is_refused_like_a_strike_date(ref: str) -> None:
    """Policy refs take dates as strikes do: YYYY-MM-DD only (Python 3.11 reads 20240601 as a date)."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["diff", ref, "us"], out=out, err=err) == 2
    assert err.getvalue().startswith(f"policyrules diff: error: {ref!r}: ")
    assert err.getvalue().endswith(" nor a date (not a date in YYYY-MM-DD form)\n")
    assert err.getvalue().count("\n") == 1 and out.getvalue() == ""


def test_a_policy_ref_date_in_yyyy_mm_dd_form_still_resolves() -> None:
    pack = Engine.load(backend="compiled").pack
    assert pack.resolve_ref(" us@2024-06-01 ").version == pack.resolve_ref("us@2024-05-30").version == "2024-05-30"


# 1. Long ids -----------------------------------------------------------------------------

LONG = "x" * 70_000


LONG_IDS = [
    ("catalog.yaml", "  - id: himars\n", f"  - id: himars{LONG}\n", "weapons.0.id"),
    ("catalog.yaml", "    name: HIMARS\n", f"    name: HIMARS{LONG}\n", "weapons.0.name"),
    ("catalog.yaml", "aliases: [M142,", f"aliases: [M142{LONG},", "weapons.0.aliases.0"),
    ("catalog.yaml", "  - id: kharkiv\n", f"  - id: kharkiv{LONG}\n", "regions.7.id"),
    ("us/baseline.yaml", "  - id: us-inside-ukraine\n", f"  - id: us-inside-ukraine{LONG}\n", "id"),
    ("us/baseline.yaml", "policy: us\n", f"policy: us{LONG}\n", "policy"),
    ("us/baseline.yaml", 'version: "baseline"\n', f'version: "baseline{LONG}"\n', "version"),
    ("us/2024-05-30.yaml", "extends: baseline\n", f"extends: baseline{LONG}\n", "extends"),
    ("us/2024-05-30.yaml", "overrides: [us-no-strikes-in-russia", f"overrides: [us-no-strikes-in-russia{LONG}",
     "overrides.0"),
]


@pytest.mark.parametrize(("rel", "old", "new", "field"), LONG_IDS, ids=[f"{c[0]}:{c[3]}" for c in LONG_IDS])
def test_an_id_of_70000_characters_is_refused_at_load_in_one_short_line(
        pack_copy: Path, rel: str, old: str, new: str, field: str) -> None:
    """Ids reach durable_rules, which mismatches strings of 65,535 bytes and more: every id and name
    is bounded far below that when the pack loads, and the error does not echo the value."""
    edit(pack_copy, rel, old, new)
    err = load_error(pack_copy)
    assert (err.file, err.field) == (f"rules/{rel}", field)
    assert "should have at most" in err.detail or "(at most" in err.detail, err.detail
    assert len(str(err)) < 300


# 5. Unbounded reads at the CLI -----------------------------------------------------------

JSON_STRIKE = '{"weapon": "HIMARS", "target_region": "kursk", "target_type": "troops", "range_km": 10}'


@pytest.mark.parametrize("name", ["/dev/zero", "strike.json", "strikes.jsonl"])
def test_evaluate_dev_zero_or_a_strike_file_linked_to_it_is_refused_without_reading(tmp_path: Path, name: str) -> None:
    """``policyrules evaluate /dev/zero`` used to read until MemoryError."""
    path = Path(name) if name.startswith("/") else tmp_path / name
    if not name.startswith("/"):
        path.symlink_to("/dev/zero")
    assert_one_line_exit_2(child("evaluate", path), "evaluate",
                           f"{path}: cannot read: a character device, not a regular file")


def test_a_fifo_as_a_strike_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "strikes.jsonl"
    os.mkfifo(fifo)
    assert_one_line_exit_2(child("evaluate", fifo), "evaluate", f"{fifo}: cannot read: a FIFO (named pipe)")


def test_standard_input_from_dev_zero_is_refused_at_the_line_limit() -> None:
    with open("/dev/zero", "rb") as zero:
        done = child("evaluate", "-", stdin=zero.fileno())
    assert_one_line_exit_2(done, "evaluate", "stdin:1: a line of more than 1000000 bytes; the limit is 1000000")


def test_a_json_strike_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "strike.json"
    with f.open("wb") as out:
        out.truncate(3_000_000_000)
    assert_one_line_exit_2(child("evaluate", f), "evaluate", f"{f}: file is 3000000000 bytes; the limit is 1000000")


def test_a_scenario_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "scenarios-x.yaml"
    os.mkfifo(fifo)
    assert_one_line_exit_2(child("run", "--backend", "compiled", fifo), "run", f"{fifo}: cannot read: a FIFO")


# 6. Duplicate keys in JSON strikes -------------------------------------------------------

DUPLICATE = '{"weapon": "ATACMS", "target_region": "kursk", "target_type": "troops", "range_km": 500, "range_km": 30}'


def test_duplicate_keys_in_a_json_strike_are_refused_not_last_wins(tmp_path: Path) -> None:
    """``"range_km": 500, "range_km": 30`` used to be judged at 30."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", "--strike", DUPLICATE], out=out, err=err) == 2
    assert err.getvalue() == ("policyrules evaluate: error: --strike is not valid JSON: duplicate key 'range_km' in "
                              "one object\n")
    f = tmp_path / "strike.json"
    f.write_text(DUPLICATE, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", str(f)], out=out, err=err) == 2
    assert err.getvalue() == f"policyrules evaluate: error: {f}: not valid JSON: duplicate key 'range_km' in one object\n"


def test_duplicate_keys_in_a_json_lines_strike_are_refused_naming_the_line(tmp_path: Path) -> None:
    f = tmp_path / "strikes.jsonl"
    f.write_text(JSON_STRIKE + "\n" + DUPLICATE.replace('"weapon"', '"nested": {"a": 1, "a": 2}, "weapon"') + "\n",
                 encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", "--backend", "compiled", str(f)], out=out, err=err) == 2
    assert out.getvalue() == "prohibited us-no-strikes-in-russia us@2024-11-17\n"
    assert err.getvalue() == f"policyrules evaluate: error: {f}:2: not valid JSON: duplicate key 'a' in one object\n"


# 7. Errors that echo input ---------------------------------------------------------------


def test_a_forged_log_line_in_a_rule_file_value_is_escaped_in_the_error(pack_copy: Path) -> None:
    edit(pack_copy, "us/baseline.yaml", "      target_country: RU\n",
         '      target_region: "narnia\\nERROR: forged log line"\n')
    err = load_error(pack_copy)
    assert "unknown value 'narnia\\nERROR: forged log line' for target_region" in str(err)


@pytest.mark.parametrize(("old", "new", "shown"), [
    ("      target_country: RU\n", "      target_region: " + "n" * 100_000 + "\n", "unknown value 'nnnnnnnn"),
    ("      target_country: RU\n", "      " + "k" * 1000 + ": 1\n", "unknown field 'kkkkkkk"),  # YAML keys: 1024 at most
    ("    overrides: [us-no-strikes-in-russia]\n", "    overrides: [" + "g" * 100 + "]\n", "overrides 'gggggg"),
    ("extends: baseline\n", "extends: " + "b" * 39 + "\n", "extends unknown version 'bbbbb"),
    ("title:", '"\\e[31m' + "x" * 1000 + '": 1\ntitle:', "field '\\x1b[31mxxxx"),
])
def test_a_100000_character_value_is_cut_short_in_the_error(pack_copy: Path, old: str, new: str, shown: str) -> None:
    rel = "us/2024-05-30.yaml" if "overrides" in old or "extends" in old else "us/baseline.yaml"
    edit(pack_copy, rel, old, new)
    err = load_error(pack_copy)
    assert shown in str(err) and len(str(err)) < 700, str(err)[:1000]
    assert str(err).isprintable()


def test_a_1000_character_unknown_key_in_a_scenario_file_is_cut_short(tmp_path: Path) -> None:
    f = tmp_path / "scenarios-x.yaml"
    f.write_text('- name: "a\\nERROR: forged"\n  strike: {}\n  expect: {decision: allowed}\n  '
                 + "k" * 1000 + ": 1\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    # a malformed scenario is one failed case (its line names it, escaped and cut), not an error
    assert main(["run", "--backend", "compiled", str(f)], out=out, err=err) == 1
    (line,) = [x for x in out.getvalue().splitlines() if x.startswith("FAIL ")]
    assert line.startswith(f"FAIL 'a\\nERROR: forged' ({f}:4): 'kkkk")
    assert line.endswith("...: unknown key") and len(line) < 300 and line.isprintable()


@pytest.mark.parametrize("argv", [["timeline", "us\nERROR: forged" + "x" * 100_000],
                                  ["diff", "us@" + "x" * 100_000, "us"], ["diff", "\x1b[2Jus", "us"]])
def test_values_echoed_at_the_cli_are_escaped_and_cut(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out=out, err=err) == 2
    assert err.getvalue().count("\n") == 1 and err.getvalue()[:-1].isprintable(), err.getvalue()[:300]
    assert len(err.getvalue()) < 600


def test_the_cli_never_prints_more_than_one_bounded_printable_line_for_an_error() -> None:
    from policyrules.commands._common import MAX_MESSAGE_CHARS, one_line

    assert one_line("a\nb\x1b[31mc\x9b" + "x" * 10_000).startswith("a b\\x1b[31mc\\x9bxxx")
    assert len(one_line("x" * 10_000)) == MAX_MESSAGE_CHARS


# 8. Output failures ----------------------------------------------------------------------


def test_a_closed_pipe_on_stdout_ends_quietly_not_as_a_read_error(tmp_path: Path) -> None:
    """``evaluate --format json file.jsonl | head -c 10`` used to report "cannot read: Broken pipe"."""
    f = tmp_path / "strikes.jsonl"
    f.write_text((JSON_STRIKE + "\n") * 3000, encoding="utf-8")
    for source in (str(f), "-"):
        done = child("evaluate", "--backend", "compiled", "--format", "json", source,
                     shell_stdout=f"< {f} | head -c 10; exit ${{PIPESTATUS[0]}}" if source == "-" else
                     "| head -c 10; exit ${PIPESTATUS[0]}", timeout=60)
        assert done.stdout == '{"decision'
        assert done.returncode == 141 and done.stderr == "", (source, done.returncode, done.stderr)


@pytest.mark.parametrize("argv", [("evaluate", "--strike", JSON_STRIKE), ("schema",)])
def test_writing_to_a_full_disk_is_one_line_not_a_traceback(argv: tuple[str, ...]) -> None:
    done = child(*argv, shell_stdout="> /dev/full")
    assert_one_line_exit_2(done, argv[0], "cannot write the output: No space left on device")


def test_a_closed_stdout_is_one_line_not_silence() -> None:
    done = child("evaluate", "--strike", JSON_STRIKE, shell_stdout=">&-")
    assert done.returncode == 2
    assert done.stderr == "policyrules: error: cannot write the output: standard output is closed\n"


def test_an_output_stream_closed_meanwhile_is_one_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    out.close()
    assert main(["schema"], out=out, err=err) == 2
    assert err.getvalue() == "policyrules schema: error: cannot write the output: I/O operation on closed file\n"


# 9. Smaller ones -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["evaluate", "check", "diff", "timeline", "run", "sweep"])
def test_an_empty_rules_option_is_refused_not_read_as_the_current_directory(command: str) -> None:
    extra = {"evaluate": ["--strike", JSON_STRIKE], "diff": ["us", "us"], "run": ["x"],
             "sweep": ["us.long_range_km", "1", "2", "1"]}.get(command, [])
    out, err = io.StringIO(), io.StringIO()
    assert main([command, "--rules", "", *extra], out=out, err=err) == 2
    assert err.getvalue().startswith(f"policyrules {command}: error: argument --rules: an empty path is not a "
                                     "rules directory")


def test_engine_load_of_an_empty_path_is_refused() -> None:
    with pytest.raises(RuleFileError, match="an empty path is not a rules directory"):
        Engine.load("")


def test_scenario_names_with_newlines_or_escapes_are_shown_escaped() -> None:
    from policyrules.scenarios import display_name

    assert display_name("plain name") == "plain name"
    assert display_name("a\nERROR: forged") == "'a\\nERROR: forged'"
    assert display_name("\x1b[2Jclear") == "'\\x1b[2Jclear'"
    assert len(display_name("x" * 10_000)) <= 200


def test_equal_scenario_names_get_unique_node_ids_even_against_a_name_like_the_suffix() -> None:
    """ "x", "x", "x (line 4)": the second "x" (on line 4) used to take the third one's id."""
    from policyrules.pytest_plugin import unique_name

    taken: set[str] = set()
    names = [unique_name(n, line, taken) for n, line in [("x", 1), ("x", 4), ("x (line 4)", 7), ("x", 4)]]
    assert names == ["x", "x (line 4)", "x (line 4) (line 7)", "x (line 4, #2)"]
    assert len(set(names)) == len(names)


def test_a_scenario_directory_1100_levels_deep_is_refused_at_the_depth_limit(tmp_path: Path) -> None:
    (tmp_path / "scenarios-x.yaml").write_text("[]\n", encoding="utf-8")
    with deep_tree(tmp_path, 1100):
        out, err = io.StringIO(), io.StringIO()
        assert main(["run", "--backend", "compiled", str(tmp_path)], out=out, err=err) == 2
    assert err.getvalue() == (f"policyrules run: error: {tmp_path.name}/" + "d/" * 16 + "d: directories nest more "
                              f"than {MAX_DEPTH} levels below the scenario directory\n")


def test_a_rule_file_whose_name_is_not_utf8_is_named_escaped_not_a_unicode_error(pack_copy: Path) -> None:
    """A file name with bytes that are not UTF-8 used to crash the pack digest (UnicodeEncodeError)."""
    (pack_copy / "us" / os.fsdecode(b"\xff\n.yaml")).write_text("policy: us\n", encoding="utf-8")
    err = load_error(pack_copy)
    assert err.file == "'rules/us/\\udcff\\n.yaml'"
    assert str(err).isprintable()


def test_a_source_document_that_is_a_fifo_or_huge_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    docs = tmp_path / "seeds"
    docs.mkdir()
    os.mkfifo(docs / "000_018b07ea078c3e2c.txt")
    with (docs / "004_3f476f21c8c3b469.txt").open("wb") as f:
        f.truncate(3_000_000_000)
    done = child("check", "--sources", docs, "--format", "json", timeout=60)
    assert done.returncode == 0, done.stderr
    import json

    found = {f["message"] for f in json.loads(done.stdout)["findings"] if f["code"] == "document-not-found"}
    assert found == {
        f"document '000_018b07ea078c3e2c.txt' is not in {docs} (cannot read: a FIFO (named pipe), not a regular file)",
        f"document '004_3f476f21c8c3b469.txt' is not in {docs} (file is 3000000000 bytes; the limit is 50000000)"}
