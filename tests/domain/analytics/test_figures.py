"""Incident analytics: each edge case with exact figures (times from the start, open and reopened incidents,
backdated milestones, several severity changes, update punctuality, responder load, action items, noise)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commander.domain.analytics.figures import (
    Gathered,
    Report,
    ReportFilter,
    build_report,
    count_by_month,
    working_time,
)
from commander.domain.analytics.formats import to_csv, to_json
from commander.domain.core.clock import to_ms
from commander.domain.core.events import Event, EventDraft, incident_stream
from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentState, fold
from commander.domain.updates import timers
from tests.helpers.replica import INCIDENT_ID, NOW, Replica

BERLIN = ZoneInfo("Europe/Berlin")
MIN = timedelta(minutes=1)
OTHER_ID = "0196f0c2-7a10-7c3e-9b1d-5f2a8e4c6d02"


@dataclass(frozen=True)
class Row:
    """A row of the incident list, as the projection would write it from the fold."""

    id: str
    reference: str
    title: str
    severity: str
    services: tuple[str, ...]
    drill: bool
    started_at_ms: int | None


def state_of(r: Replica, incident_id: str) -> IncidentState:
    """One incident's state (Replica.state folds every event it holds, whatever the stream)."""
    return fold(incident_id, [e for e in r.known.values() if e.stream == incident_stream(incident_id)], r.policy)


def act(r: Replica, decide: Callable[[IncidentState], list[EventDraft]], incident_id: str = INCIDENT_ID) -> None:
    for draft in decide(state_of(r, incident_id)):
        r.stamp(draft)


def rows_of(r: Replica, *incident_ids: str) -> list[Row]:
    rows = []
    for incident_id in incident_ids or (INCIDENT_ID,):
        s = state_of(r, incident_id)
        started = s.started_at()
        rows.append(
            Row(
                incident_id,
                s.reference,
                s.title,
                s.severity,
                tuple(s.services),
                s.drill,
                to_ms(started) if started else None,
            )
        )
    return rows


def report(
    r: Replica,
    policy: Policy,
    *incident_ids: str,
    filters: ReportFilter | None = None,
    now: datetime | None = None,
    extra: Iterable[Event] = (),
) -> Report:
    gathered = Gathered(now or r.now(), policy, rows_of(r, *incident_ids), [*r.known.values(), *extra])
    return build_report(gathered, filters or ReportFilter(), zone=BERLIN)


def status(r: Replica, value: str, incident_id: str = INCIDENT_ID, at: datetime | None = None) -> None:
    act(r, lambda s: decisions.change_status(s, value, now=r.now(), at=at), incident_id)


def test_each_time_counts_from_the_start(alex: Replica, policy: Policy) -> None:
    alex.declare(detected_at=NOW - 10 * MIN)  # detected 09:20, declared 09:30
    alex.tick(5 * MIN)
    act(alex, lambda s: decisions.set_milestone(s, "acknowledged", NOW + 3 * MIN, now=alex.now()))
    alex.tick(25 * MIN)
    status(alex, "mitigated")  # 10:00
    alex.tick(30 * MIN)
    status(alex, "resolved")  # 10:30
    facts = report(alex, policy).facts[0]
    assert facts.times == {"detect": 10 * MIN, "acknowledge": 13 * MIN, "mitigate": 40 * MIN, "resolve": 70 * MIN}
    assert not facts.open and facts.reopened == 0


def test_an_open_incident_counts_up_to_now_and_stays_out_of_time_to_resolve(alex: Replica, policy: Policy) -> None:
    alex.declare()
    alex.tick(60 * MIN)
    status(alex, "resolved")  # resolved after an hour
    alex.declare("Search is slow", incident_id=OTHER_ID)  # 10:30, still open
    alex.tick(20 * MIN)
    status(alex, "mitigated", OTHER_ID)
    alex.tick(100 * MIN)  # now 12:30
    r = report(alex, policy, INCIDENT_ID, OTHER_ID)
    still_open = next(f for f in r.facts if f.id == OTHER_ID)
    assert still_open.open and still_open.times["resolve"] is None and still_open.times["mitigate"] == 20 * MIN
    assert still_open.age(alex.now()) == 120 * MIN
    overall = r.times[0]
    assert (overall.incidents, overall.open) == (2, 1)
    assert overall.stages["resolve"].count == 1 and overall.stages["resolve"].mean == 60 * MIN
    assert overall.stages["mitigate"].count == 2 and overall.stages["mitigate"].mean == 40 * MIN  # (60 + 20) / 2
    assert r.in_severity == {"SEV2": 60 * MIN + 120 * MIN}  # the open one counts up to now


