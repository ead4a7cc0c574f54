"""The loader: every bad rule file fails with one RuleFileError naming file, rule, field and line;
a bad pack never half-loads; a good pack composes ``extends`` (inherit, replace, remove, add).

Each test writes its own small pack into ``tmp_path`` (the directory is called ``pack``, so
file names in messages read ``pack/us/baseline.yaml``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policyrules import Decision, Engine, PackError, RuleFileError
from policyrules.packs.loader import load_pack
from policyrules.packs.yamlio import MAX_FILE_BYTES

from .helpers import CATALOG, write_pack

# Line numbers below count from 1 in this text: the first rule starts on line 7.
BASELINE = """\
policy: us
version: baseline
title: US baseline
effective_from: 2022-02-24
default: prohibited
rules:
  - id: us-inside-ukraine
    title: inside Ukraine
    effect: allowed
    when: {target_country: UA}
    source: {document: a.txt, quote: "q"}
"""
FIRST_RULE_LINE = 7
NEXT_RULE_LINE = 12  # where a rule appended with rule() starts


def rule(rid: str, when: str = "{target_country: UA}", effect: str = "allowed", extra: str = "") -> str:
    """One rule in block style, to append to a file's ``rules:`` list. ``when`` is on its 4th line."""
    return (f"  - id: {rid}\n"
            f"    title: t\n"
            f"    effect: {effect}\n"
            f"    when: {when}\n"
            f'    source: {{document: a.txt, quote: "q"}}\n' + extra)


def load_error(root: Path, files: dict[str, str], catalog: str | None = CATALOG) -> RuleFileError:
    pack = write_pack(root, files, catalog)
    with pytest.raises(RuleFileError) as info:
        load_pack(pack)
    return info.value


def assert_names(err: RuleFileError, file: str, *, rule: str | None = None, field: str | None = None,
                 line: int | None = None, text: str) -> None:
    """The error carries file, rule, field and line as attributes, and says them in its one line."""
    assert (err.file, err.rule, err.field, err.line) == (file, rule, field, line)
    message = str(err)
    assert "\n" not in message
    assert message.startswith(file + (f":{line}" if line is not None else "") + ": ")
    if rule is not None:
        assert f"rule {rule}: " in message
    if field is not None:
        assert f"field {field}: " in message
    assert text in message, message


US = "pack/us/baseline.yaml"


def test_the_baseline_pack_used_by_these_tests_loads(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, {"us/baseline.yaml": BASELINE}))
    (version,) = pack.policies["us"].versions
    assert [r.id for r in version.rules] == ["us-inside-ukraine"]
    assert version.rules[0].line == FIRST_RULE_LINE


# YAML ------------------------------------------------------------------------------------


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + "  - id: [unclosed\n"})
    assert_names(err, US, line=13, text="not valid YAML: expected ',' or ']'")


def test_bad_indentation_names_the_line(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": "policy: us\n  version: x\n"})
    assert_names(err, US, line=2, text="not valid YAML: mapping values are not allowed here")


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    text = BASELINE.replace("title: US baseline\n", "title: US baseline\ntitle: again\n")
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert_names(err, US, line=4, text="duplicate key 'title' in one mapping")


def test_duplicate_keys_inside_a_rule_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", extra="    effect: prohibited\n")})
    assert_names(err, US, line=NEXT_RULE_LINE + 5, text="duplicate key 'effect' in one mapping")


def test_yaml_anchors_are_refused(tmp_path: Path) -> None:
    text = BASELINE.replace("when: {target_country: UA}", "when: &ua {target_country: UA}")
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert_names(err, US, line=10, text="YAML anchors (&name) are not allowed in rule files")


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when="*ua")})
    assert_names(err, US, line=NEXT_RULE_LINE + 3, text="YAML aliases (*name) are not allowed in rule files")


def test_yaml_merge_keys_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + "note: {<<: {a: 1}}\n"})
    assert_names(err, US, line=12, text="YAML merge keys (<<) are not allowed")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": ""})
    assert_names(err, US, text="a rule file is a mapping (policy, version, rules, ...); this is empty")


