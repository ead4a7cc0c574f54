"""Bad input, fuzzed and hand-picked: rule files and strikes never end in anything but a
:class:`~policyrules.model.errors.PolicyRulesError` (one line, naming where), or success.

- Rule files: the bundled pack copied, one file mutated (lines deleted, duplicated, swapped or
  cut short, values swapped or retyped, keys and raw bytes inserted), then loaded.
- Strikes: any JSON value, and dicts with the real field names holding near misses, look-alikes
  and random values, through ``Engine.evaluate`` on both backends and through the CLI.
- Then the cases a fuzzer is unlikely to find: alias and number bombs, YAML's implicit
  booleans, numbers too large for a float, Unicode look-alikes of region and weapon names.

The slow fuzzers (a pack load per example) run half the examples of the Hypothesis profile.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policyrules import Engine, PolicyRulesError, ProposedStrike, RuleFileError, StrikeError
from policyrules.cli import main
from policyrules.matching import BACKENDS
from policyrules.packs.loader import bundled_rules_dir, load_pack
from policyrules.packs.yamlio import MAX_NUMBER_CHARS
from policyrules.strategies import strikes

from .helpers import COUNTERFIRE_STRIKE as VALID
from .helpers import edit, peak_memory

SLOW = settings(max_examples=max(10, settings().max_examples // 2))
ENGINES = {backend: Engine.load(backend=backend) for backend in BACKENDS}
COMPILED = ENGINES["compiled"]
RULES = bundled_rules_dir()
RULE_FILES = sorted(p.relative_to(RULES).as_posix() for p in RULES.rglob("*.yaml"))
ORIGINALS = {rel: (RULES / rel).read_text(encoding="utf-8") for rel in RULE_FILES}


def assert_one_line_error(err: PolicyRulesError) -> None:
    text = str(err)
    assert text and "\n" not in text and "\r" not in text, text


# Rule files: mutations of the bundled pack ----------------------------------------------

# Values a mutation may put where another value was: every YAML type, YAML syntax, and the
# spellings YAML turns into something unexpected (NO, on, .nan, 2024-13-45, a 41-digit number).
ODD_VALUES = ("1", "-1", "0.5", "1e400", "9" * (MAX_NUMBER_CHARS + 1), ".nan", ".inf", "true", "NO", "on", "~",
              "[]", "{}", "[a, 1]", "{a: 1}", "{range_km: {gt: 1}}", '"x"', "''", "2024-13-45", "2024-05-30",
              "0000-01-01", "2024-05-30 10:00:00", "&a x", "*a", "!!binary aGk=", "!!set {a}", "!foo x",
              "!!python/object:os.system x", "|", ">", "- x", "{", "[", "'", '"', "? x", "---", "@", "all",
              "allowed", "prohibited", "belgorod", "us-no-strikes-in-russia", "baseline", "'\\ud800'",
              '"\\ud800"', "1:1:1:1")
ODD_KEYS = ("colour", "id", "when", "rules", "policy", "version", "default", "extends", "remove", "overrides",
            "any", "all", "not", "param", "gt", "in", "source", "quote", "weapons", "regions", "<<", "1", "~",
            "yes", "[a]")


def _value_split(line: str) -> tuple[str, str] | None:
    """``("  key: ", "value")`` for a ``key: value`` line, else None."""
    head, sep, value = line.partition(": ")
    if not sep or not value.strip() or head.strip().startswith("#"):
        return None
    return head + sep, value


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    """One bundled file (rule file or catalog) with one to three random mutations, as bytes."""
    rel = draw(st.sampled_from(RULE_FILES))
    lines = ORIGINALS[rel].splitlines(keepends=True)
    raw: bytes | None = None
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("delete", "duplicate", "swap_lines", "swap_values", "set_value",
                                     "insert_key", "truncate", "insert_bytes", "insert_text")))
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap_lines":
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "swap_values":
            a, b = _value_split(lines[i].rstrip("\n")), _value_split(lines[j].rstrip("\n"))
            if a and b:
                lines[i], lines[j] = a[0] + b[1] + "\n", b[0] + a[1] + "\n"
        elif kind == "set_value":
            a = _value_split(lines[i].rstrip("\n"))
            if a:
                lines[i] = a[0] + draw(st.sampled_from(ODD_VALUES)) + "\n"
        elif kind == "insert_key":
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(" "))]
            key = draw(st.sampled_from(ODD_KEYS) | st.text(min_size=1, max_size=6))
            lines.insert(i, f"{indent}{key}: {draw(st.sampled_from(ODD_VALUES))}\n")
        else:
            data = "".join(lines).encode("utf-8", "surrogatepass")
            at = draw(st.integers(0, len(data)))
            if kind == "truncate":
                raw = data[:at]
            elif kind == "insert_bytes":
                raw = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
            else:
                raw = data[:at] + draw(st.text(max_size=8)).encode("utf-8", "surrogatepass") + data[at:]
            lines = raw.decode("utf-8", "replace").splitlines(keepends=True)
            continue
        raw = None
    return rel, raw if raw is not None else "".join(lines).encode("utf-8", "surrogatepass")


@SLOW
@given(mutations())
def test_a_mutated_pack_loads_or_fails_with_a_rule_file_error_naming_a_file_of_the_pack(
        mutation: tuple[str, bytes]) -> None:
    """However one file of the pack is mangled, loading either succeeds (and then every strike
    gets a verdict or a PolicyRulesError on both backends) or raises one RuleFileError whose one-line
    message starts with a file of the pack (or the pack itself)."""
    rel, content = mutation
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rules"
        shutil.copytree(RULES, root)
        (root / rel).write_bytes(content)
        try:
            pack = load_pack(root)
        except RuleFileError as e:
            assert_one_line_error(e)
            assert e.file == "rules" or e.file in {f"rules/{f}" for f in RULE_FILES}, e
            assert str(e).startswith(e.file)
            return
    for backend in BACKENDS:
        engine = Engine(pack, backend)
        for strike in (VALID, {**VALID, "weapon": "ATACMS", "range_km": 200, "date": None},
                       {**VALID, "weapon": "Storm Shadow", "target_type": "civilian", "date": "2022-03-01"}):
            try:
                engine.evaluate(strike)
            except PolicyRulesError as e:
                assert_one_line_error(e)


# Strikes: random values, near misses and look-alikes ------------------------------------

FIELDS = (*ProposedStrike.model_fields, "target_country", "target_category")
HUGE = (10**400, -(10**400), 2**63, 2**1024, 1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf, -0.0)


def lookalikes(names: list[str]) -> st.SearchStrategy[str]:
    """A catalog name as typed by someone careless or malicious: case, spaces, Cyrillic letters,
    fullwidth forms, zero-width and combining characters, a letter dropped."""
    cyrillic = str.maketrans("aceiopxyABCEHIKMOPTX", "асеіорхуАВСЕНІКМОРТХ")
    fullwidth = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))})
    return st.sampled_from(names).flatmap(lambda s: st.sampled_from([
        s, s.upper(), f"  {s} ", s.translate(cyrillic), s.translate(fullwidth), s + "\u200b",
        s + "\u0301", "\u212a" + s[1:], s[:-1], s[1:] + s[0], s * 2, "", s.replace("o", "0")]))


def _catalog_names() -> tuple[list[str], list[str]]:
    catalog = COMPILED.pack.catalog
    return ([label for w in catalog.weapons for label in (w.id, w.name, *w.aliases)], list(catalog.region_ids))


WEAPON_NAMES, REGION_IDS = _catalog_names()
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "weapon": lookalikes(WEAPON_NAMES),
    "weapon_class": st.sampled_from(["tube_artillery", "rocket_artillery", "ballistic_missile", "laser",
                                     "Rocket_Artillery", "drone "]),
    "supplier": st.sampled_from(["US", "GB", "FR", "DE", "UA", "us", "NO", "XX", "U$", "USA", "ＵＳ", "UЅ", ""]),
    "target_region": lookalikes(REGION_IDS),
    "target_type": st.sampled_from(["troops", "artillery", "civilian", "energy_infrastructure", "bunker",
                                    "TROOPS", "troops\x00"]),
    "self_defense": st.sampled_from([True, False, "true", "yes", 1, 0, None]),
    "defended_region": lookalikes(REGION_IDS),
    "range_km": st.one_of(st.sampled_from(HUGE), st.floats(), st.integers(),
                          st.sampled_from([0, 30, 80, 80.0000001, 300, 20_100, 20_100.000001, "30", "1e3", True])),
    "date": st.sampled_from(["2024-06-01", "2024-05-29", "2022-02-24", "2022-02-23", "1899-12-31", "1900-01-01",
                             "2200-12-31", "2201-01-01", "0001-01-01", "9999-12-31", "2024-02-30", "20240601",
                             "2024-W22-6", "+10000-01-01", "２０２４-０６-０１", " 2024-06-01 ", 20240601, "", None]),
    "target_country": st.sampled_from(["RU", "UA", "ru", "XX", None]),
    "target_category": st.sampled_from(["military", "civilian", "dual_use", "x", None]),
}
JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
                        st.sampled_from(HUGE))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda kids: st.lists(kids, max_size=3) |
                           st.dictionaries(st.text(max_size=8), kids, max_size=3), max_leaves=8)
# Python-only values Engine.evaluate may be handed: not JSON, but no excuse for a crash either.
PY_LEAVES = st.sampled_from([b"HIMARS", Decimal(100), Decimal("NaN"), dt.date(2024, 6, 1), dt.date.max,
                             dt.datetime(2024, 6, 1, 12), ("belgorod",), frozenset({"x"}), object(), 3 + 4j])


def field_value(name: str, leaves: st.SearchStrategy[Any] = JSON_VALUES) -> st.SearchStrategy[Any]:
    return st.one_of(PLAUSIBLE.get(name, st.nothing()), leaves)


def strike_data(leaves: st.SearchStrategy[Any] = JSON_VALUES) -> st.SearchStrategy[Any]:
    """Anything: a JSON value; a dict of real field names with odd values and stray keys; a valid
    strike with one field replaced by an odd value."""
    dicts = st.fixed_dictionaries({}, optional={f: field_value(f, leaves) for f in FIELDS})
    stray = st.dictionaries(st.text(max_size=8), leaves, max_size=2)
    one_off = st.tuples(strikes(COMPILED), st.sampled_from(FIELDS)).flatmap(
        lambda sf: field_value(sf[1], leaves).map(lambda v: {**sf[0], sf[1]: v}))
    return st.one_of(leaves, st.builds(lambda a, b: {**b, **a}, dicts, stray), one_off)


def outcome(engine: Engine, data: Any) -> tuple[str, ...]:
    """A verdict as (decision, rule, policy), or the error as (class name, message)."""
    try:
        v = engine.evaluate(data)
    except PolicyRulesError as e:
        assert_one_line_error(e)
        return type(e).__name__, str(e)
    return v.decision.value, v.rule.id, v.policy.ref


@given(strike_data(st.one_of(JSON_VALUES, PY_LEAVES)))
def test_any_strike_data_gets_a_verdict_or_a_policyrules_error_on_both_backends(data: Any) -> None:
    """Engine.evaluate, handed anything at all (JSON or Python values), returns a verdict or raises a
    one-line PolicyRulesError: never another exception, on either backend."""
    for engine in ENGINES.values():
        outcome(engine, data)


@given(strike_data())
def test_both_backends_answer_any_strike_data_alike(data: Any) -> None:
    """For any input the two backends give the same verdict, or refuse it with the same error."""
    assert outcome(ENGINES["durable"], data) == outcome(ENGINES["compiled"], data)


@SLOW
@given(strike_data(), st.sampled_from(BACKENDS))
def test_the_cli_answers_any_strike_json_with_exit_0_or_2_and_one_line(data: Any, backend: str) -> None:
    """``policyrules evaluate --strike JSON`` exits 0 with a JSON verdict on stdout and nothing on stderr,
    or exits 2 with nothing on stdout and exactly one line on stderr, without a traceback.

    (``--strike=JSON``: argparse would take a bare negative number after ``--strike`` for an option.)"""
    out, err = io.StringIO(), io.StringIO()
    code = main(["evaluate", "--backend", backend, "--format", "json", f"--strike={json.dumps(data)}"],
                out=out, err=err)
    assert code in (0, 2)
    if code == 0:
        assert err.getvalue() == ""
        answer = json.loads(out.getvalue())
        if "decision" in answer:  # a verdict
            assert answer["decision"] in ("allowed", "prohibited")
        else:  # what one cannot know left out: the answer with its conditions (as --partial)
            assert set(answer["decisions"]) <= {"allowed", "prohibited"} and answer["decisions"]
    else:
        assert out.getvalue() == ""
        assert err.getvalue().count("\n") == 1 and err.getvalue().endswith("\n"), err.getvalue()
        error = json.loads(err.getvalue())  # --format json: the error line is JSON
        assert error["command"] == "evaluate" and error["exit_code"] == 2
        assert "Traceback" not in err.getvalue()


# Rule files: what a fuzzer is unlikely to find ------------------------------------------


def load_error(root: Path) -> RuleFileError:
    with pytest.raises(RuleFileError) as info:
        load_pack(root)
    assert_one_line_error(info.value)
    return info.value


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_billion_laughs_file_is_refused_at_once_with_little_memory(pack_copy: Path) -> None:
    """An alias bomb fails on its first anchor, a few MB at most (expanded, it would take gigabytes)."""
    (pack_copy / "us" / "bomb.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    err, peak = peak_memory(lambda: load_error(pack_copy))
    assert (err.file, err.line) == ("rules/us/bomb.yaml", 1)
    assert "YAML anchors (&name) are not allowed" in str(err)
    assert peak < 20_000_000


def test_a_sexagesimal_number_bomb_is_refused_at_once(pack_copy: Path) -> None:
    """YAML 1.1 reads 1:1:1:... as one base-60 integer, in time quadratic in its length: a long one is
    refused by its length before it is read."""
    edit(pack_copy, "us/baseline.yaml", "    value: 80\n", "    value: 1" + ":1" * 300_000 + "\n")
    longest = [0]
    original = yaml.constructor.SafeConstructor.construct_yaml_int

    def spy(self: Any, node: Any) -> Any:  # what PyYAML itself is asked to read as an integer
        longest[0] = max(longest[0], len(str(node.value)))
        return original(self, node)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(yaml.constructor.SafeConstructor, "construct_yaml_int", spy)
        err = load_error(pack_copy)
    assert longest[0] <= MAX_NUMBER_CHARS  # the long one never reached PyYAML's quadratic reading
    assert (err.file, err.line) == ("rules/us/baseline.yaml", 76)
    assert f"a number of 600001 characters; the limit is {MAX_NUMBER_CHARS}" in str(err)


def test_an_integer_too_large_for_a_float_in_a_condition_is_a_rule_file_error(pack_copy: Path) -> None:
    """A 400-digit threshold is refused when read (it used to escape as an OverflowError)."""
    edit(pack_copy, "us/baseline.yaml", "      target_country: RU\n", "      range_km: {gt: 1" + "0" * 400 + "}\n")
    err = load_error(pack_copy)
    assert err.file == "rules/us/baseline.yaml" and err.line is not None
    assert "a number of 401 characters" in str(err)


def test_a_control_character_is_refused_in_one_line_naming_its_line(pack_copy: Path) -> None:
    edit(pack_copy, "us/baseline.yaml", 'title: "US weapons', 'title: "US\x07 weapons')
    err = load_error(pack_copy)
    assert (err.file, err.line) == ("rules/us/baseline.yaml", 3)
    assert "character #x0007 is not allowed" in str(err)


def test_a_lone_surrogate_escape_is_refused_because_it_could_never_be_printed(pack_copy: Path) -> None:
    edit(pack_copy, "us/baseline.yaml", 'title: "US weapons', 'title: "\\ud800 US weapons')
    err = load_error(pack_copy)
    assert (err.file, err.line) == ("rules/us/baseline.yaml", 3)
    assert "a string with a lone surrogate (\\ud800)" in str(err)


@pytest.mark.parametrize("rel", ["catalog.yaml", "us/2024-05-30.yaml", "common/v1.yaml"])
def test_a_file_cut_off_inside_a_quoted_string_names_itself(pack_copy: Path, rel: str) -> None:
    path = pack_copy / rel
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b'quote: "') + 12])
    err = load_error(pack_copy)
    assert err.file == f"rules/{rel}"
    assert "not valid YAML: found unexpected end of stream" in str(err)


@pytest.mark.parametrize("garbage", [bytes(range(1, 256)), b"\x89PNG\r\n\x1a\n" + bytes(200),
                                     "policy: \u0085\u2028\ufffe".encode()])
def test_binary_garbage_names_the_file(pack_copy: Path, garbage: bytes) -> None:
    (pack_copy / "us" / "baseline.yaml").write_bytes(garbage)
    assert load_error(pack_copy).file == "rules/us/baseline.yaml"


# Wrong types at every level: (file, text to replace, replacement, rule, field, message).
WRONG_TYPES = [
    ("us/baseline.yaml", "rules:\n", "rules: 5\nx_rules:\n", None, "rules", "Input should be a valid tuple"),
    ("us/baseline.yaml", "parameters:\n", "parameters: [80]\nx_parameters:\n", None, "parameters",
     "Input should be a valid dictionary"),
    ("us/baseline.yaml", "    value: 80\n", "    value: [80]\n", None, "parameters.long_range_km.value",
     "Input should be a valid number"),
    ("us/baseline.yaml", 'version: "baseline"', "version: [baseline]", None, "version",
     "Input should be a valid string"),
    ("us/baseline.yaml", "    when:\n      target_country: UA\n", "    when: [target_country, UA]\n",
     "us-inside-ukraine", "when", "Input should be a valid dictionary"),
    ("us/baseline.yaml", "      target_country: UA\n", "      target_country: {in: UA}\n",
     "us-inside-ukraine", "when.target_country.in", "'in' takes a non-empty list"),
    ("us/2024-05-30.yaml", "overrides: [us-no-strikes-in-russia]", "overrides: {us-no-strikes-in-russia: 1}",
     "us-kharkiv-counterfire", "overrides", "Input should be 'all'"),
    ("us/2024-05-30.yaml", "      document: 000_018b07ea078c3e2c.txt\n", "      document: [a, b]\n",
     "us-kharkiv-counterfire", "source.document", "Input should be a valid string"),
    ("catalog.yaml", "weapons:\n", "weapons: {himars: 1}\nx_weapons:\n", None, "weapons",
     "Input should be a valid tuple"),
    ("catalog.yaml", "    reach_km: 80\n", "    reach_km: {km: 80}\n", None, "weapons.0.reach_km",
     "Input should be a valid number"),
]


@pytest.mark.parametrize(("rel", "old", "new", "rule", "field", "text"), WRONG_TYPES,
                         ids=[f"{w[0]}:{w[4]}" for w in WRONG_TYPES])
def test_a_wrong_type_at_any_level_names_file_rule_and_field(
        pack_copy: Path, rel: str, old: str, new: str, rule: str | None, field: str, text: str) -> None:
    edit(pack_copy, rel, old, new)
    err = load_error(pack_copy)
    assert (err.file, err.rule, err.field) == (f"rules/{rel}", rule, field)
    assert err.line is not None and text in str(err)


# YAML's implicit booleans: NO (Norway), yes, on where text belongs ------------------------


def test_an_unquoted_no_as_a_supplier_code_in_the_catalog_says_to_quote_it(pack_copy: Path) -> None:
    line = (pack_copy / "catalog.yaml").read_text(encoding="utf-8").splitlines().index("    suppliers: [US]") + 1
    edit(pack_copy, "catalog.yaml", "    suppliers: [US]\n", "    suppliers: [NO]\n")
    err = load_error(pack_copy)
    assert (err.file, err.field, err.line) == ("rules/catalog.yaml", "weapons.0.suppliers.0", line)
    assert 'YAML reads the unquoted NO as a boolean; quote it: "NO"' in str(err)


def test_an_unquoted_on_in_a_block_list_says_to_quote_it(pack_copy: Path) -> None:
    edit(pack_copy, "catalog.yaml", "    suppliers: [US]\n", "    suppliers:\n      - on\n")
    err = load_error(pack_copy)
    assert err.field == "weapons.0.suppliers.0"
    assert "YAML reads unquoted yes, on and true as booleans; quote the text" in str(err)


def test_an_unquoted_no_in_a_condition_says_to_quote_it(pack_copy: Path) -> None:
    edit(pack_copy, "us/baseline.yaml", "      target_country: RU\n", "      supplier: {in: [US, NO]}\n")
    err = load_error(pack_copy)
    assert (err.rule, err.field) == ("us-no-strikes-in-russia", "when.supplier.in[1]")
    assert "unknown value False for supplier" in str(err)
    assert str(err).endswith('(YAML reads the unquoted NO as a boolean; quote it: "NO")')


@pytest.mark.parametrize(("old", "new", "field", "word"), [
    ("policy: us", "policy: no", "policy", "no"),
    ("default: prohibited", "default: yes", "default", "yes"),
    ('version: "baseline"', "version: off", "version", "off"),
])
def test_an_unquoted_boolean_word_in_a_header_says_to_quote_it(
        pack_copy: Path, old: str, new: str, field: str, word: str) -> None:
    edit(pack_copy, "us/baseline.yaml", old, new)
    err = load_error(pack_copy)
    assert err.field == field
    assert f'YAML reads the unquoted {word} as a boolean; quote it: "{word}"' in str(err)


def test_a_boolean_for_a_date_is_called_a_boolean_not_a_number(pack_copy: Path) -> None:
    edit(pack_copy, "us/baseline.yaml", "effective_from: 2022-02-24", "effective_from: yes")
    err = load_error(pack_copy)
    assert err.field == "effective_from"
    assert "a date (YYYY-MM-DD), not the boolean true" in str(err)


# Strikes: what a fuzzer is unlikely to find ----------------------------------------------


def strike_error(engine: Engine, **changes: Any) -> StrikeError:
    with pytest.raises(StrikeError) as info:
        engine.evaluate({**VALID, **changes})
    assert_one_line_error(info.value)
    return info.value


@pytest.mark.parametrize("value", [10**400, -(10**400), 2**1024])
def test_an_integer_too_large_for_a_float_is_a_strike_error(engine: Engine, value: int) -> None:
    """Python ints beyond the float range used to escape as OverflowError."""
    (problem,) = strike_error(engine, range_km=value).problems
    assert problem.field == "range_km"


def test_an_int_range_beyond_the_reach_is_shown_without_overflow(engine: Engine) -> None:
    assert str(strike_error(engine, range_km=10**400)) == \
        "invalid strike: range_km: about 10^400 km is beyond the reach of HIMARS (80 km)"


def test_a_decimal_range_beyond_the_reach_is_refused(engine: Engine) -> None:
    """Pydantic takes a Decimal as a number; the reach check must see it too (it used to pass)."""
    assert str(strike_error(engine, range_km=Decimal(100))) == \
        "invalid strike: range_km: 100 km is beyond the reach of HIMARS (80 km)"


def test_a_huge_range_without_a_weapon_is_out_of_bounds(engine: Engine) -> None:
    err = strike_error(engine, weapon=None, weapon_class="drone", supplier="US", range_km=1e308)
    assert [str(p) for p in err.problems] == [
        "range_km: Input should be less than or equal to 20100 (got 1e+308)"]


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_a_date_out_of_range_is_refused(engine: Engine, text: str) -> None:
    assert str(strike_error(engine, date=text)) == \
        f"invalid strike: date: out of range (1900-01-01 to 2200-12-31) (got {text!r})"


@pytest.mark.parametrize("text", ["20240601", "2024-W22-6", "2024-153", "+10000-01-01", "２０２４-０６-０１"])
def test_a_date_not_in_yyyy_mm_dd_form_is_refused_whatever_python_version(engine: Engine, text: str) -> None:
    """Python 3.11's fromisoformat reads 20240601 and week dates; the strike format is YYYY-MM-DD only."""
    assert str(strike_error(engine, date=text)) == \
        f"invalid strike: date: not a date in YYYY-MM-DD form (got {text!r})"