def test_a_reopened_incident_is_resolved_at_its_last_resolution(alex: Replica, policy: Policy) -> None:
    alex.declare()  # 09:30
    alex.tick(30 * MIN)
    status(alex, "mitigated")  # 10:00
    alex.tick(30 * MIN)
    status(alex, "resolved")  # 10:30
    alex.tick(30 * MIN)
    status(alex, "investigating")  # 11:00: back, the mitigation undone
    alex.tick(45 * MIN)
    status(alex, "resolved")  # 11:45
    facts = report(alex, policy).facts[0]
    assert facts.reopened == 1 and not facts.open
    assert facts.times["resolve"] == 135 * MIN and facts.times["mitigate"] == 135 * MIN
    assert facts.in_severity == {"SEV2": 60 * MIN + 45 * MIN}  # the half hour it was resolved is not counted
    alex.tick(5 * MIN)
    status(alex, "investigating")  # reopened again and open now
    facts = report(alex, policy).facts[0]
    assert facts.open and facts.reopened == 2 and facts.times["resolve"] is None


def test_backdated_milestones_move_the_times(alex: Replica, policy: Policy) -> None:
    alex.declare()  # detected = declared = 09:30
    alex.tick(20 * MIN)
    act(alex, lambda s: decisions.set_milestone(s, "detected", NOW - 25 * MIN, now=alex.now()))  # really 09:05
    alex.tick(50 * MIN)  # 10:40
    status(alex, "resolved", at=NOW + 50 * MIN)  # said to be resolved at 10:20
    facts = report(alex, policy).facts[0]
    assert facts.start == NOW - 25 * MIN
    assert facts.times["detect"] == 25 * MIN and facts.times["resolve"] == 75 * MIN
    alex.tick(5 * MIN)
    act(alex, lambda s: decisions.set_milestone(s, "resolved", NOW + 40 * MIN, now=alex.now()))  # no, 10:10
    facts = report(alex, policy).facts[0]
    assert facts.times["resolve"] == 65 * MIN
    assert facts.in_severity == {"SEV2": 40 * MIN}  # declared 09:30 to the resolution at 10:10


def test_time_in_each_severity_sums_every_change(alex: Replica, policy: Policy) -> None:
    alex.declare(severity="SEV3")  # 09:30
    for minutes, severity in ((15, "SEV1"), (30, "SEV2"), (5, "SEV1")):
        alex.tick(minutes * MIN)
        act(alex, lambda s, severity=severity: decisions.change_severity(s, severity, reason="", policy=policy))
    alex.tick(30 * MIN)
    status(alex, "resolved")  # 10:50
    r = report(alex, policy)
    assert r.facts[0].in_severity == {"SEV3": 15 * MIN, "SEV1": 30 * MIN + 30 * MIN, "SEV2": 5 * MIN}
    assert r.in_severity == {"SEV1": 60 * MIN, "SEV2": 5 * MIN, "SEV3": 15 * MIN}  # in the policy's order
    assert list(r.in_severity) == ["SEV1", "SEV2", "SEV3"]
    assert (r.entered("SEV1"), r.entered("SEV4")) == (1, 0)
    assert r.facts[0].severity == "SEV1" and r.monthly.counts["2026-11"] == {"SEV1": 1}


def test_update_punctuality_judges_each_due_time_once(alex: Replica, policy: Policy) -> None:
    alex.declare()  # SEV2: first update 09:35, then every 30 min

    def send(minutes: int) -> None:
        alex.tick(minutes * MIN)
        act(alex, lambda s: timers.record_update(s, "#incidents", "", now=alex.now()))

    send(4)  # 09:34, due 09:35: on time
    alex.tick(timedelta(seconds=30))  # the same update reaching a second place
    alex.stamp(
        EventDraft(incident_stream(INCIDENT_ID), "update.delivered", {"delivery": "d-1", "destination": "status page"})
    )
    send(36)  # 10:10:30, due 10:04:30: late
    alex.tick(20 * MIN)  # due 10:40:30, snoozed 15 min to 10:55:30
    act(alex, lambda s: timers.snooze(s, policy, 15, "waiting for the vendor", now=alex.now()))
    send(20)  # 10:50:30: on time, thanks to the snooze
    alex.tick(35 * MIN)
    status(alex, "resolved")  # 11:25:30, due 11:20:30, never sent: missed
    p = report(alex, policy).punctuality
    assert (p.on_time, p.late, p.missed, p.due) == (2, 1, 1, 4)
    assert p.share == 0.5