def test_a_list_instead_of_a_mapping_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": "- policy: us\n- version: x\n"})
    assert_names(err, US, text="a rule file is a mapping (policy, version, rules, ...); this is a list")


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    text = BASELINE + 'note: "' + "x" * MAX_FILE_BYTES + '"\n'
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert_names(err, US, text=f"file is {len(text.encode())} bytes; the limit is {MAX_FILE_BYTES}")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, {})
    (pack / "us").mkdir()
    (pack / "us" / "baseline.yaml").write_bytes(BASELINE.encode() + b"note: caf\xe9\n")
    with pytest.raises(RuleFileError) as info:
        load_pack(pack)
    assert_names(info.value, US, text="not UTF-8 text")


def test_an_impossible_date_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE.replace("2022-02-24", "2022-13-45")})
    assert err.file == US
    assert "month must be in 1..12" in str(err)


# The shape of a file ---------------------------------------------------------------------


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + "colour: red\n"})
    assert_names(err, US, field="colour", line=12, text="unknown key")


def test_unknown_rule_key_names_the_rule(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + "    colour: red\n"})
    assert_names(err, US, rule="us-inside-ukraine", field="colour", line=12, text="unknown key")


def test_bad_effect_value_names_rule_field_and_line(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", effect="maybe")})
    assert_names(err, US, rule="r2", field="effect", line=NEXT_RULE_LINE + 2,
                 text="Input should be 'allowed' or 'prohibited'")


def test_a_rule_without_an_id_is_named_by_its_position(tmp_path: Path) -> None:
    text = BASELINE + rule("r2").replace("  - id: r2\n    title: t\n", "  - title: t\n")
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert_names(err, US, rule="#2", field="id", line=NEXT_RULE_LINE, text="required")


def test_reserved_rule_ids_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("default")})
    assert_names(err, US, rule="default", field="id", line=NEXT_RULE_LINE, text="'default' is reserved")


def test_a_source_with_both_document_and_url_is_refused(tmp_path: Path) -> None:
    text = BASELINE.replace('{document: a.txt, quote: "q"}', '{document: a.txt, url: "https://x.org/a", quote: "q"}')
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert_names(err, US, rule="us-inside-ukraine", field="source", line=11,
                 text="give exactly one of 'document' or 'url' (with 'quote')")


def test_a_rule_without_a_source_is_refused(tmp_path: Path) -> None:
    text = BASELINE.replace('    source: {document: a.txt, quote: "q"}\n', "")
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert_names(err, US, rule="us-inside-ukraine", field="source", line=FIRST_RULE_LINE, text="required")


def test_a_first_version_without_a_default_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE.replace("default: prohibited\n", "")})
    assert err.file == US
    assert "'default' (allowed or prohibited) is required unless the file extends another" in str(err)


def test_a_non_finite_parameter_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + "parameters: {long_range_km: .nan}\n"})
    assert_names(err, US, field="parameters.long_range_km.value", line=12,
                 text="must be a finite number of at most 1e+09")


# Conditions ------------------------------------------------------------------------------

WHEN_LINE = NEXT_RULE_LINE + 3


def test_unknown_condition_field_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when="{colour: red}")})
    assert_names(err, US, rule="r2", field="when.colour", line=WHEN_LINE, text="unknown field 'colour'; known: ")


def test_unknown_field_deep_inside_combinators_names_its_path(tmp_path: Path) -> None:
    when = "{any: [{target_country: UA}, {not: {colour: red}}]}"
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when=when)})
    assert_names(err, US, rule="r2", field="when.any[1].not.colour", line=WHEN_LINE, text="unknown field 'colour'")


def test_unknown_enum_value_is_refused(tmp_path: Path) -> None:
    when = "{weapon_class: {in: [tube_artillery, laser]}}"
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when=when)})
    assert_names(err, US, rule="r2", field="when.weapon_class.in[1]", line=WHEN_LINE,
                 text="unknown value 'laser' for weapon_class; known: tube_artillery")