@pytest.mark.parametrize(("given", "odd"), [
    ("bеlgorod", "U+0435 CYRILLIC SMALL LETTER IE"),
    ("ｂｅｌｇｏｒｏｄ", "U+FF42 FULLWIDTH LATIN SMALL LETTER B"),
    ("\u00a0belgorod", "U+00A0 NO-BREAK SPACE"),
    ("bel\u200bgorod", "U+200B ZERO WIDTH SPACE"),
])
def test_a_lookalike_region_is_refused_with_a_suggestion_naming_the_odd_characters(
        engine: Engine, given: str, odd: str) -> None:
    (problem,) = strike_error(engine, target_region=given).problems
    assert problem.field == "target_region"
    assert problem.message.startswith(f"unknown region {given!r} (did you mean 'belgorod'? it has non-ASCII "
                                      f"characters: {odd}")


def test_the_kelvin_sign_does_not_pass_for_a_k(engine: Engine) -> None:
    """'\u212a' lower-cases to 'k': a lookup must not fold it into 'kursk'."""
    kelvin = "\u212aursk"
    (problem,) = strike_error(engine, weapon="ATACMS", target_region=kelvin, range_km=100).problems
    assert problem.message.startswith(f"unknown region {kelvin!r} (did you mean 'kursk'? it has non-ASCII "
                                      "characters: U+212A KELVIN SIGN)")


