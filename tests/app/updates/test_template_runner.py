"""Hostile templates through the console (issue 11, item 8): filled in by a worker process under a time,
size and memory budget, each refusal quick and naming the template and its line, none harming the others."""

from __future__ import annotations

import time

import pytest

from commander.app import postmortem
from commander.app.console import Console
from commander.app.updates import template_runner
from commander.app.updates import templates as updates
from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft
from commander.domain.postmortem.draft import TEMPLATES_STREAM
from commander.domain.updates.team_templates import STREAM
from commander.domain.updates.template_guard import TIME_BUDGET
from commander.domain.updates.templates import TemplateProblem

SLOW = 5.0  # seconds: the budget is 2 s; loosely checked, the machine may be busy
LOOP = "Status\n{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
HOSTILE = {
    "loop": (LOOP, "Line 2: stopped after 2 s"),
    "wipe": ("{{ incident.clear() }}{{ incident.services.append(1) }}", "Line 1: not allowed in a template"),
    "again": ("{% macro again() %}{{ again() }}{% endmacro %}\n{{ again() }}", "a macro calls itself"),
    "huge": ("\n{{ 10**100000000 }}", "Line 2: a number would have more than"),
    "count": ("{% for i in range(10**9) %}{% endfor %}", "Line 1: range() of 1,000,000,000 numbers"),
}
pytestmark = pytest.mark.skipif(not template_runner.ISOLATED, reason="the worker process needs POSIX")


def _raw(console: Console, key: str, body: str) -> None:
    """A template written straight into the store, as a hostile responder with psql would."""
    console.record(
        [
            EventDraft(
                STREAM, "template.saved", {"key": key, "name": key.title(), "stage": "", "audience": "", "body": body}
            )
        ]
    )


@pytest.mark.parametrize("key", list(HOSTILE))
def test_a_hostile_team_template_is_refused_quickly_naming_it_and_its_line(
    console: Console, incident_id: str, key: str
) -> None:
    source, said = HOSTILE[key]
    _raw(console, key, source)
    started = time.monotonic()
    with pytest.raises(DomainError) as refused:
        updates.preview(console, incident_id, key)
    assert time.monotonic() - started < SLOW
    assert str(refused.value).startswith(f"The template '{key}' cannot be used: ") and said in str(refused.value)
    assert updates.preview(console, incident_id, "initial").startswith("[SEV2] Investigating")


def test_broken_templates_mark_only_themselves(console: Console, incident_id: str) -> None:
    """`incident.clear()` once emptied the context every later template got: all were marked broken."""
    shipped = list(updates.templates(console))
    for key, (source, _) in HOSTILE.items():
        _raw(console, key, source)
    started = time.monotonic()
    broken = updates.problems(console, incident_id)
    assert time.monotonic() - started < SLOW + len(HOSTILE)
    assert set(broken) == set(HOSTILE)
    assert all(isinstance(problem, TemplateProblem) and problem.line for problem in broken.values())
    assert all(
        "INC-" in updates.preview(console, incident_id, key)
        or "Checkout API" in updates.preview(console, incident_id, key)
        for key in shipped
    )


def test_a_template_that_takes_all_the_memory_is_stopped_by_the_worker_limit() -> None:
    """Each value is within the size limit, but thousands of them are not: the worker's address space limit
    refuses it (in this process it would have taken gigabytes before its time ran out)."""
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match="Line 1: it needs more memory than a template may use"):
        template_runner.render_update(
            "{% set ns = namespace(kept=[]) %}{% for i in range(100000) %}"
            "{% set ns.kept = ns.kept + [[i] * 999999] %}{% endfor %}",
            {},
            seconds=30,
        )
    assert time.monotonic() - started < SLOW  # the memory limit stopped it, long before its time budget
    assert template_runner.render_update("{{ 6 * 7 }}", {}) == "42\n"


def test_a_worker_that_does_not_answer_in_time_is_killed_and_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hard timeout is the last line: here it is made shorter than the worker's own budget, as if one
    operation inside the template could not be interrupted."""
    template_runner.ready()
    idle = list(template_runner._idle)
    monkeypatch.setattr(template_runner, "HARD_TIMEOUT", TIME_BUDGET - 1.5)
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match="stopped after 2 s"):
        template_runner.render_update(LOOP, {})
    assert time.monotonic() - started < 1.5
    killed = [worker for worker in idle if worker.process.poll() is not None]
    assert len(killed) == 1 and killed[0] not in template_runner._idle
    monkeypatch.undo()
    assert template_runner.render_update("{{ 'still' }} {{ 'here' }}", {}) == "still here\n"


def test_a_hostile_postmortem_template_gets_the_same_guard(console: Console, incident_id: str) -> None:
    started = time.monotonic()
    postmortem.save_template(console, "quick", "Quick", "{% block summary %}{{ 10**100000000 }}{% endblock %}")
    assert time.monotonic() - started < SLOW  # it hung when saved: the check compiled and folded the number
    console.record(
        [
            EventDraft(
                TEMPLATES_STREAM,
                "postmortem.template_saved",
                {"key": "slow", "name": "Slow", "body": "{% block summary %}\n" + LOOP + "{% endblock %}"},
            )
        ]
    )
    for key, said in (("quick", "Line 1: a number would have more than"), ("slow", "Line 3: stopped after 2 s")):
        started = time.monotonic()
        with pytest.raises(DomainError, match=f"The postmortem template '{key}' cannot be used: {said}"):
            postmortem.draft(console, incident_id, key)
        assert time.monotonic() - started < SLOW
    assert "Checkout API returning 502s" in postmortem.draft(console, incident_id)["summary"]
