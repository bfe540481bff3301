"""Templated fields of a workflow's actions (a channel's name, a message, a title): Jinja2 in the same
guarded sandbox as the team's update templates (commander/domain/updates/template_guard.py), with strict
undefined variables, plus a `slug` filter for channel names.

A rule comes from the shared store, so its templates are untrusted: they run under the guard's budgets of
time, size and arithmetic, and see plain data only.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import TemplateSyntaxError

from commander.domain.updates import template_guard
from commander.domain.updates.template_guard import GuardedEnvironment, guarded_problem

SLUG_MAX = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(value: Any) -> str:
    """Lower case; every run of anything but a-z and 0-9 becomes one "-"; trimmed of "-"; at most 60
    characters ("Checkout API: 502s!" becomes "checkout-api-502s")."""
    return _NOT_SLUG.sub("-", str(value).lower()).strip("-")[:SLUG_MAX].strip("-")


class _WorkflowEnvironment(GuardedEnvironment):
    def __init__(self) -> None:
        super().__init__()
        self.filters["slug"] = slug


_ENVIRONMENT = _WorkflowEnvironment()


class TemplateProblem(ValueError):
    """A templated field that cannot be read or filled in; the message names the line when there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)


def check(source: str) -> None:
    """Refuse text that is not a template, with its line. Whether every variable exists is only known when
    it is filled in for an incident."""
    try:
        _ENVIRONMENT.compiled(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(error.message or "the template cannot be read", error.lineno) from None


def render(source: str, variables: dict[str, Any]) -> str:
    """The field filled in, under the sandbox's budgets; a problem is a TemplateProblem with its line."""
    try:
        with template_guard.budgeted():
            return str(_ENVIRONMENT.compiled(source).render(variables)).strip()
    except Exception as error:  # noqa: BLE001 (whatever the template caused becomes a problem; bugs re-raise)
        found = guarded_problem(error)
        if found is None:
            raise
        raise TemplateProblem(*found) from None