def test_a_lookalike_defended_region_is_refused(engine: Engine) -> None:
    (problem,) = strike_error(engine, defended_region="kharkіv").problems
    assert problem.field == "defended_region"
    assert "(did you mean 'kharkiv'? it has non-ASCII characters: U+0456 " in problem.message


def test_a_fullwidth_weapon_name_is_refused_with_a_suggestion(engine: Engine) -> None:
    (problem,) = strike_error(engine, weapon="ＨＩＭＡＲＳ").problems
    assert problem.field == "weapon"
    assert problem.message.startswith("unknown weapon 'ＨＩＭＡＲＳ' (did you mean 'HIMARS'? it has non-ASCII")


def test_plain_case_and_spacing_differences_are_still_accepted(engine: Engine) -> None:
    v = engine.evaluate({**VALID, "weapon": " himars ", "target_region": "Belgorod", "defended_region": "KHARKIV"})
    assert (v.strike.weapon, v.strike.target_region, v.strike.defended_region) == ("himars", "belgorod", "kharkiv")


def test_a_very_long_unknown_name_is_cut_short_in_the_message(engine: Engine) -> None:
    err = strike_error(engine, weapon="H" * 1_000_000)
    head = str(err).split("; known: ")[0]  # then the catalog's few weapons, each once
    assert len(head) < 200 and "H" * 100 not in str(err) and len(str(err)) < 600