def test_unknown_enum_value_in_a_block_condition_names_its_own_line(tmp_path: Path) -> None:
    when = "\n      target_country: RU\n      target_type: bunker"
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when=when)})
    assert_names(err, US, rule="r2", field="when.target_type", line=WHEN_LINE + 2,
                 text="unknown value 'bunker' for target_type")


def test_unknown_region_id_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when="{target_region: narnia}")})
    assert_names(err, US, rule="r2", field="when.target_region", line=WHEN_LINE,
                 text="unknown value 'narnia' for target_region; known: kharkiv, belgorod, crimea")


def test_unknown_parameter_is_refused(tmp_path: Path) -> None:
    when = "{range_km: {gt: {param: long_range_km}}}"
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when=when)})
    assert_names(err, US, rule="r2", field="when.range_km.gt", line=WHEN_LINE,
                 text="unknown parameter 'long_range_km' (parameters: none defined)")


def test_ordering_operator_on_a_non_number_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when="{target_region: {lt: kharkiv}}")})
    assert_names(err, US, rule="r2", field="when.target_region.lt", line=WHEN_LINE,
                 text="'lt' compares numbers; target_region is enum")


def test_in_with_an_empty_list_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when="{target_region: {in: []}}")})
    assert_names(err, US, rule="r2", field="when.target_region.in", line=WHEN_LINE,
                 text="'in' takes a non-empty list")


def test_a_matcher_with_two_operators_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when="{range_km: {gt: 1, lt: 3}}")})
    assert_names(err, US, rule="r2", field="when.range_km", line=WHEN_LINE, text="a matcher has exactly one operator")


def test_a_string_for_a_boolean_field_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when="{self_defense: 'yes'}")})
    assert_names(err, US, rule="r2", field="when.self_defense", line=WHEN_LINE,
                 text="self_defense is true or false, not 'yes'")


def test_an_infinite_threshold_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when="{range_km: {gt: .inf}}")})
    assert_names(err, US, rule="r2", field="when.range_km.gt", line=WHEN_LINE,
                 text="numbers must be finite and at most 1e+09 in size")


def test_conditions_nested_too_deeply_are_refused_not_crashed(tmp_path: Path) -> None:
    when = "{target_country: UA}"
    for _ in range(40):
        when = f"{{not: {when}}}"
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when=when)})
    assert (err.file, err.rule, err.line) == (US, "r2", WHEN_LINE)
    assert err.field is not None and err.field.startswith("when.not.not.")
    assert "conditions nest more than 32 levels deep" in str(err)


# Rule ids and overrides ------------------------------------------------------------------


def test_duplicate_rule_ids_in_one_file_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("us-inside-ukraine")})
    assert_names(err, US, rule="us-inside-ukraine", field="id", line=NEXT_RULE_LINE,
                 text="duplicate rule id (first at rule #1)")


def test_duplicate_rule_ids_across_common_and_a_policy_are_refused(tmp_path: Path) -> None:
    common = BASELINE.replace("policy: us", "policy: common")
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE, "common/baseline.yaml": common})
    assert_names(err, US, rule="us-inside-ukraine", field="id", line=FIRST_RULE_LINE,
                 text="duplicate rule id: also defined in pack/common/baseline.yaml")


def test_overrides_naming_no_rule_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", extra="    overrides: [ghost]\n")})
    assert_names(err, US, rule="r2", field="overrides", line=NEXT_RULE_LINE,
                 text="overrides 'ghost', which is not a rule of us@baseline")


def test_a_rule_overriding_itself_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", extra="    overrides: [r2]\n")})
    assert_names(err, US, rule="r2", field="overrides", line=NEXT_RULE_LINE, text="a rule cannot override itself")


def test_an_override_cycle_is_refused(tmp_path: Path) -> None:
    text = (BASELINE.replace('    source: {document: a.txt, quote: "q"}\n',
                             '    overrides: [r2]\n    source: {document: a.txt, quote: "q"}\n')
            + rule("r2", effect="prohibited", extra="    overrides: [us-inside-ukraine]\n"))
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert_names(err, US, rule="us-inside-ukraine", field="overrides", line=FIRST_RULE_LINE,
                 text="override cycle: us-inside-ukraine -> r2 -> us-inside-ukraine")