def test_an_open_incident_has_missed_an_update_only_once_it_is_past_due(alex: Replica, policy: Policy) -> None:
    alex.declare(severity="SEV1")  # first update due 09:35
    alex.tick(4 * MIN)
    assert report(alex, policy).punctuality.due == 0  # not due yet: nothing to judge
    alex.tick(2 * MIN)
    assert report(alex, policy).punctuality.missed == 1


def test_responder_load_splits_working_hours_and_counts_a_person_once(policy: Policy) -> None:
    friday = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 16:30 in Berlin
    r = Replica(1, policy, start=friday)
    r.declare(commander="Alex")
    act(r, lambda s: decisions.assign_role(s, "scribe", "Alex", policy=policy))  # two roles, the same hours
    r.tick(30 * MIN)
    act(r, lambda s: decisions.assign_role(s, "TL", "Sam", policy=policy))  # 17:00
    r.tick(150 * MIN)
    status(r, "resolved")  # 19:30 in Berlin; roles stay filled after
    r.tick(600 * MIN)
    load = {x.name: x for x in report(r, policy).load}
    assert (load["Alex"].working, load["Alex"].off, load["Alex"].incidents) == (90 * MIN, 90 * MIN, 1)
    assert (load["Sam"].working, load["Sam"].off) == (60 * MIN, 90 * MIN)
    assert [x.name for x in report(r, policy).load] == ["Alex", "Sam"]  # most hours first


def test_working_hours_follow_the_zone_across_a_clock_change() -> None:
    friday = datetime(2026, 10, 23, 6, 0, tzinfo=UTC)  # summer time: 09:00 Berlin is 07:00 UTC
    monday = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)  # winter time: 09:00 Berlin is 08:00 UTC
    assert working_time(friday, monday, BERLIN) == timedelta(hours=9 + 4)


def _action(r: Replica, title: str, due: date, incident_id: str = INCIDENT_ID) -> str:
    return r.stamp(
        EventDraft(
            incident_stream(incident_id),
            "action.created",
            {
                "title": title,
                "owner": "Sam",
                "due": due.isoformat(),
                "priority": "P3",
                "type": "prevent",
                "source": "manual",
                "finding": "",
            },
        )
    ).id


def _update_action(r: Replica, action: str, **changes: str) -> None:
    r.stamp(EventDraft(incident_stream(INCIDENT_ID), "action.updated", {"action": action, "changes": changes}))


def test_action_items_completion_and_overdue(alex: Replica, policy: Policy) -> None:
    alex.declare()
    alex.declare("A drill", incident_id=OTHER_ID, drill=True)
    assert report(alex, policy).actions is None  # none yet
    today = NOW.date()
    _action(alex, "Add an alert on pool saturation", today - timedelta(days=1))
    done = _action(alex, "Raise the pool size", today + timedelta(days=3))
    _update_action(alex, done, status="done")
    dropped = _action(alex, "Rewrite the service", today - timedelta(days=9))
    _update_action(alex, dropped, status="wont_do", reason="not worth it")
    tracked = _action(alex, "Runbook for failover", today - timedelta(days=2))
    alex.stamp(
        EventDraft(
            incident_stream(INCIDENT_ID),
            "action.refreshed",
            {"action": tracked, "tracker": "jira", "external_status": "Done", "done": True},
        )
    )
    _action(alex, "On the drill", today - timedelta(days=5), incident_id=OTHER_ID)  # drills are left out
    a = report(alex, policy, INCIDENT_ID, OTHER_ID).actions
    assert a is not None
    assert (a.total, a.open, a.done, a.wont_do, a.overdue) == (4, 1, 2, 1, 1)
    assert a.completion == pytest.approx(2 / 3)
    with_drills = report(alex, policy, INCIDENT_ID, OTHER_ID, filters=ReportFilter(include_drills=True)).actions
    assert with_drills is not None and (with_drills.total, with_drills.overdue) == (5, 2)