def test_a_boolean_where_text_belongs_says_how_yaml_got_it(engine: Engine) -> None:
    (problem,) = strike_error(engine, weapon=None, weapon_class="drone", supplier=False).problems
    assert problem.message == ("Input should be a valid string (got False; in YAML, quote it: "
                               "unquoted yes, no, on and off are booleans)")


@pytest.mark.parametrize(("text", "message"), [
    ('{"range_km": NaN}', "range_km: Input should be a finite number (got nan)"),
    ('{"range_km": Infinity}', "range_km: Input should be a finite number (got inf)"),
    ('{"range_km": -Infinity}', "range_km: Input should be a finite number (got -inf)"),
    ('{"range_km": 1e400}', "range_km: Input should be a finite number (got inf)"),
    ('{"range_km": 1' + "0" * 400 + "}", "range_km: about 10^400 km is beyond the reach of HIMARS"),
    ('{"range_km": "30"}', "range_km: Input should be a valid number (got '30')"),
    ('{"target_type": "bunker"}', "target_type: unknown target type 'bunker'; known: troops"),
    ('{"date": "9999-12-31"}', "date: out of range (1900-01-01 to 2200-12-31)"),
    ('{"target_region": "b\\u0435lgorod"}', "(did you mean 'belgorod'? it has non-ASCII characters: U+0435"),
    ('{"supplier": false}', "supplier: Input should be a valid string (got False"),
])
def test_the_cli_refuses_a_bad_strike_field_with_exit_2_and_one_line(text: str, message: str, backend: str) -> None:
    changes = json.loads(text)
    out, err = io.StringIO(), io.StringIO()
    code = main(["evaluate", "--backend", backend, "--strike", json.dumps({**VALID, **changes})], out=out, err=err)
    assert (code, out.getvalue()) == (2, "")
    assert err.getvalue().startswith("policyrules evaluate: error: invalid strike")
    assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()
    assert message in err.getvalue(), err.getvalue()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_cli_explains_an_unquoted_no_in_a_yaml_strike_file(tmp_path: Path) -> None:
    f = tmp_path / "strike.yaml"
    f.write_text("weapon_class: drone\nsupplier: NO\ntarget_region: kursk\ntarget_type: troops\nrange_km: 5\n",
                 encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", str(f)], out=out, err=err) == 2
    assert err.getvalue() == ("policyrules evaluate: error: invalid strike: supplier: Input should be a valid "
                              "string (got False; in YAML, quote it: unquoted yes, no, on and off are booleans)\n")