def test_an_override_cycle_through_all_is_refused(tmp_path: Path) -> None:
    text = (BASELINE.replace('    source: {document: a.txt, quote: "q"}\n',
                             '    overrides: all\n    source: {document: a.txt, quote: "q"}\n')
            + rule("r2", effect="prohibited", extra="    overrides: [us-inside-ukraine]\n"))
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert err.field == "overrides"
    assert "override cycle: " in str(err)


# Versions --------------------------------------------------------------------------------


def version(name: str, effective_from: str, extends: str | None = "baseline", more: str = "") -> str:
    return (f"policy: us\nversion: {name}\ntitle: t\neffective_from: {effective_from}\n"
            + (f"extends: {extends}\n" if extends else "default: allowed\n") + more)


def test_extends_naming_an_unknown_version_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE, "us/v2.yaml": version("v2", "2024-05-30", "nope")})
    assert_names(err, "pack/us/v2.yaml", field="extends",
                 text="extends unknown version 'nope' of policy us (versions: baseline)")


def test_an_extends_cycle_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/a.yaml": version("a", "2024-05-30", "b"),
                                "us/b.yaml": version("b", "2024-06-30", "a")})
    assert_names(err, "pack/us/a.yaml", field="extends", text="'extends' forms a cycle: a -> b -> a")


def test_removing_a_rule_that_is_not_inherited_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE,
                                "us/v2.yaml": version("v2", "2024-05-30", more="remove: [ghost]\n")})
    assert_names(err, "pack/us/v2.yaml", field="remove", text="removes 'ghost', which baseline does not have")


def test_remove_without_extends_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + "remove: [us-inside-ukraine]\n"})
    assert err.file == US
    assert "'remove' needs 'extends'" in str(err)


def test_two_versions_with_the_same_effective_from_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE, "us/v2.yaml": version("v2", "2022-02-24")})
    assert_names(err, "pack/us/v2.yaml", field="effective_from",
                 text="policy us: versions baseline and v2 have the same effective_from 2022-02-24")


def test_two_files_with_the_same_version_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE, "us/copy.yaml": BASELINE})
    assert_names(err, "pack/us/copy.yaml", field="version",
                 text="policy us version baseline is also defined in pack/us/baseline.yaml")


def test_overlapping_windows_are_refused(tmp_path: Path) -> None:
    base = BASELINE.replace("default: prohibited\n", "default: prohibited\neffective_until: 2024-06-30\n")
    err = load_error(tmp_path, {"us/baseline.yaml": base, "us/v2.yaml": version("v2", "2024-05-30")})
    assert_names(err, US, field="effective_until",
                 text="policy us: version baseline runs until 2024-06-30, overlapping v2 from 2024-05-30")


def test_effective_until_before_effective_from_is_refused(tmp_path: Path) -> None:
    base = BASELINE.replace("default: prohibited\n", "default: prohibited\neffective_until: 2020-01-01\n")
    err = load_error(tmp_path, {"us/baseline.yaml": base})
    assert err.file == US
    assert "effective_until is before effective_from" in str(err)


# The catalog and the directory -----------------------------------------------------------


def test_a_missing_catalog_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE}, catalog=None)
    assert_names(err, "pack/catalog.yaml", text="missing: a rule directory needs a catalog")


def test_a_catalog_alias_used_by_two_weapons_is_refused(tmp_path: Path) -> None:
    catalog = CATALOG.replace("name: ATACMS,", "name: ATACMS, aliases: [m142],")
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE}, catalog=catalog)
    assert err.file == "pack/catalog.yaml"
    assert "weapon name or alias 'm142' is used by both himars and atacms" in str(err)


