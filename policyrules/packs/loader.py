"""Load a directory of rule files into a checked, composed :class:`~policyrules.packs.pack.Pack`.

Stages, in order (each raises :class:`~policyrules.model.errors.RuleFileError` naming the file,
the rule id, the field and the line where it can):

1. read ``catalog.yaml`` and every other ``*.yaml`` under the directory (strict YAML);
2. validate each file's shape with the Pydantic models of :mod:`policyrules.packs.rulefile`;
3. group versions by policy, check ids and effective windows;
4. compose each version from the one it ``extends`` (inherit, replace, remove, add) and
   parse every condition against the strike schema and the version's parameters;
5. check each rule set in force (common + version): unique ids, overrides naming
   existing rules, no override cycles.

Nothing is returned until every stage passed, so a bad pack never half-loads.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..language.conditions import ConditionError, Schema, parse
from ..model.catalog import Catalog, provide_default_catalog
from ..model.domain import Decision
from ..model.errors import RuleFileError
from .pack import COMMON, Pack, Policy, PolicyVersion, Rule, RuleSet
from .rulefile import RuleFile, RuleSpec
from .schema import strike_schema
from .yamlio import YamlError, boolean_hint, line_of, load_file

CATALOG_FILE = "catalog.yaml"
MAX_FILES = 2000


def bundled_rules_dir() -> Path:
    """The policy pack shipped with the library: package data ``policyrules/rules/`` when
    installed (pyproject maps the checkout's ``rules/`` there), ``rules/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "rules", package.parent / "rules"):
        if (candidate / CATALOG_FILE).is_file():
            return candidate
    raise RuleFileError(f"rules/{CATALOG_FILE}", "missing: the bundled policy pack is not installed "
                        "with this copy of policyrules; pass a rules directory")


@functools.lru_cache(maxsize=1)
def bundled_catalog() -> Catalog:
    path = bundled_rules_dir() / CATALOG_FILE
    return _load_catalog(path, f"rules/{CATALOG_FILE}")


provide_default_catalog(bundled_catalog)  # what ProposedStrike(...) is checked against without an engine


def load_pack(path: str | Path | None = None) -> Pack:
    root = Path(path) if path is not None else bundled_rules_dir()
    label = root.name or str(root)
    if not root.is_dir():
        raise RuleFileError(str(root), "not a directory of rule files")
    catalog_path = root / CATALOG_FILE
    if not catalog_path.is_file():
        raise RuleFileError(f"{label}/{CATALOG_FILE}", "missing: a rule directory needs a catalog")
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                   and p != catalog_path)
    if len(files) > MAX_FILES:
        raise RuleFileError(label, f"{len(files)} rule files; the limit is {MAX_FILES}")
    if not files:
        raise RuleFileError(label, "no rule files (*.yaml) besides the catalog")

    digest = hashlib.sha256()
    names = {}
    for p in [catalog_path, *files]:
        rel = p.relative_to(root).as_posix()
        names[p] = f"{label}/{rel}"
        try:
            digest.update(rel.encode() + b"\0" + p.read_bytes() + b"\0")
        except OSError as e:
            raise RuleFileError(names[p], f"cannot read: {e.strerror or e}") from None

    catalog = _load_catalog(catalog_path, names[catalog_path])
    schema = strike_schema(catalog)
    parsed = [_load_rule_file(p, names[p]) for p in files]
    policies = _compose(parsed, schema)
    pack = Pack(catalog=catalog, schema=schema, policies=policies, root=label,
                digest=digest.hexdigest(), files=tuple(names[p] for p in [catalog_path, *files]))
    for rs in pack.all_rulesets():
        check_ruleset(rs)
    return pack


# Stage 1-2: files ------------------------------------------------------------------------


def _read(path: Path, name: str) -> Any:
    try:
        return load_file(path)
    except YamlError as e:
        raise RuleFileError(name, e.message, line=e.line) from None


