"""Load a directory of rule files into a checked, composed :class:`~policyrules.packs.pack.Pack`.

Stages, in order (each problem is a :class:`~policyrules.model.errors.RuleFileError` naming the
file, the rule id, the field and the line where it can, with a code saying what kind it is):

1. find ``catalog.yaml`` and every other ``*.yaml`` under the directory (:mod:`.files`) and
   read each (strict YAML, :mod:`.yamlio`);
2. validate each file's shape with the Pydantic models of :mod:`policyrules.packs.rulefile`;
3. group versions by policy, check ids and effective windows;
4. compose each version from the one it ``extends`` (inherit, replace, remove, add) and
   parse every condition against the strike schema and the version's parameters;
5. check each rule set in force (common + version): unique ids, overrides naming
   existing rules, no override cycles (:mod:`.rulesets`).

Problems are collected, not raised one by one: each file is read and validated on its own, and
composition goes on past a bad rule (kept as a placeholder, so nothing downstream reports a
consequence of it as a problem of its own). At the end one error is raised: the problem itself
when there is one, else a :class:`~policyrules.model.errors.PackError` carrying them all.
Nothing is returned unless every stage passed, so a bad pack never half-loads.

Stages 1-2, with the contested points the files declare and every reference to them, run once
(:func:`read_pack` gives a :class:`PackSource`); stages 3-5 run for each reading the pack is
composed under (:meth:`PackSource.compose`): the default one at load, others on demand.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import os
import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..language.conditions import ALWAYS, ConditionError, Schema, parse
from ..model.catalog import Catalog, provide_default_catalog
from ..model.domain import Basis, Decision
from ..model.errors import RuleFileError, echo
from ..model.memo import ByIdentity
from ..model.sources import Source
from .files import CATALOG_FILE, MAX_FILES, find_files
from .pack import COMMON, Pack, Policy, PolicyVersion, Rule, RuleSet
from .readings import Point, Readings
from .rulefile import MAX_ID_CHARS, RULE_ID, ByReading, RuleFile, RuleSpec, Under, under_holds
from .rulesets import Problems, check_ruleset, find_override_cycle, ruleset_problems
from .schema import strike_schema
from .yamlio import YamlError, boolean_hint, line_of, load_bytes, read_file

__all__ = ["CATALOG_FILE", "MAX_FILES", "PackSource", "bundled_catalog", "bundled_rules_dir", "bundled_sources_dir",
           "check_ruleset", "find_override_cycle", "load_pack", "read_pack", "ruleset_problems"]


def bundled_rules_dir() -> Path:
    """The policy pack shipped with the library: package data ``policyrules/rules/`` when
    installed (pyproject maps the checkout's ``rules/`` there), ``rules/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "rules", package.parent / "rules"):
        if (candidate / CATALOG_FILE).is_file():
            return candidate
    raise RuleFileError(f"rules/{CATALOG_FILE}", "missing: the bundled policy pack is not installed "
                        "with this copy of policyrules; pass a rules directory")


def bundled_sources_dir() -> Path:
    """The source documents the bundled pack cites (the seed reports): package data
    ``policyrules/sources/`` when installed, ``sources/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "sources", package.parent / "sources"):
        if candidate.is_dir() and any(candidate.glob("*.txt")):
            return candidate
    raise RuleFileError("sources/", "missing: the bundled source documents are not installed with this copy of "
                        "policyrules; pass a sources directory")


@functools.lru_cache(maxsize=1)
def bundled_catalog() -> Catalog:
    path = bundled_rules_dir() / CATALOG_FILE
    problems = Problems()
    catalog = _load_catalog(_read(path, f"rules/{CATALOG_FILE}"), f"rules/{CATALOG_FILE}", problems)
    problems.raise_any()
    assert catalog is not None
    return catalog


provide_default_catalog(bundled_catalog)  # what ProposedStrike(...) is checked against without an engine


def load_pack(path: str | Path | None = None, readings: Mapping[str, object] | None = None) -> Pack:
    """The pack of a rule directory (default: the bundled one), composed under the default reading
    of its contested points with ``readings`` chosen over it (``{"gb.strikes-in-russia": "..."}``)."""
    problems = Problems()
    source = _read_pack(path, problems)
    if source is None or problems.errors:  # report what composing the default reading finds too
        if source is not None:
            source.compose(source.readings.defaults, problems)
        problems.raise_any()
    assert source is not None
    return source.compose(source.readings.reading(readings))


class PackSource:
    """A rule directory read and checked (stages 1-2 and the contested points), ready to be composed
    under any reading; each reading's pack is composed once and kept (a few hundred at most)."""

    MAX_KEPT = 512

    def __init__(self, catalog: Catalog, schema: Schema, parsed: list[_File], broken: set[tuple[str, str] | None],
                 readings: Readings, root: str, digest: str, files: tuple[str, ...]) -> None:
        self.catalog = catalog
        self.schema = schema
        self.parsed = parsed
        self.broken = broken
        self.readings = readings
        self.root = root
        self.digest = digest
        self.files = files
        self._packs: dict[tuple[tuple[str, str], ...], Pack] = {}
        self._rules: RuleMemo = {}  # a rule, by its spec's identity and the parameter names (see _make_rule)
        # Composition reused across readings: a file as a reading selects it, by the options of the points
        # it depends on; a version composed without problems, by its selected file and parent (objects
        # kept in the values, so their identities stay theirs); a rule set's problems, by its versions.
        self._selected: dict[tuple[str, tuple[str | None, ...]], _File | None] = {}
        self._file_points = {f.name: _points_of_file(f) for f in parsed}
        self._selection_items: dict[int, tuple[object, ...]] = {}  # what selection() reads of a selected file
        self._versions: VersionMemo = ByIdentity()  # by selected file and parent
        self._ruleset_problems: ByIdentity[list[RuleFileError]] = ByIdentity()  # by version and common
        self._problems_content: dict[tuple[object, ...], list[RuleFileError]] = {}  # by what they read
        self._lock = threading.Lock()

    def _select(self, f: _File, reading: Mapping[str, str]) -> _File | None:
        """:func:`_select`, kept per file and options of the points the file depends on."""
        key = (f.name, tuple(reading.get(p) for p in self._file_points[f.name]))
        try:
            return self._selected[key]
        except KeyError:
            found = self._selected[key] = _select(f, reading)
            return found

    def _problems_of(self, rs: RuleSet) -> list[RuleFileError]:
        return self._ruleset_problems.get((rs.version, rs.common), lambda: self._problems_by_content(rs))

    def _problems_by_content(self, rs: RuleSet) -> list[RuleFileError]:
        """:func:`ruleset_problems`, once per content: the versions composed under two readings are
        other objects, and often of the same rules (the problems read nothing else)."""
        key = (rs.version.ref, rs.common.version if rs.common else None,
               tuple([(r.id, r.file, r.line, r.overrides) for r in rs.rules]))
        found = self._problems_content.get(key)
        if found is None:
            found = ruleset_problems(rs)
            with self._lock:
                self._problems_content.setdefault(key, found)
        return found

    def points_of(self, policy: str) -> list[str]:
        """The contested points the files of ``policy`` depend on (a version or a rule ``under`` them, a
        date or a parameter value by reading), in the order the pack declares the points."""
        used = {p for f in self.parsed if f.rf.policy == policy for p in self._file_points[f.name]}
        return [p for p in self.readings.points if p in used]

    def selection(self, reading: Mapping[str, str], policies: Collection[str]) -> tuple[object, ...]:
        """What the files of ``policies`` hold under ``reading`` (the versions, rules, dates and
        parameter values selected): two readings with equal selections compose those policies alike."""
        out: list[object] = []
        for f in self.parsed:
            if f.rf.policy in policies:
                s = self._select(f, reading)
                if s is None:
                    out.append(None)
                    continue
                item = self._selection_items.get(id(s))  # (the selected file is kept by _selected)
                if item is None:
                    item = self._selection_items[id(s)] = (
                        f.name, s.indices, s.rf.effective_from, s.rf.effective_until,
                        tuple((k, p.value) for k, p in s.rf.parameters.items()))
                out.append(item)
        return tuple(out)

    def compose(self, reading: Mapping[str, str], problems: Problems | None = None,
                policies: Collection[str] | None = None) -> Pack:
        """The pack under a full reading (every point given an option): stages 3-5. With ``problems``,
        they are added there (not raised). With ``policies`` (and ``problems``), only those policies
        are composed (for analysis of one policy under many readings; such packs are not kept)."""
        key = tuple(sorted(reading.items()))
        found = self._packs.get(key) if policies is None else None
        if found is not None:
            return found
        collect = problems is not None
        if policies is not None and not collect:
            raise ValueError("a pack of some policies only is composed for analysis, with problems collected")
        problems = problems if problems is not None else Problems()
        parsed = self.parsed if policies is None else [f for f in self.parsed if f.rf.policy in policies]
        selected = [s for s in (self._select(f, reading) for f in parsed) if s is not None]
        policies = _compose(selected, self.schema, problems, self.broken, self._rules, self._versions)
        pack = Pack(catalog=self.catalog, schema=self.schema, policies=policies, root=self.root,
                    digest=self.digest, files=self.files, readings=self.readings, reading=dict(reading),
                    source=self)
        complete = not self.broken
        for rs in pack.all_rulesets():
            for problem in self._problems_of(rs):
                # With a file missing, a rule set lacks rules: an override naming one of them is no problem of its own.
                if complete or problem.code != "unknown-override":
                    problems.add(problem)
        if collect:
            return pack
        if self.readings.changed(reading):
            changed = ", ".join(f"{k}={v}" for k, v in self.readings.changed(reading).items())
            for e in problems.errors:
                e.args = (f"{e.args[0]} (under the reading {changed})", *e.args[1:])
        problems.raise_any()
        with self._lock:
            if len(self._packs) < self.MAX_KEPT:
                self._packs[key] = pack
        return pack


def read_pack(path: str | Path | None = None) -> PackSource:
    """Stages 1-2 of loading a rule directory, with the contested points its files declare and every
    reference to them checked: a :class:`PackSource` to compose under readings."""
    problems = Problems()
    source = _read_pack(path, problems)
    problems.raise_any()
    assert source is not None
    return source


def _read_pack(path: str | Path | None, problems: Problems) -> PackSource | None:
    found = find_files(path if path is not None else bundled_rules_dir())
    for e in found.problems:
        problems.add(e)
    digest = hashlib.sha256()
    texts: dict[Path, bytes] = {}
    for p in [found.catalog, *found.files]:
        name = found.names[p]
        try:
            raw = read_file(p)
        except YamlError as e:
            problems.add(RuleFileError(name, e.message, line=e.line, code=e.code))
            continue
        digest.update(os.fsencode(p.relative_to(found.catalog.parent).as_posix()) + b"\0" + raw + b"\0")
        texts[p] = raw

    catalog_name = found.names[found.catalog]
    catalog = _load_catalog(_parse(texts, found.catalog, catalog_name, problems), catalog_name, problems) \
        if found.catalog in texts else None
    parsed: list[_File] = []
    # (policy, version) of the files that did not validate; None among them: a file whose
    # policy and version are not known (unreadable, not YAML, refused by the walk).
    broken: set[tuple[str, str] | None] = {None} if problems.errors else set()
    for p in found.files:
        document = _parse(texts, p, found.names[p], problems) if p in texts else _NOT_PARSED
        _load_rule_file(document, found.names[p], problems, parsed, broken)
    if catalog is None:
        return None
    readings = _readings(parsed, problems)
    return PackSource(catalog, strike_schema(catalog), parsed, broken, readings, found.label, digest.hexdigest(),
                      tuple(found.names[p] for p in [found.catalog, *found.files]))


# Stage 1-2: files ------------------------------------------------------------------------

_NOT_PARSED = object()


def _read(path: Path, name: str) -> Any:
    try:
        return load_bytes(read_file(path))
    except YamlError as e:
        raise RuleFileError(name, e.message, line=e.line, code=e.code) from None


def _parse(texts: Mapping[Path, bytes], path: Path, name: str, problems: Problems) -> Any:
    try:
        return load_bytes(texts[path])
    except YamlError as e:
        problems.add(RuleFileError(name, e.message, line=e.line, code=e.code))
        return _NOT_PARSED


def _pydantic_errors(name: str, e: ValidationError, raw: Any, prefix: tuple[str | int, ...] = ()
                     ) -> list[RuleFileError]:
    """One error per field Pydantic found wrong (the branches of a union are one field). ``prefix``:
    where in ``raw`` the validated element is (``("rules", 3)`` for a rule validated on its own)."""
    out: dict[tuple[str | None, str | None], RuleFileError] = {}
    for err in e.errors():
        if err["type"] == "literal_error" and isinstance(err.get("input"), list):
            continue  # the literal branch of a union given a list (overrides: [...]): the list's errors say more
        full = (*prefix, *err["loc"])
        loc = full
        rule = None
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rules = raw.get("rules") if isinstance(raw, Mapping) else None
            item = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
            rid = item.get("id") if isinstance(item, Mapping) else None
            rule = rid if isinstance(rid, str) else f"#{loc[1] + 1}"
            loc = loc[2:]
        field = ".".join(str(p) for p in loc if not str(p).startswith(("function-", "literal[", "tuple[")) and
                         str(p) not in _BRANCHES) or None
        if (rule, field) in out:
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        line = line_of(raw, full)
        code = "invalid-rule-file"
        if err["type"] == "extra_forbidden":
            msg, code = "unknown key", "unknown-key"
        elif err["type"] == "missing":
            msg = "required"
        elif err["type"] == "enum" or (err["type"] == "literal_error" and isinstance(err.get("input"), str)):
            code = "unknown-value"
        if err["type"] in _TEXT_ERRORS and isinstance(err.get("input"), bool):
            msg += f" ({boolean_hint(raw, line, err['input'])})"
        out[(rule, field)] = RuleFileError(name, msg, rule=rule, field=field, line=line, code=code)
    return list(out.values())


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: Any, name: str, raw: Any, prefix: tuple[str | int, ...],
               problems: Problems) -> M | None:
    """``data`` validated as ``model``, its problems reported; with no problem but unknown keys of
    its own, validated without them (reported, and the rest is still checked), else None."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        for err in _pydantic_errors(name, e, raw, prefix):
            problems.add(err)
        unknown = {err["loc"][0] for err in e.errors() if err["type"] == "extra_forbidden" and len(err["loc"]) == 1}
        if not isinstance(data, Mapping) or len(unknown) != len(e.errors()):
            return None
    try:
        return model.model_validate({k: v for k, v in data.items() if k not in unknown})
    except ValidationError:
        return None


# The names Pydantic gives the branches of a union in an error's location: not fields of the file.
_BRANCHES = frozenset({"str", "constrained-str", "float", "date", "NumberByReading", "DateByReading"})

# Pydantic errors of a field that wants text or one of named values: a boolean there is
# almost always an unquoted YAML word (NO for Norway, on, yes).
_TEXT_ERRORS = frozenset({"string_type", "literal_error", "enum"})


def _load_catalog(raw: Any, name: str, problems: Problems) -> Catalog | None:
    if raw is _NOT_PARSED:
        return None
    if not isinstance(raw, Mapping):
        problems.add(RuleFileError(name, "a catalog is a mapping with 'weapons' and 'regions'"))
        return None
    try:
        return Catalog.model_validate(raw)
    except ValidationError as e:
        for err in _pydantic_errors(name, e, raw):
            problems.add(err)
        return None


@dataclass(frozen=True)
class _File:
    """A rule file that validated, but for some of its rules: ``rf`` holds the rules that did (and
    ``indices`` where each is in the file), ``failed`` the (index, id) of those that did not."""

    name: str
    rf: RuleFile
    raw: Any
    indices: tuple[int, ...]
    failed: tuple[tuple[int, str], ...]


def _load_rule_file(raw: Any, name: str, problems: Problems, parsed: list[_File],
                    broken: set[tuple[str, str] | None]) -> None:
    """Validate a file's header and each of its rules on their own: a bad rule is reported and
    left out, and the rest of the file still composes (only a bad header leaves the file out)."""
    if raw is _NOT_PARSED:
        broken.add(None)
        return
    if not isinstance(raw, Mapping):
        what = "empty" if raw is None else f"a {type(raw).__name__}"
        problems.add(RuleFileError(name, f"a rule file is a mapping (policy, version, rules, ...); this is {what}"))
        broken.add(None)
        return
    items = raw.get("rules")
    specs: list[RuleSpec] = []
    indices: list[int] = []
    failed: list[tuple[int, str]] = []
    if isinstance(items, list):
        for i, item in enumerate(items):
            spec = _validated(RuleSpec, item, name, raw, ("rules", i), problems)
            if spec is not None:
                specs.append(spec)
                indices.append(i)
                continue
            rid = item.get("id") if isinstance(item, Mapping) else None
            if isinstance(rid, str) and re.fullmatch(RULE_ID, rid) and len(rid) <= MAX_ID_CHARS:
                failed.append((i, rid))
            else:
                broken.add(None)  # a rule of unknown id: overrides naming it cannot be checked
    header = {**raw, "rules": []} if isinstance(items, list) else raw
    rf = _validated(RuleFile, header, name, raw, (), problems)
    if rf is None:
        policy, version = raw.get("policy"), raw.get("version")
        if isinstance(version, dt.date):
            version = version.isoformat()
        broken.add((policy, version) if isinstance(policy, str) and isinstance(version, str) else None)
        return
    parsed.append(_File(name, rf.model_copy(update={"rules": tuple(specs)}), raw, tuple(indices), tuple(failed)))


# Contested points -------------------------------------------------------------------------


def _readings(parsed: list[_File], problems: Problems) -> Readings:
    """The contested points the files declare (each once, named after the file's policy), and every
    reference to one checked: ``under`` (of a version or a rule) and values by reading (dates,
    parameters) name declared points and options, and give a value for each option."""
    points: dict[str, Point] = {}
    for f in parsed:
        for i, point in enumerate(f.rf.readings):
            line = line_of(f.raw, ("readings", i))
            if point.policy != f.rf.policy:
                problems.add(RuleFileError(f.name, f"contested point {point.id}: its id must start with the "
                                           f"policy of the file ({f.rf.policy}.)", field="readings", line=line,
                                           code="unknown-reading"))
            elif point.id in points:
                problems.add(RuleFileError(f.name, f"contested point {point.id} is also declared in "
                                           f"{points[point.id].file}", field="readings", line=line,
                                           code="duplicate-id"))
            else:
                points[point.id] = point.model_copy(update={"file": f.name, "line": line})
    readings = Readings(points.values())
    for f in parsed:
        _check_references(f, readings, problems)
    return readings


def _check_references(f: _File, readings: Readings, problems: Problems) -> None:
    rf = f.rf

    def under(value: Under | None, rule: str | None, line: int | None) -> None:
        for point_id, options in (value or {}).items():
            problem = _unknown(readings, point_id, (options,) if isinstance(options, str) else options)
            if problem:
                problems.add(RuleFileError(f.name, problem, rule=rule, field="under", line=line,
                                           code="unknown-reading"))

    def by_reading(value: object, field: str) -> None:
        if not isinstance(value, ByReading):
            return
        line = line_of(f.raw, tuple(field.split(".")))
        problem = _unknown(readings, value.reading, tuple(value.options))
        point = readings.points.get(value.reading)
        if not problem and point is not None and set(value.options) != set(point.option_ids):
            problem = (f"gives values for {', '.join(value.options)}; {point.id} has the options "
                       f"{', '.join(point.option_ids)}: give one value for each")
        if problem:
            problems.add(RuleFileError(f.name, problem, field=field, line=line, code="unknown-reading"))

    under(rf.under, None, line_of(f.raw, ("under",)))
    by_reading(rf.effective_from, "effective_from")
    by_reading(rf.effective_until, "effective_until")
    for name, param in rf.parameters.items():
        by_reading(param.value, f"parameters.{name}.value")
    by_id: dict[str, list[tuple[int, RuleSpec]]] = {}
    for i, spec in zip(f.indices, rf.rules, strict=True):
        under(spec.under, spec.id, line_of(f.raw, ("rules", i)))
        by_id.setdefault(spec.id, []).append((i, spec))
    for rid, specs in by_id.items():
        for (i, a), (_, b) in itertools.combinations(specs, 2):
            # Two rules with one id and no 'under': composing reports it (a duplicate rule id).
            if (a.under is not None or b.under is not None) and not _exclusive(a.under, b.under):
                problems.add(RuleFileError(f.name, f"duplicate rule id (first at rule #{i + 1}); two rules with "
                                           "one id must be 'under' different options of a contested point",
                                           rule=rid, field="id", line=line_of(f.raw, ("rules", i)),
                                           code="duplicate-id"))


def _unknown(readings: Readings, point_id: str, options: tuple[str, ...]) -> str | None:
    """What is wrong with a reference to a point and some of its options, or None."""
    point = readings.points.get(point_id)
    if point is None:
        known = ", ".join(readings.points) or "none is declared"
        return f"unknown contested point {echo(point_id)}; known: {known}"
    bad = [o for o in options if o not in point.option_ids]
    if bad:
        return f"{point_id} has no option {echo(bad[0])}; options: {', '.join(point.option_ids)}"
    return None


def _exclusive(a: Under | None, b: Under | None) -> bool:
    """Whether no reading has both: some point with disjoint options in the two."""
    if a is None or b is None:
        return False
    return any(set((oa,) if isinstance(oa, str) else oa).isdisjoint((ob,) if isinstance(ob, str) else ob)
               for p, oa in a.items() if (ob := b.get(p)) is not None)


def _points_of_file(f: _File) -> tuple[str, ...]:
    """The contested points :func:`_select` reads for ``f``: its ``under``, its rules' ``under``, and
    its dates and parameter values given by reading."""
    rf = f.rf
    points = set(rf.under or ())
    for spec in rf.rules:
        points.update(spec.under or ())
    for value in (rf.effective_from, rf.effective_until, *(p.value for p in rf.parameters.values())):
        if isinstance(value, ByReading):
            points.add(value.reading)
    return tuple(sorted(points))


def _select(f: _File, reading: Mapping[str, str]) -> _File | None:
    """A file as it reads under ``reading``: None when its version is not under it; else with its
    dates and parameter values for the reading, and only the rules under it."""
    rf = f.rf
    if not under_holds(rf.under, reading):
        return None
    changes: dict[str, Any] = {}
    if isinstance(rf.effective_from, ByReading):
        changes["effective_from"] = rf.effective_from.value(reading)
        if changes["effective_from"] is None:
            return None  # a value by reading that misses the reading's option: reported, the file left out
    if isinstance(rf.effective_until, ByReading):
        changes["effective_until"] = rf.effective_until.value(reading)
    if any(isinstance(p.value, ByReading) and p.value.value(reading) is None for p in rf.parameters.values()):
        return None
    if any(isinstance(p.value, ByReading) for p in rf.parameters.values()):
        changes["parameters"] = {k: p.model_copy(update={"value": p.value.value(reading)})
                                 if isinstance(p.value, ByReading) else p for k, p in rf.parameters.items()}
    keep = [(i, s) for i, s in zip(f.indices, rf.rules, strict=True) if under_holds(s.under, reading)]
    if len(keep) != len(rf.rules):
        changes["rules"] = tuple(s for _, s in keep)
    if not changes:
        return f
    return _File(f.name, rf.model_copy(update=changes), f.raw, tuple(i for i, _ in keep) if "rules" in changes
                 else f.indices, f.failed)


# Stage 3-4: policies and composition -----------------------------------------------------


Files = Mapping[str, _File]


def _compose(parsed: list[_File], schema: Schema, problems: Problems,
             broken: set[tuple[str, str] | None], made: RuleMemo,
             memo: VersionMemo | None = None) -> dict[str, Policy]:
    by_policy: dict[str, dict[str, _File]] = {}
    for f in parsed:
        versions = by_policy.setdefault(f.rf.policy, {})
        if f.rf.version in versions:
            problems.add(RuleFileError(f.name, f"policy {f.rf.policy} version {f.rf.version} is also defined in "
                                       f"{versions[f.rf.version].name}", field="version"))
            continue
        versions[f.rf.version] = f

    policies: dict[str, Policy] = {}
    for pid in sorted(by_policy, key=lambda p: (p != COMMON, p)):
        files = by_policy[pid]
        # A version whose parent could not be composed is left out silently (its problem is reported).
        missing = {v for p, v in (b for b in broken if b is not None) if p == pid}
        done = _compose_versions(files, schema, problems, missing, None in broken, made, memo)
        ordered = sorted((v for v in done.values() if v is not None), key=lambda v: v.effective_from)
        for a, b in itertools.pairwise(ordered):
            if a.effective_from == b.effective_from:
                problems.add(RuleFileError(b.file, f"policy {pid}: versions {a.version} and {b.version} have the "
                                           f"same effective_from {b.effective_from}", field="effective_from"))
            elif a.effective_until is not None and a.effective_until >= b.effective_from:
                problems.add(RuleFileError(a.file, f"policy {pid}: version {a.version} runs until "
                                           f"{a.effective_until}, overlapping {b.version} from {b.effective_from}",
                                           field="effective_until"))
        if ordered:
            policies[pid] = Policy(pid, tuple(ordered))
    return policies


def _compose_versions(files: Files, schema: Schema, problems: Problems, missing: set[str],
                      unidentified: bool, made: RuleMemo,
                      memo: VersionMemo | None = None) -> dict[str, PolicyVersion | None]:
    """Every version of one policy composed from the one it extends, or None when it cannot be.

    Iterative: from each version, follow ``extends`` up to a version composed already or to one
    that extends nothing, then compose back down; a chain of any length costs no recursion."""
    done: dict[str, PolicyVersion | None] = {}
    for start in files:
        chain: list[str] = []
        on_chain: set[str] = set()
        top: str | None = start  # where the walk up stopped: a version done, or None past a root
        ok = True
        while top is not None and top not in done:
            name, rf = files[top].name, files[top].rf
            if top in on_chain:
                cycle = [*chain[chain.index(top):], top]
                problems.add(RuleFileError(name, f"'extends' forms a cycle: {' -> '.join(cycle)}", field="extends"))
                ok = False
                break
            chain.append(top)
            on_chain.add(top)
            if rf.extends is not None and rf.extends not in files:
                if rf.extends not in missing and not unidentified:
                    known = ", ".join(sorted(v for v in files if v != top)) or "none"
                    problems.add(RuleFileError(name, f"extends unknown version {echo(rf.extends)} of policy "
                                               f"{rf.policy} (versions: {known})", field="extends"))
                ok = False
                break
            top = rf.extends
        parent = done.get(top) if ok and top is not None else None
        if not ok or (top is not None and parent is None):
            done.update(dict.fromkeys(chain))
            continue
        for vname in reversed(chain):
            parent = done[vname] = _compose_version_memo(files[vname], parent, schema, problems, made, memo)
    return done


VersionMemo = ByIdentity[PolicyVersion]
RuleMemo = dict[tuple[int, frozenset[str]], tuple[RuleSpec, Rule]]


def _compose_version_memo(file: _File, parent: PolicyVersion | None, schema: Schema, problems: Problems,
                          made: RuleMemo, memo: VersionMemo | None) -> PolicyVersion:
    """:func:`_compose_version`, reused for the same selected file and parent when it had no problems
    (composing is a function of them; a version with problems is composed again so they are reported)."""
    if memo is None:
        return _compose_version(file, parent, schema, problems, made)
    before = len(problems.errors)
    return memo.get((file, parent), lambda: _compose_version(file, parent, schema, problems, made),
                    keep=lambda _: len(problems.errors) == before)


def _compose_version(file: _File, parent: PolicyVersion | None, schema: Schema, problems: Problems,
                     made: RuleMemo) -> PolicyVersion:
    """One version: its parent's rules (less those removed), its own replacing or added. A rule
    with a problem is kept with no condition (or, when it did not even validate, as a placeholder),
    so overrides naming it and versions extending this one see it as it was meant: its problem
    is reported, and the pack is never returned."""
    name, rf, raw = file.name, file.rf, file.raw
    params = dict(parent.parameters) if parent else {}
    params.update(rf.parameters)
    values = {k: p.number for k, p in params.items()}
    rules: list[Rule] = list(parent.rules) if parent else []
    inherited = {r.id for r in rules}
    for rid in rf.remove:
        if rid not in inherited:
            problems.add(RuleFileError(name, f"removes {echo(rid)}, which {rf.extends} does not have", field="remove"))
    rules = [r for r in rules if r.id not in rf.remove]
    position = {r.id: k for k, r in enumerate(rules)}
    added, replaced = [], []
    seen: dict[str, int] = {}
    names = frozenset(values)
    own: list[tuple[int, RuleSpec | str]] = sorted([*zip(file.indices, rf.rules, strict=True), *file.failed],
                                                   key=lambda x: x[0])
    for i, spec in own:
        rid = spec if isinstance(spec, str) else spec.id
        if rid in seen:
            if not isinstance(spec, str):
                problems.add(RuleFileError(name, f"duplicate rule id (first at rule #{seen[rid] + 1})", rule=rid,
                                           field="id", line=line_of(raw, ("rules", i)), code="duplicate-id"))
            continue
        seen[rid] = i
        rule = _placeholder(rid, rf.policy, name, line_of(raw, ("rules", i))) if isinstance(spec, str) else \
            _make_rule(spec, i, file, schema, values, names, problems, made)
        pos = position.get(rid)
        if pos is None:
            position[rid] = len(rules)
            rules.append(rule)
            added.append(rid)
        else:
            rules[pos] = rule
            replaced.append(rid)
    default = rf.default if rf.default is not None else parent.default if parent else Decision.PROHIBITED
    assert isinstance(rf.effective_from, dt.date)  # chosen for the reading by _select
    assert not isinstance(rf.effective_until, ByReading)
    return PolicyVersion(
        policy=rf.policy, version=rf.version, title=rf.title, effective_from=rf.effective_from,
        effective_until=rf.effective_until, default=default, parameters=params, rules=tuple(rules),
        file=name, extends=rf.extends, note=rf.note, added=tuple(added), replaced=tuple(replaced),
        removed=tuple(rf.remove))


def _make_rule(spec: RuleSpec, i: int, file: _File, schema: Schema, params: Mapping[str, float],
               names: frozenset[str], problems: Problems, made: RuleMemo) -> Rule:
    """Rule #``i`` of ``file``. A rule is a function of its spec (of one place in one file: a selected
    file keeps its specs) and of the names of the parameters its condition may name, not of their
    values: made once, whatever the reading, unless its condition has a problem (reported each time)."""
    key = (id(spec), names)
    cached = made.get(key)
    if cached is not None and cached[0] is spec:
        return cached[1]
    raw = file.raw
    line = line_of(raw, ("rules", i))
    try:
        when = parse(spec.when, schema, params)
        ok = True
    except ConditionError as e:
        rule_raw = (raw.get("rules") or [])[i]
        parts = _path_parts(e.path)
        where = line_of(rule_raw, parts) or line
        message = e.message
        value = _value_at(rule_raw, parts)
        if isinstance(value, bool) and e.code == "unknown-value":
            message += f" ({boolean_hint(raw, where, value)})"
        problems.add(RuleFileError(file.name, message, rule=spec.id, field=e.path, line=where, code=e.code))
        when, ok = ALWAYS, False  # a placeholder: the pack is not returned
    overrides = spec.overrides if spec.overrides == "all" else frozenset(spec.overrides)
    rule = Rule(id=spec.id, title=spec.title, effect=spec.effect, when=when, overrides=overrides,
                source=spec.source, basis=spec.basis, policy=file.rf.policy, file=file.name, line=line,
                caveats=spec.caveats, note=spec.note)
    if ok:
        made[key] = (spec, rule)  # the spec is kept: its id is not another's while the entry stands
    return rule


def _placeholder(rid: str, policy: str, file: str, line: int | None) -> Rule:
    """A rule that did not validate, standing in for it (by its id) while the rest is checked."""
    return Rule(id=rid, title=rid, effect=Decision.PROHIBITED, when=ALWAYS, overrides=frozenset(),
                source=Source(document="-", quote="-"), basis=Basis.INTERPRETATION, policy=policy, file=file, line=line)


def _value_at(data: Any, parts: list[object]) -> Any:
    """The element of ``data`` at ``parts`` (mapping keys and list indices), or None."""
    for part in parts:
        found = (isinstance(data, Mapping) and part in data) or \
            (isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data))
        if not found:
            return None
        data = data[part]
    return data


def _path_parts(path: str) -> list[object]:
    """``when.any[1].range_km`` -> ``["when", "any", 1, "range_km"]``."""
    parts: list[object] = []
    for piece in path.split("."):
        name, *indexes = piece.split("[")
        parts.append(name)
        parts.extend(int(i.rstrip("]")) for i in indexes if i.rstrip("]").isdigit())
    return parts