def test_asymmetric_borders_in_the_catalog_are_refused(tmp_path: Path) -> None:
    catalog = CATALOG.replace("borders: [kharkiv]", "borders: []")
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE}, catalog=catalog)
    assert err.file == "pack/catalog.yaml"
    assert "region kharkiv: borders lists belgorod, but belgorod does not list kharkiv" in str(err)


def test_a_catalog_weapon_with_an_unknown_class_names_the_field(tmp_path: Path) -> None:
    catalog = CATALOG.replace("weapon_class: ballistic_missile", "weapon_class: trebuchet")
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE}, catalog=catalog)
    assert (err.file, err.field, err.line) == ("pack/catalog.yaml", "weapons.1.weapon_class", 3)


def test_a_directory_with_only_a_catalog_is_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, {})
    assert_names(err, "pack", text="no rule files (*.yaml) besides the catalog")


def test_a_path_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="not a directory of rule files"):
        load_pack(tmp_path / "nowhere")


# Never half-loaded -----------------------------------------------------------------------


def test_a_bad_pack_never_half_loads_and_nothing_is_cached(tmp_path: Path) -> None:
    good_v2 = version("v2", "2024-05-30", more="rules:\n" + rule("us-belgorod", "{target_region: belgorod}"))
    bad_v2 = good_v2.replace("target_region: belgorod", "target_region: narnia")
    pack = write_pack(tmp_path, {"us/baseline.yaml": BASELINE, "us/v2.yaml": bad_v2})
    strike = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "troops", "range_km": 10}
    for _ in range(2):  # the same failure each time: no partial result was kept
        with pytest.raises(RuleFileError, match="unknown value 'narnia'"):
            Engine.load(pack, backend="compiled")
    (pack / "us" / "v2.yaml").write_text(good_v2, encoding="utf-8")
    assert Engine.load(pack, backend="compiled").evaluate(strike).rule.id == "us-belgorod"
    (pack / "us" / "v2.yaml").write_text(bad_v2, encoding="utf-8")
    with pytest.raises(RuleFileError, match="unknown value 'narnia'"):
        Engine.load(pack, backend="durable")


# Composition -----------------------------------------------------------------------------

COMPOSE_BASE = """\
policy: us
version: baseline
title: US baseline
effective_from: 2022-02-24
default: prohibited
parameters:
  long_range_km: 80
  short_km: {value: 10, basis: interpretation}
rules:
"""


def compose_pack(tmp_path: Path) -> Path:
    baseline = (COMPOSE_BASE
                + rule("a", "{target_country: UA}")
                + rule("b", "{target_region: belgorod}", effect="prohibited")
                + rule("c", "{range_km: {gt: {param: long_range_km}}}", effect="prohibited"))
    v2 = version("v2", "2024-05-30", more=(
        "remove: [c]\nparameters:\n  long_range_km: 40\nrules:\n"
        + rule("d", "{range_km: {gt: {param: long_range_km}}}", effect="prohibited")
        + rule("b", "{target_region: belgorod, self_defense: true}", effect="allowed")))
    v3 = version("v3", "2024-11-17", "v2", more="default: allowed\nrules:\n" + rule("e", "{weapon: atacms}"))
    return write_pack(tmp_path, {"us/baseline.yaml": baseline, "us/v2.yaml": v2, "us/v3.yaml": v3})


def test_extends_inherits_replaces_in_place_removes_and_adds(tmp_path: Path) -> None:
    policy = load_pack(compose_pack(tmp_path)).policies["us"]
    base, v2, _ = policy.versions
    assert [r.id for r in base.rules] == ["a", "b", "c"]
    assert [r.id for r in v2.rules] == ["a", "b", "d"]
    assert (v2.added, v2.replaced, v2.removed) == (("d",), ("b",), ("c",))
    assert v2.rules[0] is base.rules[0]
    assert (base.rules[1].effect, v2.rules[1].effect) == (Decision.PROHIBITED, Decision.ALLOWED)
    assert v2.rules[1].file == "pack/us/v2.yaml"