def _pydantic_error(name: str, e: ValidationError, raw: Any) -> RuleFileError:
    err = e.errors()[0]
    loc = tuple(err["loc"])
    rule = None
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = raw.get("rules") if isinstance(raw, Mapping) else None
        item = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
        rid = item.get("id") if isinstance(item, Mapping) else None
        rule = str(rid) if isinstance(rid, str) else f"#{loc[1] + 1}"
        loc = loc[2:]
    field = ".".join(str(p) for p in loc if not str(p).startswith(("function-", "literal[")) and
                     str(p) not in ("tuple[str, ...]", "str"))
    msg = str(err["msg"]).removeprefix("Value error, ")
    line = line_of(raw, err["loc"])
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required"
    elif err["type"] in _TEXT_ERRORS and isinstance(err.get("input"), bool):
        msg += f" ({boolean_hint(raw, line, err['input'])})"
    more = len(e.errors()) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return RuleFileError(name, msg, rule=rule, field=field or None, line=line)


# Pydantic errors of a field that wants text or one of named values: a boolean there is
# almost always an unquoted YAML word (NO for Norway, on, yes).
_TEXT_ERRORS = frozenset({"string_type", "literal_error", "enum"})


def _load_catalog(path: Path, name: str) -> Catalog:
    raw = _read(path, name)
    if not isinstance(raw, Mapping):
        raise RuleFileError(name, "a catalog is a mapping with 'weapons' and 'regions'")
    try:
        return Catalog.model_validate(raw)
    except ValidationError as e:
        raise _pydantic_error(name, e, raw) from None


def _load_rule_file(path: Path, name: str) -> tuple[str, RuleFile, Any]:
    raw = _read(path, name)
    if not isinstance(raw, Mapping):
        what = "empty" if raw is None else f"a {type(raw).__name__}"
        raise RuleFileError(name, f"a rule file is a mapping (policy, version, rules, ...); this is {what}")
    try:
        return name, RuleFile.model_validate(raw), raw
    except ValidationError as e:
        raise _pydantic_error(name, e, raw) from None


# Stage 3-4: policies and composition -----------------------------------------------------


def _compose(parsed: list[tuple[str, RuleFile, Any]], schema: Schema) -> dict[str, Policy]:
    by_policy: dict[str, dict[str, tuple[str, RuleFile, Any]]] = {}
    for name, rf, raw in parsed:
        versions = by_policy.setdefault(rf.policy, {})
        if rf.version in versions:
            raise RuleFileError(name, f"policy {rf.policy} version {rf.version} is also defined in "
                                f"{versions[rf.version][0]}", field="version")
        versions[rf.version] = (name, rf, raw)

    policies: dict[str, Policy] = {}
    for pid in sorted(by_policy, key=lambda p: (p != COMMON, p)):
        files = by_policy[pid]
        done: dict[str, PolicyVersion] = {}
        for vname in files:
            _compose_version(vname, files, done, schema, ())
        ordered = sorted(done.values(), key=lambda v: v.effective_from)
        for a, b in itertools.pairwise(ordered):
            if a.effective_from == b.effective_from:
                raise RuleFileError(b.file, f"policy {pid}: versions {a.version} and {b.version} have the "
                                    f"same effective_from {b.effective_from}", field="effective_from")
            if a.effective_until is not None and a.effective_until >= b.effective_from:
                raise RuleFileError(a.file, f"policy {pid}: version {a.version} runs until "
                                    f"{a.effective_until}, overlapping {b.version} from {b.effective_from}",
                                    field="effective_until")
        policies[pid] = Policy(pid, tuple(ordered))
    return policies


