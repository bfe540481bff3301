"""Stakeholder update templates: Jinja2 in a sandbox with strict undefined variables.

A template can come from the shared store, so it is untrusted input: the sandbox refuses attribute
tricks (`{{ ''.__class__.__mro__ }}`), and a misspelt variable is an error with its line, not a blank.
The context is plain data built from the incident's state; nothing in it can reach the application.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from commander.domain.incident import IncidentState
from commander.domain.policy import Policy
from commander.domain.timers import next_update
from commander.domain.when import format_duration

_NO_ATTRIBUTE = re.compile(r"^'\w+ object' has no attribute '(?P<name>[^']*)'$")
_NOT_DEFINED = re.compile(r"^'(?P<name>[^']*)' is undefined$")
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
        self.line = line


_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def context(state: IncidentState, policy: Policy, *, now: datetime, author: str,
            time_format: Callable[[datetime], str]) -> dict[str, Any]:
    """The variables a template sees: plain strings, lists and dicts only."""
    severity = policy.find_severity(state.severity)
    start = state.started_at() or now
    end = state.milestones.get("resolved") if not state.is_open else None
    due = next_update(state, policy, now)
    since_severity = state.severity_history[-1][1] if state.severity_history else start
    pinned = [note.text for note in sorted(state.notes.values(), key=lambda n: n.at)
              if state.is_pinned(note.id) and not note.deleted]
    return {
        "incident": {
            "reference": state.reference, "title": state.title, "severity": state.severity,
            "severity_name": severity.name if severity else "", "status": state.status.value,
            "severity_description": severity.description if severity else "",
            "summary": state.summary, "services": list(state.services), "drill": state.drill,
            "detected_at": time_format(start), "duration": format_duration((end or now) - start),
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
        _ENVIRONMENT.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(error.message or "the template cannot be read", error.lineno) from None


def render(source: str, variables: dict[str, Any]) -> str:
    try:
        text = _ENVIRONMENT.from_string(source).render(variables)
    except TemplateSyntaxError as error:
        raise TemplateProblem(error.message or "the template cannot be read", error.lineno) from None
    except SecurityError as error:
        raise TemplateProblem(f"not allowed in a template: {error}", _line_of(error)) from None
    except UndefinedError as error:
        raise TemplateProblem(_undefined_in_words(str(error)), _line_of(error)) from None
    except TemplateError as error:
        raise TemplateProblem(str(error), _line_of(error)) from None
    if len(text) > MAX_OUTPUT:
        raise TemplateProblem(f"the update would be {len(text):,} characters long; keep it under {MAX_OUTPUT:,}.")
    return text.strip() + "\n"


def _undefined_in_words(message: str) -> str:
    """Jinja2 says "'dict object' has no attribute 'titel'"; a person writing an update needs the name."""
    missing = _NO_ATTRIBUTE.match(message) or _NOT_DEFINED.match(message)
    if missing is None:
        return message
    return f"there is no variable '{missing['name']}': check its spelling"


def _line_of(error: BaseException) -> int | None:
    """The template line an error happened on, from the traceback Jinja2 rewrites for templates."""
    line = None
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