def test_extends_chains_and_each_version_reports_only_its_own_changes(tmp_path: Path) -> None:
    policy = load_pack(compose_pack(tmp_path)).policies["us"]
    _, v2, v3 = policy.versions
    assert [r.id for r in v3.rules] == ["a", "b", "d", "e"]
    assert (v3.added, v3.replaced, v3.removed) == (("e",), (), ())
    assert v3.extends == "v2"
    assert v3.rules[:3] == v2.rules


def test_extends_inherits_the_default_unless_restated(tmp_path: Path) -> None:
    policy = load_pack(compose_pack(tmp_path)).policies["us"]
    assert [v.default for v in policy.versions] == [Decision.PROHIBITED, Decision.PROHIBITED, Decision.ALLOWED]


def test_extends_inherits_parameters_and_overrides_the_ones_restated(tmp_path: Path) -> None:
    policy = load_pack(compose_pack(tmp_path)).policies["us"]
    base, v2, v3 = policy.versions
    assert {k: p.value for k, p in base.parameters.items()} == {"long_range_km": 80, "short_km": 10}
    assert {k: p.value for k, p in v2.parameters.items()} == {"long_range_km": 40, "short_km": 10}
    assert {k: p.value for k, p in v3.parameters.items()} == {"long_range_km": 40, "short_km": 10}


def test_versions_are_ordered_by_effective_from_whatever_the_file_names(tmp_path: Path) -> None:
    policy = load_pack(compose_pack(tmp_path)).policies["us"]
    assert [(v.version, v.effective_from) for v in policy.versions] == [
        ("baseline", dt.date(2022, 2, 24)), ("v2", dt.date(2024, 5, 30)), ("v3", dt.date(2024, 11, 17))]


def test_the_composed_versions_decide_by_date(tmp_path: Path) -> None:
    engine = Engine.load(compose_pack(tmp_path), backend="compiled")
    strike = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "troops", "range_km": 60,
              "self_defense": True}
    before, after = (engine.evaluate({**strike, "date": d}) for d in ("2023-01-01", "2024-06-01"))
    assert (before.decision, before.rule.id, before.policy.version) == (Decision.PROHIBITED, "b", "baseline")
    # v2: b now allows self-defense, but d (60 > 40 km) prohibits: the fail-safe conflict
    assert (after.decision, after.rule.id, after.conflict) == (Decision.PROHIBITED, "d", ("b", "d"))


# Every problem in one run ----------------------------------------------------------------


def test_every_problem_of_a_pack_is_reported_in_one_run(tmp_path: Path) -> None:
    """Problems in different files and rules come back together: the error reads as the first one,
    on one line, with how many more there are, and carries each with its own code and place."""
    v2 = version("v2", "2024-05-30", more="rules:\n" + rule("r3", "{target_region: narnia}"))
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE.replace("rules:", "colour: red\nrules:") + rule("r2", when="{colour: red}"),
                                "us/v2.yaml": v2, "gb/bad.yaml": "policy: gb\n  x: [\n"})
    assert isinstance(err, PackError)
    assert [(e.code, e.file, e.rule, e.field) for e in err.errors] == [
        ("invalid-yaml", "pack/gb/bad.yaml", None, None),
        ("unknown-key", US, None, "colour"),
        ("unknown-field", US, "r2", "when.colour"),
        ("unknown-value", "pack/us/v2.yaml", "r3", "when.target_region"),
    ]
    assert_names(err, "pack/gb/bad.yaml", line=2, text="not valid YAML: mapping values are not allowed here")
    assert str(err).endswith("not allowed here (and 3 more problems)")
    assert (err.code, err.detail) == ("invalid-yaml", "not valid YAML: mapping values are not allowed here")


def test_a_rule_that_does_not_validate_does_not_hide_the_rules_after_it(tmp_path: Path) -> None:
    text = BASELINE + rule("r2", effect="maybe") + rule("r3", when="{colour: red}")
    err = load_error(tmp_path, {"us/baseline.yaml": text})
    assert isinstance(err, PackError)
    assert [(e.code, e.rule, e.field, e.line) for e in err.errors] == [
        ("unknown-value", "r2", "effect", NEXT_RULE_LINE + 2),
        ("unknown-field", "r3", "when.colour", NEXT_RULE_LINE + 5 + 3)]


