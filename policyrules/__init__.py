"""policyrules: weapons-use authorizations as declarative, sourced, checkable rules.

>>> from policyrules import Engine
>>> engine = Engine.load()
>>> v = engine.evaluate({"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery",
...                      "self_defense": True, "defended_region": "kharkiv", "range_km": 30,
...                      "date": "2024-06-01"})
>>> v.decision, v.rule.id
(<Decision.ALLOWED: 'allowed'>, 'us-kharkiv-counterfire')
"""

import sys as _sys

if _sys.version_info < (3, 10) or _sys.version_info >= (3, 13):  # pragma: no cover
    raise ImportError(
        "policyrules supports Python 3.10 to 3.12: its default engine, durable-rules 2.0.28, does not "
        f"import on Python {_sys.version_info.major}.{_sys.version_info.minor} (PyEval_CallObject was "
        "removed in 3.13). Create the virtual environment with python3.12, 3.11 or 3.10."
    )

from .__about__ import __version__
from .analysis.check import CheckReport, Finding, Severity
from .analysis.diff import DiffEntry, DiffReport
from .analysis.partial import PartialReport, Possibility
from .analysis.sweep import SweepReport
from .analysis.why_not import Alternative, FieldChange, WhyNotReport
from .deciding.verdict import PolicyRef, RuleRef, Verdict
from .engine import Engine
from .frames import evaluate_frame
from .model.domain import Basis, Decision, TargetCategory, TargetType, WeaponClass
from .model.errors import (
    BackendError,
    PackError,
    ParameterError,
    PolicyRefError,
    PolicyRulesError,
    RuleFileError,
    ScenarioError,
    StrikeError,
)
from .model.strike import ProposedStrike
from .packs.loader import bundled_rules_dir, bundled_sources_dir, load_pack

__all__ = [
    "Alternative",
    "BackendError",
    "Basis",
    "CheckReport",
    "Decision",
    "DiffEntry",
    "DiffReport",
    "Engine",
    "FieldChange",
    "Finding",
    "PackError",
    "ParameterError",
    "PartialReport",
    "PolicyRef",
    "PolicyRefError",
    "PolicyRulesError",
    "Possibility",
    "ProposedStrike",
    "RuleFileError",
    "RuleRef",
    "ScenarioError",
    "Severity",
    "StrikeError",
    "SweepReport",
    "TargetCategory",
    "TargetType",
    "Verdict",
    "WeaponClass",
    "WhyNotReport",
    "__version__",
    "bundled_rules_dir",
    "bundled_sources_dir",
    "evaluate_frame",
    "load_pack",
]
