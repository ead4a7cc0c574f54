"""``check``: each planted defect yields its finding, named correctly; a clean set yields none."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from textwrap import dedent

import pytest

from policyrules import Engine, PolicyRulesError
from policyrules.analysis.check import CODES, CheckReport, Finding, Severity, check, check_path, structure
from policyrules.cli import main

from .helpers import SEEDS, write_files

CATALOG = """\
weapons:
  - {id: himars, name: HIMARS, weapon_class: rocket_artillery, suppliers: [US], reach_km: 80,
     source: {document: doc.txt, quote: "a range of about 80 km"}}
  - {id: atacms, name: ATACMS, weapon_class: ballistic_missile, suppliers: [US], reach_km: 300}
regions:
  - {id: kharkiv, name: Kharkiv, country: UA, borders: [belgorod]}
  - {id: belgorod, name: Belgorod, country: RU, borders: [kharkiv]}
  - {id: moscow, name: Moscow, country: RU}
"""
DOC = "HIMARS has a range\n of about   80 km. Strikes\ninside Russia stay prohibited.\n"
HEAD = "policy: us\nversion: v1\ntitle: t\neffective_from: 2024-01-01\ndefault: prohibited\nrules:\n"
SRC = 'source: {document: doc.txt, quote: "inside Russia stay prohibited"}'
CLEAN = f"""\
- {{id: us-ukraine, title: t, effect: allowed, when: {{target_country: UA}}, {SRC}}}
- {{id: us-russia, title: t, effect: prohibited, when: {{target_country: RU}}, {SRC}}}
- {{id: us-counterfire, title: t, effect: allowed, overrides: [us-russia], {SRC},
    when: {{target_region: belgorod, self_defense: true, range_km: {{le: 80}}}}}}