def _compose_version(vname: str, files: Mapping[str, tuple[str, RuleFile, Any]],
                     done: dict[str, PolicyVersion], schema: Schema, chain: tuple[str, ...]) -> PolicyVersion:
    if vname in done:
        return done[vname]
    name, rf, raw = files[vname]
    if vname in chain:
        raise RuleFileError(name, f"'extends' forms a cycle: {' -> '.join((*chain, vname))}", field="extends")
    parent = None
    if rf.extends is not None:
        if rf.extends not in files:
            known = ", ".join(sorted(v for v in files if v != vname)) or "none"
            raise RuleFileError(name, f"extends unknown version {rf.extends!r} of policy {rf.policy} "
                                f"(versions: {known})", field="extends")
        parent = _compose_version(rf.extends, files, done, schema, (*chain, vname))

    params = dict(parent.parameters) if parent else {}
    params.update(rf.parameters)
    values = {k: p.value for k, p in params.items()}
    rules: list[Rule] = list(parent.rules) if parent else []
    inherited = {r.id for r in rules}
    for rid in rf.remove:
        if rid not in inherited:
            raise RuleFileError(name, f"removes {rid!r}, which {rf.extends} does not have", field="remove")
    rules = [r for r in rules if r.id not in rf.remove]
    added, replaced = [], []
    seen: dict[str, int] = {}
    raw_rules = raw.get("rules") or []
    for i, spec in enumerate(rf.rules):
        line = line_of(raw, ("rules", i))
        if spec.id in seen:
            raise RuleFileError(name, f"duplicate rule id (first at rule #{seen[spec.id] + 1})", rule=spec.id,
                                field="id", line=line)
        seen[spec.id] = i
        rule = _make_rule(spec, rf.policy, name, line, schema, values, raw_rules[i], raw)
        pos = next((k for k, r in enumerate(rules) if r.id == spec.id), None)
        if pos is None:
            rules.append(rule)
            added.append(spec.id)
        else:
            rules[pos] = rule
            replaced.append(spec.id)
    default = rf.default if rf.default is not None else parent.default if parent else Decision.PROHIBITED
    version = PolicyVersion(
        policy=rf.policy, version=rf.version, title=rf.title, effective_from=rf.effective_from,
        effective_until=rf.effective_until, default=default, parameters=params, rules=tuple(rules),
        file=name, extends=rf.extends, note=rf.note, added=tuple(added), replaced=tuple(replaced),
        removed=tuple(rf.remove))
    done[vname] = version
    return version


def _make_rule(spec: RuleSpec, policy: str, file: str, line: int | None, schema: Schema,
               params: Mapping[str, float], raw: Any, document: Any = None) -> Rule:
    try:
        when = parse(spec.when, schema, params)
    except ConditionError as e:
        parts = _path_parts(e.path)
        where = line_of(raw, parts) or line
        message = e.message
        value = _value_at(raw, parts)
        if isinstance(value, bool) and e.message.startswith("unknown value "):
            message += f" ({boolean_hint(document, where, value)})"
        raise RuleFileError(file, message, rule=spec.id, field=e.path, line=where) from None
    overrides = spec.overrides if spec.overrides == "all" else frozenset(spec.overrides)
    return Rule(id=spec.id, title=spec.title, effect=spec.effect, when=when, overrides=overrides,
                source=spec.source, basis=spec.basis, policy=policy, file=file, line=line,
                caveats=spec.caveats, note=spec.note)


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


# Stage 5: rule sets ----------------------------------------------------------------------


def check_ruleset(rs: RuleSet) -> None:
    """Unique ids, overrides naming rules of the set, and no override cycles."""
    by_id: dict[str, Rule] = {}
    for r in rs.rules:
        if r.id in by_id:
            other = by_id[r.id]
            raise RuleFileError(r.file, f"duplicate rule id: also defined in {other.file}", rule=r.id,
                                field="id", line=r.line)
        by_id[r.id] = r
    for r in rs.rules:
        if r.overrides != "all":
            for target in sorted(r.overrides):
                if target not in by_id:
                    raise RuleFileError(r.file, f"overrides {target!r}, which is not a rule of "
                                        f"{rs.version.ref}" + (f" + common@{rs.common.version}" if rs.common else ""),
                                        rule=r.id, field="overrides", line=r.line)
                if target == r.id:
                    raise RuleFileError(r.file, "a rule cannot override itself", rule=r.id,
                                        field="overrides", line=r.line)
    cycle = find_override_cycle(rs.rules)
    if cycle:
        first = by_id[cycle[0]]
        raise RuleFileError(first.file, "override cycle: " + " -> ".join([*cycle, cycle[0]]),
                            rule=first.id, field="overrides", line=first.line)


def find_override_cycle(rules: tuple[Rule, ...]) -> list[str] | None:
    """A cycle in "overrides" among ``rules`` (``all`` expanded), as rule ids, or None."""
    edges = {r.id: [o.id for o in rules if r.overrides_rule(o)] for r in rules}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in edges[n]:
            if state.get(m) == 1:
                return stack[stack.index(m):]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for r in rules:
        if r.id not in state:
            found = visit(r.id)
            if found:
                return list(found)
    return None
