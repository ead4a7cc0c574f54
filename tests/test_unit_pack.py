"""``policyrules.packs.pack`` on its own: the version in force on a day, the policy for a supplier,
rule sets (common's rules, then the version's), date windows, references, and a pack composed
under another reading of a contested point."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from policyrules import PolicyRefError
from policyrules.packs.loader import load_pack
from policyrules.packs.pack import Pack
from policyrules.packs.readings import ReadingError

from .helpers import TINY_CATALOG, write_files

D = dt.date
SRC = 'source: {document: a.txt, quote: "q"}'
READING = """\
readings:
  - id: us.start
    question: From when?
    default: early
    why_default: said first.
    options:
      - {id: early, says: "1 June", sources: [{document: a.txt, quote: "q"}]}
      - {id: late, says: "1 July", sources: [{document: a.txt, quote: "q"}]}
"""


def version(policy: str, name: str, start: str, rule_id: str, extra: str = "") -> str:
    return (f'policy: {policy}\nversion: "{name}"\ntitle: t\neffective_from: {start}\n{extra}default: prohibited\n'
            f"rules:\n  - {{id: {rule_id}, title: t, effect: allowed, when: {{target_country: UA}}, {SRC}}}\n")


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """common: v1, then v2 from 2024; us: baseline until the end of 2023, nothing in force in the
    first months of 2024, then 2024-06-01 (from 1 June or 1 July, by reading); a default policy."""
    root = write_files(tmp_path_factory.mktemp("unit") / "rules", {
        "common/v1.yaml": version("common", "v1", "2022-02-24", "c1"),
        "common/v2.yaml": version("common", "v2", "2024-01-01", "c2"),
        "us/baseline.yaml": version("us", "baseline", "2022-03-01", "u1", "effective_until: 2023-12-31\n" + READING),
        "us/2024-06-01.yaml": version("us", "2024-06-01",
                                      "{reading: us.start, options: {early: 2024-06-01, late: 2024-07-01}}", "u2"),
        "default/v1.yaml": version("default", "v1", "2022-02-24", "d1"),
    }, TINY_CATALOG)
    return load_pack(root)


@pytest.mark.parametrize(("day", "ref"), [
    (D(2022, 3, 1), "us@baseline"), (D(2023, 12, 31), "us@baseline"), (D(2024, 6, 1), "us@2024-06-01"),
    (None, "us@2024-06-01"),  # no date: the latest version
])
def test_version_at_a_day(pack: Pack, day: dt.date | None, ref: str) -> None:
    assert pack.version_at(pack.policies["us"], day).ref == ref


def test_no_version_in_force_is_an_error_naming_the_day(pack: Pack) -> None:
    us = pack.policies["us"]
    with pytest.raises(PolicyRefError, match=r"^2022-02-28 is before the first version of policy us "
                                             r"\(baseline, from 2022-03-01\)$"):
        pack.version_at(us, D(2022, 2, 28))
    with pytest.raises(PolicyRefError, match=r"^no version of policy us is in force on 2024-03-01$"):
        pack.version_at(us, D(2024, 3, 1))
    assert us.at(D(2024, 1, 1)) is None


@pytest.mark.parametrize(("supplier", "policy"), [
    ("US", "us"), ("us", "us"), ("GB", "default"), (None, "default"),
    ("common", "default"), ("default", "default"),  # never a supplier's policy
])
def test_the_policy_for_a_supplier(pack: Pack, supplier: str | None, policy: str) -> None:
    assert pack.policy_for_supplier(supplier).id == policy


def test_without_a_default_policy_an_unknown_supplier_is_an_error(pack: Pack) -> None:
    bare = dataclasses.replace(pack, policies={k: v for k, v in pack.policies.items() if k != "default"})
    assert bare.policy_for_supplier("US").id == "us"
    with pytest.raises(PolicyRefError, match=r"^no policy for supplier GB and no 'default' policy in rules$"):
        bare.policy_for_supplier("GB")
    with pytest.raises(PolicyRefError, match=r"^no policy for a strike with no supplier and no 'default' policy"):
        bare.policy_for_supplier(None)
    assert [p.id for p in pack.supplier_policies] == ["us"]


def test_a_rule_set_is_commons_rules_in_force_then_the_versions(pack: Pack) -> None:
    us = pack.policies["us"]
    old = pack.ruleset(pack.version_at(us, D(2023, 6, 1)), D(2023, 6, 1))
    new = pack.ruleset(pack.version_at(us, D(2024, 6, 15)), D(2024, 6, 15))
    assert (old.key, [r.id for r in old.rules]) == (("us", "baseline", "v1"), ["c1", "u1"])
    assert (new.key, [r.id for r in new.rules]) == (("us", "2024-06-01", "v2"), ["c2", "u2"])
    assert pack.ruleset(us.versions[0], D(2022, 5, 5)) is old  # one object per combination
    common = pack.ruleset(pack.policies["common"].versions[0], D(2022, 5, 5))
    assert (common.key, common.common) == (("common", "v1", None), None)


def test_windows_and_every_rule_set(pack: Pack) -> None:
    assert [(w.start, w.end, w.ruleset.key) for w in pack.windows("us")] == [
        (D(2022, 3, 1), D(2023, 12, 31), ("us", "baseline", "v1")),
        (D(2024, 6, 1), None, ("us", "2024-06-01", "v2"))]
    assert [(w.start, w.end) for w in pack.windows("default")] == [(D(2022, 2, 24), D(2023, 12, 31)),
                                                                   (D(2024, 1, 1), None)]
    assert [rs.key for rs in pack.all_rulesets()] == [
        ("default", "v1", "v1"), ("default", "v1", "v2"), ("us", "baseline", "v1"), ("us", "2024-06-01", "v2")]
    # worked out once per pack, handed out as a new list each time: a caller's change stays its own
    first = pack.windows("us")
    first.clear()
    assert len(pack.windows("us")) == 2 and pack.windows("us")[0].ruleset is pack.windows("us")[0].ruleset
    # a pack made from it with other policies works out its own
    only = dataclasses.replace(pack, policies={"us": dataclasses.replace(
        pack.policies["us"], versions=pack.policies["us"].versions[:1])}, _rulesets={})
    assert [w.ruleset.key for w in only.windows("us")] == [("us", "baseline", None)]


@pytest.mark.parametrize(("ref", "expected"), [
    ("us", "us@2024-06-01"), ("us@baseline", "us@baseline"), ("US@2023-05-05", "us@baseline"),
    (" us @2024-06-01", "us@2024-06-01"),
])
def test_references_name_a_version_or_a_day(pack: Pack, ref: str, expected: str) -> None:
    assert pack.resolve_ref(ref).ref == expected


@pytest.mark.parametrize(("ref", "message"), [
    ("xx@1", "unknown policy 'xx' in 'xx@1'; known: common, default, us"),
    ("us@nope", "'us@nope': 'nope' is neither a version of us (baseline, 2024-06-01) nor a date"),
    ("us@2024-03-01", "no version of policy us is in force on 2024-03-01"),
])
def test_bad_references_are_policy_ref_errors(pack: Pack, ref: str, message: str) -> None:
    with pytest.raises(PolicyRefError) as info:
        pack.resolve_ref(ref)
    assert str(info.value).startswith(message)


def test_under_another_reading_the_pack_is_composed_again(pack: Pack) -> None:
    assert pack.under(None) is pack and pack.under({}) is pack
    assert pack.under({"us.start": "early"}) is pack  # the reading it already has
    late = pack.under({"us.start": "late"})
    assert dict(late.reading) == {"us.start": "late"}
    assert late.policies["us"].versions[1].effective_from == D(2024, 7, 1)
    assert pack.policies["us"].versions[1].effective_from == D(2024, 6, 1)
    with pytest.raises(PolicyRefError, match=r"^no version of policy us is in force on 2024-06-15$"):
        late.version_at(late.policies["us"], D(2024, 6, 15))


def test_under_an_unknown_point_or_option_or_without_rule_files_is_an_error(pack: Pack) -> None:
    with pytest.raises(ReadingError, match=r"^us.start: unknown option 'never'; options: early, late$"):
        pack.under({"us.start": "never"})
    with pytest.raises(ReadingError, match=r"^unknown contested point 'no.such'; known: us.start$"):
        pack.under({"no.such": "x"})
    with pytest.raises(PolicyRefError, match="cannot be composed under a reading"):
        dataclasses.replace(pack, source=None).under({"us.start": "late"})


def test_the_pack_remembers_where_it_came_from(pack: Pack) -> None:
    assert Path(pack.root).name == "rules"
    assert len(pack.digest) == 64