"""


def pack(tmp_path: Path, rules: str, head: str = HEAD, extra: dict[str, str] | None = None) -> Path:
    return write_files(tmp_path / "rules", {"us.yaml": head + dedent(rules), **(extra or {})}, CATALOG)


def seeds(tmp_path: Path) -> Path:
    root = tmp_path / "seeds"
    root.mkdir(parents=True)
    (root / "doc.txt").write_text(DOC)
    return root


def only(report: CheckReport, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, report.to_text()
    assert found[0].severity is CODES[code][0]
    return found[0]


def problems(report: CheckReport) -> list[str]:
    return [f.code for f in report.findings if f.severity is not Severity.INFO]


# A clean set -----------------------------------------------------------------------------


def test_a_clean_set_yields_no_errors_or_warnings(tmp_path: Path) -> None:
    report = check_path(pack(tmp_path, CLEAN), seeds(tmp_path))
    assert problems(report) == [] and report.ok
    assert report.classes_per_version == {"us@v1": 3 * 2 * 3} == {"us@v1": report.classes}
    checked = only(report, "classes-checked")
    assert checked.message == ("18 classes of us@v1 checked over target_region, self_defense, range_km, "
                               "target_country, range_km split at 80")
    assert (checked.policy, checked.version, checked.file) == ("us", "v1", "rules/us.yaml")
    assert only(report, "default-classes").message == "0 of 18 classes of us@v1 fall to the default (prohibited)"


def test_default_classes_are_counted_per_version(tmp_path: Path) -> None:
    report = check_path(pack(tmp_path, f"- {{id: a, title: t, effect: allowed, when: {{target_region: moscow}}, "
                                       f"{SRC}}}\n"))
    f = only(report, "default-classes")
    # the regions the rule does not name stand together: moscow, and every other region
    assert f.message == "1 of 2 classes of us@v1 fall to the default (prohibited)"
    assert f.example is not None and f.example["target_region"] in ("kharkiv", "belgorod", "crimea")
    assert report.rulesets[0].default_classes == 1


# Errors ----------------------------------------------------------------------------------


def test_a_reachable_conflict_is_an_error_with_an_example(tmp_path: Path) -> None:
    root = pack(tmp_path, CLEAN + f"- {{id: us-no-artillery, title: t, effect: prohibited, {SRC}, "
                f"when: {{weapon_class: rocket_artillery, target_country: UA}}}}\n")
    report = check_path(root)
    f = only(report, "conflict")
    assert (f.rule, f.rules, f.policy, f.version) == ("us-ukraine", ("us-ukraine", "us-no-artillery"), "us", "v1")
    assert f.message.startswith("us-ukraine (allowed) and us-no-artillery (prohibited) both match and neither "
                                "overrides the other in ")
    assert "weapon_class=rocket_artillery" in f.message and "target_country=UA" in f.message
    assert f.example is not None and not report.ok
    v = Engine.load(root, backend="compiled").evaluate(f.example)
    assert set(v.conflict) == {"us-ukraine", "us-no-artillery"}


@pytest.mark.parametrize(("code", "rules", "rule", "field", "message"), [
    ("override-cycle", """\
        - {id: a, title: t, effect: allowed, overrides: [b], SRC}
        - {id: b, title: t, effect: prohibited, overrides: [a], SRC}
        """, "a", "overrides", "override cycle: a -> b -> a"),
    ("unknown-override", "- {id: a, title: t, effect: allowed, overrides: [nope], SRC}\n",
     "a", "overrides", "overrides 'nope', which is not a rule of us@v1"),
    ("unknown-field", "- {id: a, title: t, effect: allowed, when: {colour: red}, SRC}\n",
     "a", "when.colour", "unknown field 'colour'"),
    ("unknown-value", "- {id: a, title: t, effect: allowed, when: {target_region: atlantis}, SRC}\n",
     "a", "when.target_region", "unknown value 'atlantis' for target_region"),
    ("unknown-value", "- {id: a, title: t, effect: allow, SRC}\n", "a", "effect", "Input should be"),
    ("unknown-parameter", "- {id: a, title: t, effect: allowed, when: {range_km: {gt: {param: far}}}, SRC}\n",
     "a", "when.range_km.gt", "unknown parameter 'far'"),
    ("duplicate-id", """\
        - {id: a, title: t, effect: allowed, SRC}
        - {id: a, title: t, effect: prohibited, SRC}
        """, "a", "id", "duplicate rule id"),
    ("unknown-key", "- {id: a, title: t, effect: allowed, SRC, unless: {}}\n", "a", "unless", "unknown key"),
])
def test_a_rule_directory_that_does_not_load_is_one_error_finding(
        tmp_path: Path, code: str, rules: str, rule: str, field: str, message: str) -> None:
    report = check_path(pack(tmp_path, dedent(rules).replace("SRC", SRC)))
    (f,) = report.findings
    assert (f.code, f.severity, f.rule, f.field, f.file) == (code, Severity.ERROR, rule, field, "rules/us.yaml")
    assert message in f.message
    assert f.line is not None and not report.ok and report.rulesets == ()


def test_invalid_yaml_is_an_error_finding(tmp_path: Path) -> None:
    report = check_path(pack(tmp_path, "- {id: a, title: t\n"))
    (f,) = report.findings
    assert (f.code, f.file, f.rule) == ("invalid-yaml", "rules/us.yaml", None)


def test_structure_is_checked_on_packs_built_without_the_loader(tmp_path: Path) -> None:
    engine = Engine.load(pack(tmp_path, CLEAN), backend="compiled")
    us = engine.pack.policies["us"]
    v1 = us.versions[0]
    bad = dataclasses.replace(v1.rules[2], overrides=frozenset({"us-missing"}))
    v1 = dataclasses.replace(v1, rules=(*v1.rules[:2], bad))
    hacked = dataclasses.replace(engine.pack, policies={"us": dataclasses.replace(us, versions=(v1,))},
                                 _rulesets={})
    (f,) = structure(hacked)
    assert (f.code, f.rule, f.policy, f.version) == ("unknown-override", "us-counterfire", "us", "v1")
    report = check(Engine(hacked, backend="compiled"))
    assert report.codes() == ["unknown-override"] and report.rulesets == ()


# Warnings --------------------------------------------------------------------------------


def test_an_impossible_rule_never_matches(tmp_path: Path) -> None:
    report = check_path(pack(tmp_path, CLEAN + f"- {{id: us-odd, title: t, effect: allowed, {SRC}, "
                             f"when: {{target_region: belgorod, target_country: UA}}}}\n"))
    f = only(report, "never-matches")
    assert (f.rule, f.line, f.example) == ("us-odd", 11, None)
    assert f.message == ("no strike judged by us@v1 satisfies its conditions: target_region = belgorod and "
                         "target_country = UA")
    assert problems(report) == ["never-matches"] and report.ok


def test_a_rule_beyond_every_reach_never_matches(tmp_path: Path) -> None:
    report = check_path(pack(tmp_path, CLEAN + f"- {{id: us-far, title: t, effect: prohibited, {SRC}, "
                             f"when: {{weapon: himars, range_km: {{gt: 100}}}}}}\n"))
    assert only(report, "never-matches").rule == "us-far"


def test_an_always_overridden_rule_never_decides(tmp_path: Path) -> None:
    report = check_path(pack(tmp_path, CLEAN + dedent(f"""\
        - {{id: us-moscow-ok, title: t, effect: allowed, when: {{target_region: moscow}}, {SRC}}}
        - {{id: us-no-moscow, title: t, effect: prohibited, when: {{target_region: moscow}}, {SRC},
            overrides: [us-moscow-ok, us-russia]}}
        """)))
    f = only(report, "never-decides")
    assert (f.rule, f.line) == ("us-moscow-ok", 11)
    assert f.message == "matches 6 classes of us@v1 but never decides: always overridden by us-no-moscow"
    assert f.example is not None and f.example["target_region"] == "moscow"
    assert problems(report) == ["never-decides"]


def test_a_rule_preceded_by_one_with_the_same_effect_never_decides(tmp_path: Path) -> None:
    report = check_path(pack(tmp_path, CLEAN + f"- {{id: us-moscow, title: t, effect: prohibited, {SRC}, "
                             f"when: {{target_region: moscow}}}}\n"))
    f = only(report, "never-decides")
    assert f.rule == "us-moscow"
    assert f.message.endswith("never decides: us-russia decides first where it is not overridden")


def test_a_policy_no_supplier_selects_is_unreachable(tmp_path: Path) -> None:
    nato = HEAD.replace("policy: us", "policy: nato") + f"- {{id: n, title: t, effect: allowed, {SRC}}}\n"
    report = check_path(pack(tmp_path, CLEAN, extra={"nato.yaml": nato}))
    f = only(report, "unreachable-policy")
    assert (f.policy, f.file) == ("nato", "rules/nato.yaml")
    assert f.message == "no supplier code selects policy nato, so no strike is judged by it"
    assert problems(report) == ["unreachable-policy"]


def test_quotes_are_checked_in_their_documents(tmp_path: Path) -> None:
    rules = CLEAN + dedent("""\
        - {id: us-misquoted, title: t, effect: allowed, when: {target_region: kharkiv},
           source: {document: doc.txt, quote: "strikes inside Russia are allowed"}}
        - {id: us-lost, title: t, effect: allowed, when: {target_region: kharkiv},
           source: {document: gone.txt, quote: "x"}}
        - {id: us-web, title: t, effect: allowed, when: {target_region: kharkiv},
           source: {url: "https://example.org", quote: "not checked"}}
        """)
    report = check_path(pack(tmp_path, rules), seeds(tmp_path))
    f = only(report, "quote-not-found")
    assert (f.rule, f.file, f.line) == ("us-misquoted", "rules/us.yaml", 11)
    assert f.message == 'quote not found verbatim in doc.txt: "strikes inside Russia are allowed"'
    g = only(report, "document-not-found")
    assert g.rule == "us-lost" and g.message.startswith("document 'gone.txt' is not in ")
    assert [x.code for x in check_path(pack(tmp_path / "b", rules)).findings if x.code.endswith("found")] == []


def test_a_catalog_quote_is_checked_too(tmp_path: Path) -> None:
    root = seeds(tmp_path)
    (root / "doc.txt").write_text("Strikes inside Russia stay prohibited.")
    f = only(check_path(pack(tmp_path, CLEAN), root), "quote-not-found")
    assert (f.rule, f.field, f.file) == (None, "weapons.himars", "rules/catalog.yaml")


# Entry points ----------------------------------------------------------------------------


def test_engine_check_uses_the_engines_parameters(tmp_path: Path) -> None:
    head = HEAD.replace("rules:\n", "parameters: {far: 80}\nrules:\n")
    rules = CLEAN.replace("{le: 80}", "{le: {param: far}}") + f"- {{id: us-strict, title: t, effect: allowed, " \
        f"{SRC}, when: {{weapon: himars, range_km: {{gt: {{param: far}}}}}}}}\n"
    engine = Engine.load(pack(tmp_path, rules, head), backend="compiled")
    assert only(engine.check(), "never-matches").rule == "us-strict"
    assert "never-matches" not in engine.with_parameters({"us.far": 50}).check().codes()


def test_the_bundled_pack_checks_clean(rules_dir: Path) -> None:
    """Zero errors; and zero warnings, so every quote is verbatim, when the seed reports are beside
    the checkout (../shared/seeds, as in CI); without them the quotes are not checked."""
    report = check_path(rules_dir, SEEDS if SEEDS.is_dir() else None)
    assert report.errors == [], report.to_text()
    # the one warning allowed: the review date is long past (it is the date of the latest reporting encoded)
    assert [w for w in report.warnings if w.code != "stale-review"] == [], report.to_text()
    versions = {v.ref for p in Engine.load(rules_dir, backend="compiled").pack.policies.values()
                for v in p.versions if v.policy != "common"}
    assert set(report.classes_per_version) == versions
    assert all(n > 0 for n in report.classes_per_version.values())


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["check", *args], out=out, err=out)
    return code, out.getvalue()


def test_cli_exit_codes_and_formats(tmp_path: Path) -> None:
    clean, docs = pack(tmp_path, CLEAN), seeds(tmp_path)
    code, text = cli("--rules", str(clean), "--sources", str(docs))
    assert code == 0 and text.splitlines()[-1].startswith("0 errors, 0 warnings; 18 classes in 1 rule set checked")
    bad = pack(tmp_path / "bad", CLEAN + f"- {{id: x, title: t, effect: prohibited, when: {{target_country: UA}}, "
                                         f"{SRC}}}\n")
    code, text = cli("--rules", str(bad), "--format", "json")
    data = json.loads(text)
    assert code == 1 and [f["code"] for f in data["findings"] if f["severity"] == "error"] == ["conflict"]
    assert data["classes_per_version"] == {"us@v1": 18} and data["findings"][0]["example"]["date"] == "2024-01-01"
    code, text = cli("--rules", str(clean), "--sources", str(tmp_path / "nowhere"))
    assert code == 2 and "is not a directory" in text
    code, text = cli("--rules", str(pack(tmp_path / "c", "- {id: a, title: t, effect: allowed, "
                                         "when: {colour: red}, " + SRC + "}\n")))
    assert code == 1 and "error   unknown-field" in text and "rule a: field when.colour" in text


def test_sources_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyRulesError, match="is not a directory"):
        check_path(pack(tmp_path, CLEAN), tmp_path / "missing")


def test_check_reports_every_load_error_of_a_pack_in_one_run_each_with_its_code(tmp_path: Path) -> None:
    """Each problem the loader found is a finding with the code its error carries (set where it was
    raised, never read from the message), in the order found. (f's override of 'nope' is not one:
    with a file unread, 'nope' may be one of its rules.)"""
    rules = f"""\
        - {{id: a, title: t, effect: allow, {SRC}}}
        - {{id: b, title: t, effect: allowed, when: {{colour: red}}, {SRC}}}
        - {{id: c, title: t, effect: allowed, when: {{target_region: atlantis}}, {SRC}}}
        - {{id: d, title: t, effect: allowed, when: {{range_km: {{gt: {{param: far}}}}}}, {SRC}}}
        - {{id: e, title: t, effect: allowed, when: {{range_km: {{gt: 1, lt: 2}}}}, {SRC}}}
        - {{id: e, title: t, effect: allowed, {SRC}}}
        - {{id: f, title: t, effect: allowed, overrides: [nope], {SRC}}}
        - {{id: g, title: t, effect: allowed, overrides: [h], {SRC}}}
        - {{id: h, title: t, effect: allowed, overrides: [g], {SRC}, unless: {{}}}}
        """
    report = check_path(pack(tmp_path, dedent(rules), extra={"bad.yaml": "policy: gb\n  x: [\n"}))
    assert [(f.code, f.rule, f.field) for f in report.findings] == [
        ("invalid-yaml", None, None),
        ("unknown-value", "a", "effect"),
        ("unknown-key", "h", "unless"),
        ("unknown-field", "b", "when.colour"),
        ("unknown-value", "c", "when.target_region"),
        ("unknown-parameter", "d", "when.range_km.gt"),
        ("invalid-condition", "e", "when.range_km"),
        ("duplicate-id", "e", "id"),
        ("override-cycle", "g", "overrides"),
    ]
    assert all(f.severity is Severity.ERROR and f.line is not None for f in report.findings)
    assert not report.ok and report.rulesets == ()


def test_every_code_a_rule_file_error_may_carry_is_a_finding_code() -> None:
    from policyrules.model.errors import RULE_FILE_CODES

    assert set(CODES) >= RULE_FILE_CODES
    assert all(CODES[c][0] is Severity.ERROR for c in RULE_FILE_CODES)


def test_a_walk_without_info_findings_gives_the_others_alike() -> None:
    from policyrules.analysis.check import walk
    from policyrules.analysis.partition import partitions

    engine = Engine.load(backend="compiled")
    seen = 0
    for p in partitions(engine.resolved):
        full, summary = walk(p)
        lean, lean_summary = walk(p, info=False)
        assert lean == [f for f in full if f.severity is not Severity.INFO]
        assert {f.code for f in full if f.severity is Severity.INFO} >= {"classes-checked", "default-classes"}
        assert lean_summary.model_dump(exclude={"seconds"}) == summary.model_dump(exclude={"seconds"})
        seen += 1
    assert seen >= 10
