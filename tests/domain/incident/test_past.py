"""A past incident recorded in one go: the account is checked whole, and every figure of the report comes
out as it really happened (times from the start, time in each severity, who held which role)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commander.domain.analytics.figures import Gathered, ReportFilter, build_report
from commander.domain.core.clock import to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.policy import Policy
from commander.domain.incident.past import PastIncident, RoleSpan, SeveritySpan, record_past
from commander.domain.incident.state import Status
from tests.domain.analytics.test_figures import OTHER_ID, Row
from tests.helpers.replica import INCIDENT_ID, Replica

BERLIN = ZoneInfo("Europe/Berlin")
MIN = timedelta(minutes=1)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# Tuesday: SEV3 at its declaration, SEV2 from 10:20 to 11:20 (one hour), resolved at 11:30.
FIRST = PastIncident(
    title="Checkout API returning 502s",
    services=("checkout",),
    detected=utc(24, 10),
    declared=utc(24, 10, 10),
    acknowledged=utc(24, 10, 5),
    mitigated=utc(24, 11),
    resolved=utc(24, 11, 30),
    severities=(
        SeveritySpan("SEV3", utc(24, 10, 10)),
        SeveritySpan("sev2", utc(24, 10, 20)),
        SeveritySpan("SEV3", utc(24, 11, 20)),
    ),
    roles=(RoleSpan("IC", "Alice", utc(24, 10, 10)), RoleSpan("TL", "Bob", utc(24, 10, 15), utc(24, 11))),
)
# Wednesday: SEV2 for three hours, Carol handing command to Alice at 16:00, closed half an hour after.
SECOND = PastIncident(
    title="Search is down",
    services=("search",),
    detected=utc(25, 14),
    declared=utc(25, 14, 30),
    acknowledged=utc(25, 14, 35),
    mitigated=utc(25, 16, 30),
    resolved=utc(25, 17, 30),
    closed=utc(25, 18),
    severities=(SeveritySpan("SEV2", utc(25, 14, 30)),),
    roles=(
        RoleSpan("Incident Commander", "Carol", utc(25, 14, 30), utc(25, 16)),
        RoleSpan("incident_commander", "Alice", utc(25, 16), utc(25, 17, 30)),
        RoleSpan("scribe", "Dan", utc(25, 14, 30), utc(25, 17, 30)),
    ),
)


def record(r: Replica, form: PastIncident, incident_id: str = INCIDENT_ID) -> None:
    for draft in record_past(incident_id, form, policy=r.policy, now=r.now()):
        r.stamp(draft)


def test_the_state_is_the_incident_as_it_happened(alex: Replica) -> None:
    record(alex, SECOND)
    state = alex.state()
    assert state.status == Status.CLOSED and state.severity == "SEV2" and state.services == ["search"]
    assert state.milestones == {
        "detected": utc(25, 14),
        "declared": utc(25, 14, 30),
        "acknowledged": utc(25, 14, 35),
        "mitigated": utc(25, 16, 30),
        "resolved": utc(25, 17, 30),
        "closed": utc(25, 18),
    }
    command = state.roles["incident_commander"].history
    assert [(t.person, t.since, t.until) for t in command] == [
        ("Carol", utc(25, 14, 30), utc(25, 16)),
        ("Alice", utc(25, 16), utc(25, 17, 30)),
    ]
    assert state.roles["incident_commander"].holder is None and state.roles["scribe"].holder is None
    assert state.severity_history == [("SEV2", utc(25, 14, 30))]


def test_two_past_incidents_give_the_true_figures(alex: Replica, policy: Policy) -> None:
    record(alex, FIRST)
    record(alex, SECOND, OTHER_ID)
    rows = []
    for incident_id in (INCIDENT_ID, OTHER_ID):
        s = alex.state(incident_id)
        started = s.started_at()
        assert started is not None
        rows.append(Row(incident_id, s.reference, s.title, s.severity, tuple(s.services), s.drill, to_ms(started)))
    report = build_report(Gathered(alex.now(), policy, rows, alex.known.values()), ReportFilter(), zone=BERLIN)
    first, second = report.facts
    assert first.times == {"detect": 10 * MIN, "acknowledge": 5 * MIN, "mitigate": 60 * MIN, "resolve": 90 * MIN}
    assert second.times == {"detect": 30 * MIN, "acknowledge": 35 * MIN, "mitigate": 150 * MIN, "resolve": 210 * MIN}
    overall = report.times[0].stages
    assert [overall[s].mean for s in ("detect", "acknowledge", "mitigate", "resolve")] == [
        20 * MIN,
        20 * MIN,
        105 * MIN,
        150 * MIN,
    ]
    assert report.in_severity == {"SEV2": 240 * MIN, "SEV3": 20 * MIN}
    assert (report.entered("SEV2"), report.entered("SEV3")) == (2, 1)
    # Berlin is an hour ahead: Alice's 16:00-17:30 UTC is 17:00-18:30 there, half an hour after work.
    assert [(x.name, x.working, x.off, x.incidents) for x in report.load] == [
        ("Dan", 150 * MIN, 30 * MIN, 1),
        ("Alice", 140 * MIN, 30 * MIN, 2),
        ("Carol", 90 * MIN, timedelta(0), 1),
        ("Bob", 45 * MIN, timedelta(0), 1),
    ]


def test_the_events_are_the_live_kinds_at_their_real_times(alex: Replica) -> None:
    drafts = record_past(INCIDENT_ID, FIRST, policy=alex.policy, now=alex.now())
    assert [(d.kind, d.occurred_at) for d in drafts] == [
        ("incident.declared", utc(24, 10, 10)),
        ("milestone.set", utc(24, 10)),
        ("milestone.set", utc(24, 10, 5)),
        ("role.assigned", utc(24, 10, 10)),
        ("role.assigned", utc(24, 10, 15)),
        ("severity.changed", utc(24, 10, 20)),
        ("role.assigned", utc(24, 11)),
        ("status.changed", utc(24, 11)),
        ("severity.changed", utc(24, 11, 20)),
        ("status.changed", utc(24, 11, 30)),
    ]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"resolved": utc(24, 9, 59)}, "cannot be before"),
        ({"acknowledged": None, "mitigated": None, "resolved": utc(24, 10, 5)}, "cannot be before declared"),
        ({"mitigated": utc(24, 11, 40)}, "resolved"),
        ({"detected": utc(24, 10, 20)}, "cannot be before detected"),
        ({"resolved": utc(30, 12), "closed": utc(30, 13)}, "in the future"),
        ({"severities": (SeveritySpan("SEV9", utc(24, 10)),)}, "unknown severity 'sev9'"),
        ({"severities": ()}, "give the severity"),
        ({"severities": (SeveritySpan("SEV2", utc(24, 10, 15)),)}, "declared with"),
        ({"severities": (SeveritySpan("SEV2", utc(24, 10)), SeveritySpan("SEV1", utc(24, 11, 45)))}, "outside"),
        ({"severities": (SeveritySpan("SEV2", utc(24, 10)), SeveritySpan("SEV2", utc(24, 11)))}, "twice"),
        ({"roles": (RoleSpan("Chef", "Alice", utc(24, 10, 10)),)}, "unknown role 'chef'"),
        ({"roles": (RoleSpan("IC", "Alice", utc(24, 9, 50)),)}, "outside the incident"),
        ({"roles": (RoleSpan("IC", "Alice", utc(24, 10, 10), utc(24, 11, 45)),)}, "outside the incident"),
        ({"roles": (RoleSpan("IC", "Alice", utc(24, 10, 30), utc(24, 10, 20)),)}, "ends before it starts"),
        ({"roles": (RoleSpan("IC", "Alice", utc(24, 10, 10)), RoleSpan("IC", "Bob", utc(24, 11)))}, "both hold"),
    ],
)
def test_a_wrong_account_is_refused_whole(alex: Replica, change: dict[str, object], fragment: str) -> None:
    with pytest.raises(DomainError) as refused:
        record_past(INCIDENT_ID, replace(FIRST, **change), policy=alex.policy, now=utc(28, 9, 30))  # type: ignore[arg-type]
    assert fragment.lower() in str(refused.value).lower()
