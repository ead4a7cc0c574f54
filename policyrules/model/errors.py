"""One error hierarchy, rooted at :class:`PolicyRulesError`.

Every message is one line and names where the problem is: the file, the rule id and
the field for rule files; the field for strikes. Errors keep that context as attributes
so tools can use it without parsing the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PolicyRulesError(Exception):
    """Root of every error this library raises on purpose."""


#: The longest echo of a value given by a user in an error message.
ECHO_LIMIT = 60


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """A value from the input as an error message shows it: ``repr``-style (quotes, escaped line
    breaks and control characters, so a message stays on one line and cannot forge another) and cut
    to about ``limit`` characters. Huge integers are described, not printed."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    try:
        text = repr(value)
    except Exception:  # a repr that fails must not hide the error being reported
        text = f"<{type(value).__name__}>"
    if not text.isprintable():  # a repr that is not a str's may still carry line breaks
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def located(e: PolicyRulesError, where: str) -> PolicyRulesError:
    """``e`` with its message prefixed by where in a batch it happened ("strike #3", "row 17")."""
    e.args = (f"{where}: {e.args[0] if e.args else e}", *e.args[1:])
    return e


@dataclass(frozen=True)
class Problem:
    """One problem with one field of an input (a strike or a scenario)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class StrikeError(PolicyRulesError, ValueError):
    """A proposed strike is invalid. Lists every problem, each with its field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        n = len(self.problems)
        head = "invalid strike" + (f" ({n} problems)" if n > 1 else "")
        super().__init__(f"{head}: " + "; ".join(str(p) for p in self.problems))


#: The codes a :class:`RuleFileError` may carry: what kind of problem, set where it is raised
#: (``check`` reports each load error as a finding with its code).
RULE_FILE_CODES = frozenset({
    "invalid-yaml", "invalid-rule-file", "unknown-key", "unknown-field", "unknown-value", "unknown-parameter",
    "invalid-condition", "duplicate-id", "unknown-override", "override-cycle", "unknown-reading",
})


def shown(text: str, limit: int = 200) -> str:
    """A name from the input (a file name, a key, a scenario name) as a message shows it: as is when
    it is printable and short, else :func:`echo`-quoted (escaped, cut)."""
    return text if len(text) <= limit and text.isprintable() else echo(text, limit)


def _printable(text: str) -> str:
    """``text`` with every non-printable character escaped: a message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class RuleFileError(PolicyRulesError, ValueError):
    """A rule or catalog file is invalid: names the file, the rule id, the field and the line, and
    carries a :data:`code` (``unknown-field``, ``invalid-yaml``, ...) saying what kind of problem."""

    def __init__(
        self,
        file: str,
        message: str,
        *,
        rule: str | None = None,
        field: str | None = None,
        line: int | None = None,
        code: str = "invalid-rule-file",
    ) -> None:
        if code not in RULE_FILE_CODES:
            raise ValueError(f"not a rule file error code: {code!r}; known: {', '.join(sorted(RULE_FILE_CODES))}")
        self.file = shown(file, 1000)
        self.rule = shown(rule) if rule is not None else None
        self.field = shown(field) if field is not None else None
        self.line = line
        self.code = code
        self.detail = _printable(message)
        where = self.file + (f":{line}" if line is not None else "")
        parts = [where]
        if self.rule is not None:
            parts.append(f"rule {self.rule}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        super().__init__(": ".join(parts) + ": " + self.detail)

    @property
    def errors(self) -> tuple[RuleFileError, ...]:
        """Every problem this error stands for: itself (a :class:`PackError` holds several)."""
        return (self,)


class PackError(RuleFileError):
    """Every problem found loading a rule directory (more than one): reads as the first, on one line,
    with how many more there are; ``errors`` holds them all, in the order found."""

    def __init__(self, errors: Sequence[RuleFileError]) -> None:
        self._errors = tuple(e for error in errors for e in error.errors)
        if len(self._errors) < 2:
            raise ValueError("PackError holds two or more errors; raise a single one as it is")
        first, more = self._errors[0], len(self._errors) - 1
        super().__init__(first.file, f"{first.detail} (and {more} more problem{'s' if more > 1 else ''})",
                         rule=first.rule, field=first.field, line=first.line, code=first.code)
        self.detail = first.detail  # the first problem's own text; str(self) says how many more

    @property
    def errors(self) -> tuple[RuleFileError, ...]:
        return self._errors


class PolicyRefError(PolicyRulesError, ValueError):
    """A policy reference (``us@2024-05-30``) or a date names no policy version in force."""


class ParameterError(PolicyRulesError, ValueError):
    """``with_parameters`` named an unknown parameter or gave a bad value."""


class ScenarioError(PolicyRulesError, ValueError):
    """A scenario file is malformed."""


class BackendError(PolicyRulesError):
    """The matching backend failed or is unavailable (durable_rules errors are mapped here)."""
