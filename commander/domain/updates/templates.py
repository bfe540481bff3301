"""Stakeholder update templates: Jinja2 in a sandbox with strict undefined variables.

A template can come from the shared store, so it is untrusted input: the sandbox refuses attribute
tricks (`{{ ''.__class__.__mro__ }}`), and a misspelt variable is an error with its line, not a blank.
The context is plain data built from the incident's state; nothing in it can reach the application, and
the sandbox is immutable, so a template cannot change what the next one sees. Rendering runs under the
budgets of `template_guard` (time, output while it streams, sizes, arithmetic, recursion); the window and
the command line render through `commander.app.updates.template_runner`, which adds a separate process.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from jinja2 import TemplateSyntaxError

from commander.domain.core.policy import Policy
from commander.domain.core.when import format_duration
from commander.domain.incident.state import IncidentState
from commander.domain.updates import template_guard
from commander.domain.updates.template_guard import TIME_BUDGET, GuardedEnvironment, TemplateLimit, guarded_problem
from commander.domain.updates.timers import next_update

MAX_OUTPUT = 40_000  # characters: far beyond any chat message, short of a runaway loop's output


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    stage: str
    audience: str
    source: str
    origin: str = "shipped"  # "shipped", "team", or "edited": a team template in a shipped one's place


class TemplateProblem(ValueError):
    """A template that cannot be rendered; the message names the line when there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"Line {line}: {message}" if line else message)
        self.reason, self.line = message, line


_ENVIRONMENT = GuardedEnvironment()


def context(
    state: IncidentState, policy: Policy, *, now: datetime, author: str, time_format: Callable[[datetime], str]
) -> dict[str, Any]:
    """The variables a template sees: plain strings, lists and dicts only."""
    severity = policy.find_severity(state.severity)
    start = state.started_at() or now
    end = state.milestones.get("resolved") if not state.is_open else None
    due = next_update(state, policy, now)
    since_severity = state.severity_history[-1][1] if state.severity_history else start
    pinned = [
        note.text
        for note in sorted(state.notes.values(), key=lambda n: n.at)
        if state.is_pinned(note.id) and not note.deleted
    ]
    return {
        "incident": {
            "reference": state.reference,
            "title": state.title,
            "severity": state.severity,
            "severity_name": severity.name if severity else "",
            "status": state.status.value,
            "severity_description": severity.description if severity else "",
            "summary": state.summary,
            "services": list(state.services),
            "drill": state.drill,
            "detected_at": time_format(start),
            "duration": format_duration((end or now) - start),
            "time_in_severity": format_duration(now - since_severity),
            "roles": {slot.name: slot.holder for slot in state.roles.values()},
            "latest_pinned": pinned[-3:],
        },
        # The update being written restarts the countdown: the next one is a cadence from now.
        "next_update": time_format(now + due.cadence) if due.cadence else "when there is news",
        "cadence": format_duration(due.cadence) if due.cadence else "as needed",
        "author": author,
        "now": time_format(now),
    }


def check(source: str) -> None:
    """Refuse text that is not a template at all, with its line. A misspelt variable is only found when
    the template is rendered (see `render`): which names exist depends on the incident."""
    try:
        _ENVIRONMENT.compiled(source)  # compiled, not only parsed: Python's own limits are found here too
    except TemplateSyntaxError as error:
        raise TemplateProblem(error.message or "the template cannot be read", error.lineno) from None


def render(source: str, variables: dict[str, Any], *, seconds: float = TIME_BUDGET) -> str:
    """The update the template writes, refused with its line when it cannot be written, or when it runs
    longer than `seconds` or writes more than MAX_OUTPUT characters (checked as the text streams out)."""
    try:
        with template_guard.budgeted(seconds):
            stream = cast(Generator[str, None, None], _ENVIRONMENT.compiled(source).generate(variables))
            parts, size = [], 0
            for chunk in stream:
                size += len(chunk)
                if size > MAX_OUTPUT:  # thrown in where the template is, so the message names the line
                    stream.throw(
                        TemplateLimit(
                            f"the update would be more than {MAX_OUTPUT:,} characters long; "
                            f"keep it under {MAX_OUTPUT:,}"
                        )
                    )
                parts.append(chunk)
    except Exception as error:  # noqa: BLE001 (whatever the template caused becomes a problem; bugs re-raise)
        found = guarded_problem(error)
        if found is None:
            raise
        raise TemplateProblem(*found) from None
    return "".join(parts).strip() + "\n"
