"""Recording a past incident through the console: one write, read back the same from the store by anyone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from commander.app import incident
from commander.app.console import Console
from commander.domain.core.clock import to_ms
from commander.domain.core.errors import DomainError
from commander.domain.incident.past import PastIncident, RoleSpan, SeveritySpan


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 25, hour, minute, tzinfo=UTC)


OUTAGE = PastIncident(
    title="Search is down",
    services=("search",),
    detected=utc(14),
    declared=utc(14, 30),
    mitigated=utc(16, 30),
    resolved=utc(17, 30),
    severities=(SeveritySpan("SEV3", utc(14, 30)), SeveritySpan("SEV2", utc(15))),
    roles=(RoleSpan("IC", "Carol", utc(14, 30), utc(17, 30)),),
)


def test_a_past_incident_is_listed_with_its_real_start_and_end(
    console: Console, open_console: Callable[..., Console]
) -> None:
    state = incident.record_past(console, OUTAGE)
    assert state.milestones["declared"] == utc(14, 30) and state.severity == "SEV2"
    row = open_console().resolve(state.reference)  # another console, reading the store
    assert (row.title, row.severity, row.status, row.is_open) == ("Search is down", "SEV2", "resolved", False)
    assert (row.started_at_ms, row.resolved_at_ms) == (to_ms(utc(14)), to_ms(utc(17, 30)))
    assert row.commander is None  # Carol's command ended with the incident


def test_a_refused_account_writes_nothing(console: Console) -> None:
    before = len(console.incidents())
    with pytest.raises(DomainError, match="cannot be before"):
        incident.record_past(console, PastIncident(**{**OUTAGE.__dict__, "resolved": utc(16)}))
    assert len(console.incidents()) == before