def test_a_problem_is_reported_once_not_again_as_its_consequences(tmp_path: Path) -> None:
    """A bad rule is still there for the overrides and removals naming it, in its version and the
    versions extending it: its one problem is the only one reported."""
    base = (BASELINE + rule("r2", when="{colour: red}") + rule("r3", effect="maybe")
            + rule("r5", extra="    overrides: [r2, r3]\n"))
    v2 = version("v2", "2024-05-30", more="remove: [r3, r5]\nrules:\n" + rule(
        "r4", "{target_region: belgorod}", extra="    overrides: [r2]\n"))
    err = load_error(tmp_path, {"us/baseline.yaml": base, "us/v2.yaml": v2})
    assert isinstance(err, PackError)
    assert [(e.code, e.rule) for e in err.errors] == [("unknown-value", "r3"), ("unknown-field", "r2")]


def test_a_version_extending_a_file_that_does_not_load_is_not_reported_as_extending_nothing(tmp_path: Path) -> None:
    bad_base = BASELINE.replace("effective_from: 2022-02-24", "effective_from: someday")
    err = load_error(tmp_path, {"us/baseline.yaml": bad_base, "us/v2.yaml": version("v2", "2024-05-30")})
    assert_names(err, US, field="effective_from", line=4, text="not a date in YYYY-MM-DD form")
    assert not isinstance(err, PackError)


def test_every_duplicate_and_cycle_is_reported_each_once(tmp_path: Path) -> None:
    text = (BASELINE + rule("us-inside-ukraine") + rule("a", extra="    overrides: [b]\n")
            + rule("b", effect="prohibited", extra="    overrides: [a]\n") + rule("c", extra="    overrides: [c, x, y]\n"))
    err = load_error(tmp_path, {"us/baseline.yaml": text, "us/v2.yaml": version("v2", "2024-05-30")})
    assert isinstance(err, PackError)
    assert [(e.code, e.rule, e.detail) for e in err.errors] == [
        ("duplicate-id", "us-inside-ukraine", "duplicate rule id (first at rule #1)"),
        ("unknown-override", "c", "overrides 'x', 'y', which are not rules of us@baseline"),
        ("override-cycle", "c", "a rule cannot override itself"),
        ("override-cycle", "a", "override cycle: a -> b -> a"),
    ]


def test_every_rule_file_error_lists_its_problems_one_or_many(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = load_error(tmp_path / "a", {"us/baseline.yaml": BASELINE + rule("r2", when="{colour: red}")})
    assert not isinstance(one, PackError) and one.errors == (one,)
    many = load_error(tmp_path / "b", {"us/baseline.yaml": BASELINE + rule("r2", when="{colour: red}")
                                       + rule("r3", when="{colour: blue}")})
    assert isinstance(many, PackError) and [e.rule for e in many.errors] == ["r2", "r3"]
    with pytest.raises(ValueError, match="two or more"):
        PackError([one])


def test_a_rule_file_error_carries_a_known_code() -> None:
    assert RuleFileError("f.yaml", "m").code == "invalid-rule-file"
    assert RuleFileError("f.yaml", "m", code="unknown-field").code == "unknown-field"
    with pytest.raises(ValueError, match="not a rule file error code: 'nonsense'"):
        RuleFileError("f.yaml", "m", code="nonsense")


@pytest.mark.parametrize(("when", "code"), [
    ("{colour: red}", "unknown-field"), ("{target_region: narnia}", "unknown-value"),
    ("{range_km: {gt: {param: far}}}", "unknown-parameter"), ("{range_km: {gt: 1, lt: 3}}", "invalid-condition"),
    ("{self_defense: 'yes'}", "invalid-condition"),
])
def test_a_condition_error_carries_its_code_to_the_rule_file_error(tmp_path: Path, when: str, code: str) -> None:
    err = load_error(tmp_path, {"us/baseline.yaml": BASELINE + rule("r2", when=when)})
    assert (err.code, err.rule) == (code, "r2")
