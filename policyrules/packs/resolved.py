"""A pack with its parameter values in place: what evaluation and analysis both read.

A :class:`~policyrules.packs.pack.Pack` holds conditions that may name parameters
(``{gt: {param: long_range_km}}``). A :class:`ResolvedPack` binds every parameter to a number
(the pack's own values, or those given to :meth:`ResolvedPack.with_parameters`) and gives each
rule set's conditions with thresholds in place, computed once per rule set. The engine holds
one; ``check``, ``diff``, ``why_not``, ``evaluate_partial``, ``sweep`` take one directly, so
analysis never needs an engine.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from ..language.conditions import MAX_ABS_NUMBER, Condition, bind
from ..model.errors import ParameterError, echo
from .pack import Pack, PolicyVersion, RuleSet

ParameterKey = tuple[str, str, str | None]


class ResolvedPack:
    """A pack and a value for each of its parameters (``policy.name``)."""

    def __init__(self, pack: Pack, values: Mapping[str, float] | None = None) -> None:
        self.pack = pack
        self._given: dict[str, float] = dict(values or {})
        self._conditions: dict[ParameterKey, tuple[Condition, ...]] = {}
        self._lock = threading.Lock()

    @property
    def catalog(self) -> Any:
        return self.pack.catalog

    @property
    def given(self) -> dict[str, float]:
        """The values set on this pack (not its bundled defaults), as ``policy.name``: value."""
        return dict(self._given)

    @property
    def parameters(self) -> dict[str, float]:
        """Every parameter in force, as ``policy.name``: value (latest definition of each)."""
        out: dict[str, float] = {}
        for pid, policy in self.pack.policies.items():
            for v in policy.versions:
                for name, p in v.parameters.items():
                    out[f"{pid}.{name}"] = p.number
        out.update(self._given)
        return out

    def with_parameters(self, values: Mapping[str, object]) -> ResolvedPack:
        """A new resolved pack with some parameters changed; this one is untouched."""
        if not isinstance(values, Mapping):
            raise ParameterError(f"parameters are a mapping of policy.name to a number, not {type(values).__name__}")
        known = self.parameters
        merged = dict(self._given)
        for key, value in values.items():
            if key not in known:
                raise ParameterError(f"unknown parameter {echo(key)}; known: {', '.join(sorted(known)) or 'none'}")
            merged[key] = parameter_number(key, value)
        return ResolvedPack(self.pack, merged)

    def with_readings(self, choices: Mapping[str, object]) -> ResolvedPack:
        """The same parameters on the pack composed under other options of its contested points."""
        pack = self.pack.under(choices)
        return self if pack is self.pack else ResolvedPack(pack, self._given)

    def parameter_values(self, version: PolicyVersion) -> dict[str, float]:
        """The values of the parameters a policy version defines, by their bare names."""
        return {name: self._given.get(f"{version.policy}.{name}", p.number) for name, p in version.parameters.items()}

    def conditions(self, rs: RuleSet) -> tuple[Condition, ...]:
        """The conditions of ``rs`` with parameters bound (each rule its own policy's values), in rule order."""
        found = self._conditions.get(rs.key)
        if found is None:
            own = self.parameter_values(rs.version)
            common = self.parameter_values(rs.common) if rs.common is not None else own
            found = tuple(bind(r.when, common if rs.common is not None and r.policy == rs.common.policy else own)
                          for r in rs.rules)
            with self._lock:
                self._conditions.setdefault(rs.key, found)
        return found

    def rulesets(self) -> Iterator[RuleSet]:
        """Every rule set in force on some date, in pack order."""
        return self.pack.all_rulesets()


def parameter_number(key: str, value: object) -> float:
    """A parameter value as a float, or a :class:`ParameterError` naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"parameter {key}: expected a finite number, got {_shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ParameterError(f"parameter {key}: expected a finite number, got {_shown(value)}")
    if abs(number) > MAX_ABS_NUMBER:
        raise ParameterError(f"parameter {key}: expected a number of at most {MAX_ABS_NUMBER:g} in size, "
                             f"got {_shown(value)}")
    return number


def _shown(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {len(str(value)) if value.bit_length() < 20_000 else 'many'} digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