def test_noise_counts_marks_on_the_chosen_incidents_and_outside_any_in_the_range(alex: Replica, policy: Policy) -> None:
    alex.declare(services=("checkout",))
    alex.declare("Search is slow", incident_id=OTHER_ID, services=("search",))
    assert report(alex, policy, INCIDENT_ID, OTHER_ID).noise is None

    def mark(stream: str, name: str, at: datetime | None = None) -> None:
        alex.stamp(
            EventDraft(
                stream,
                "alert.noise",
                {"source": "am", "fingerprint": name.lower(), "name": name, "reason": "flapping"},
                at,
            )
        )

    mark(incident_stream(INCIDENT_ID), "HighCPU")
    mark(incident_stream(OTHER_ID), "HighCPU")
    mark("settings:alerts", "DiskFull")
    mark("settings:alerts", "DiskFull", NOW - timedelta(days=40))  # before the range
    since = ReportFilter(since=NOW - timedelta(days=7))
    n = report(alex, policy, INCIDENT_ID, OTHER_ID, filters=since).noise
    assert n is not None and (n.total, n.by_name) == (3, (("HighCPU", 2), ("DiskFull", 1)))
    only = ReportFilter(since=NOW - timedelta(days=7), services=frozenset({"Checkout"}))  # any case
    n = report(alex, policy, INCIDENT_ID, OTHER_ID, filters=only).noise
    assert n is not None and (n.total, n.by_name) == (1, (("HighCPU", 1),))


def test_filters_and_monthly_counts_with_the_gaps_filled(policy: Policy) -> None:
    september = Replica(1, policy, start=datetime(2026, 9, 10, 12, 0, tzinfo=UTC))
    september.declare(severity="SEV1", services=("checkout",))
    rows = [
        *rows_of(september),
        Row(OTHER_ID, "INC-2", "Later", "SEV3", ("search",), False, to_ms(datetime(2026, 11, 2, tzinfo=UTC))),
        Row("drill", "INC-3", "Drill", "SEV3", ("search",), True, to_ms(datetime(2026, 11, 3, tzinfo=UTC))),
    ]
    everything = ReportFilter(since=datetime(2026, 8, 1, tzinfo=BERLIN), until=datetime(2026, 12, 1, tzinfo=BERLIN))
    m = count_by_month(rows, everything, policy=policy, zone=BERLIN, now=NOW)
    assert m.months == ("2026-08", "2026-09", "2026-10", "2026-11")
    assert m.counts == {"2026-08": {}, "2026-09": {"SEV1": 1}, "2026-10": {}, "2026-11": {"SEV3": 1}}
    assert m.severities == ("SEV1", "SEV2", "SEV3", "SEV4") and m.total == 2
    drills = ReportFilter(include_drills=True, severities=frozenset({"SEV3"}))
    assert count_by_month(rows, drills, policy=policy, zone=BERLIN, now=NOW).total == 2
    assert not ReportFilter(until=datetime(2026, 11, 2, tzinfo=UTC)).admits(rows[1])  # the end is not included


def test_csv_and_json_carry_the_same_figures(alex: Replica, policy: Policy) -> None:
    alex.declare(services=("=cmd|' /C calc'!A0",))
    alex.tick(90 * MIN)
    status(alex, "resolved")
    r = report(alex, policy)
    rows = list(csv.DictReader(io.StringIO(to_csv(r), newline="")))
    resolve = next(
        row for row in rows if (row["section"], row["group"], row["measure"]) == ("times", "all", "resolve_mean")
    )
    assert (resolve["value"], resolve["unit"]) == ("90.0", "minutes")
    service = next(row for row in rows if row["dimension"] == "service")
    assert service["group"].startswith("'=")  # a spreadsheet will not run it
    document = to_json(r)
    assert document["times"][0]["resolve"] == {"count": 1, "mean_seconds": 5400.0, "median_seconds": 5400.0}
    assert document["incidents"] == {"total": 1, "open": 0, "reopened": 0}
    assert document["action_items"] is None and document["noise"] is None
