"""On-call settings as events: the fold of `settings:oncall`, the decisions that write it, resolving a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft
from commander.domain.core.policy import Policy
from commander.domain.oncall.events import (
    OnCallSettings,
    add_override,
    export_document,
    fold_oncall,
    import_document,
    remove_override,
    remove_policy,
    remove_schedule,
    resolve_oncall,
    route_service,
    save_schedules,
)
from tests.helpers.replica import Replica

MONDAY = datetime(2026, 6, 1, 10, tzinfo=UTC)  # Alex's day on the daily rotation below

DOCUMENT: dict[str, Any] = {
    "schedules": [
        {
            "name": "Primary",
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "name": "Daily",
                    "rotation": "daily",
                    "handoff": "09:00",
                    "start": "2026-01-04",
                    "participants": ["Alex", "Sam"],
                }
            ],
        }
    ],
    "escalation_policies": [
        {
            "name": "Payments",
            "repeat": 0,
            "levels": [
                {"delay_minutes": 15, "targets": [{"schedule": "Primary"}]},
                {"delay_minutes": 30, "targets": [{"person": "Dana"}]},
            ],
        }
    ],
    "services": {"payments": "Payments"},
}


class Log:
    """One console writing on-call settings: decide against the fold, stamp, keep."""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.events: list[Event] = []

    @property
    def settings(self) -> OnCallSettings:
        return fold_oncall(self.events)

    def write(self, drafts: list[EventDraft]) -> list[Event]:
        stamped = [self.replica.stamp(d) for d in drafts]
        self.events += stamped
        self.replica.tick(timedelta(seconds=1))
        return stamped


@pytest.fixture
def log(policy: Policy) -> Log:
    made = Log(Replica(1, policy, name="Alex"))
    made.write(import_document(OnCallSettings(), DOCUMENT))
    return made


def test_an_import_saves_schedules_then_policies_then_services_and_a_second_one_changes_nothing(log: Log) -> None:
    assert [e.kind for e in log.events] == ["schedule.saved", "escalation.saved", "service.routed"]
    assert import_document(log.settings, DOCUMENT) == []
    assert export_document(log.settings) == DOCUMENT
    assert [(r.person, r.via) for r in resolve_oncall(log.settings, "Payments", MONDAY)] == [("Alex", "Primary")]
    assert [r.person for r in resolve_oncall(log.settings, "payments", MONDAY, level=1)] == ["Dana"]


def test_the_last_save_of_a_schedule_wins_and_removing_it_drops_its_overrides(log: Log) -> None:
    changed = {
        **DOCUMENT["schedules"][0],
        "layers": [{**DOCUMENT["schedules"][0]["layers"][0], "participants": ["Kim"]}],
    }
    log.write(save_schedules(log.settings, [changed]))
    assert log.settings.schedule("primary").layers[0].participants == ("Kim",)
    log.write(add_override(log.settings, "Primary", "Lee", MONDAY, MONDAY + timedelta(hours=2), now=MONDAY))
    assert len(log.settings.overrides()) == 1
    log.write(route_service(log.settings, "payments", ""))
    log.write(remove_policy(log.settings, "Payments"))
    log.write(remove_schedule(log.settings, "PRIMARY"))
    assert log.settings.schedules == {} and log.settings.overrides() == []
    log.write(save_schedules(log.settings, [changed]))
    assert log.settings.schedule("Primary").overrides == ()


def test_overrides_are_added_and_removed_by_id_prefix(log: Log) -> None:
    [event] = log.write(
        add_override(log.settings, "primary", " Lee ", MONDAY, MONDAY + timedelta(hours=8), covers="alex", now=MONDAY)
    )
    override = log.settings.override(event.id[:20])
    assert (override.schedule, override.person, override.covers, override.added_by) == (
        "Primary",
        "Lee",
        "alex",
        "Alex",
    )
    assert [r.person for r in resolve_oncall(log.settings, "payments", MONDAY)] == ["Lee"]
    log.write(remove_override(log.settings, event.id))
    assert log.settings.overrides() == []
    with pytest.raises(DomainError, match="No override 'nope'"):
        log.settings.override("nope")


@pytest.mark.parametrize(
    ("start", "end", "covers", "message"),
    [
        (MONDAY, MONDAY - timedelta(hours=1), "", "ends before it starts"),
        (MONDAY - timedelta(days=2), MONDAY - timedelta(days=1), "", "would already be over"),
        (MONDAY, MONDAY + timedelta(days=91), "", "at most 90 days"),
        (MONDAY, MONDAY + timedelta(hours=1), "lee", "cannot cover for themselves"),
    ],
)
def test_an_override_that_makes_no_sense_is_refused(
    log: Log, start: datetime, end: datetime, covers: str, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        add_override(log.settings, "Primary", "Lee", start, end, covers=covers, now=MONDAY)


def test_what_would_break_a_page_is_refused_with_what_to_do(log: Log) -> None:
    with pytest.raises(DomainError, match="'Payments' pages 'Primary'. Change or remove that policy first"):
        remove_schedule(log.settings, "Primary")
    with pytest.raises(DomainError, match=r"payments page through 'Payments'. Route them"):
        remove_policy(log.settings, "Payments")
    with pytest.raises(DomainError, match="pages the schedule 'Secondary', which does not exist"):
        import_document(
            log.settings,
            {"escalation_policies": [{"name": "Other", "levels": [{"targets": [{"schedule": "Secondary"}]}]}]},
        )
    with pytest.raises(DomainError, match="No escalation policy pages for the service 'search'"):
        resolve_oncall(log.settings, "search", MONDAY)
    with pytest.raises(DomainError, match="'teams' is not a section Commander knows"):
        import_document(log.settings, {"teams": []})
    with pytest.raises(DomainError, match="No on-call schedule 'Nope' \\(schedules: Primary\\)"):
        log.settings.schedule("Nope")
    assert route_service(log.settings, "payments", "payments") == []


def test_an_event_this_version_cannot_read_is_skipped_and_reported(log: Log) -> None:
    log.write(
        [
            EventDraft(
                "settings:oncall",
                "schedule.saved",
                {"schedule": {"name": "Future", "time_zone": "UTC", "layers": [], "colour": "red"}},
            )
        ]
    )
    assert list(log.settings.schedules) == ["primary"]
    assert len(log.settings.problems) == 1 and "'colour' is not a field" in log.settings.problems[0]


def test_two_consoles_folding_the_same_events_in_any_order_agree(log: Log, policy: Policy) -> None:
    kim = Log(Replica(2, policy, name="Kim"))
    kim.events = list(log.events)
    log.write(add_override(log.settings, "Primary", "Lee", MONDAY, MONDAY + timedelta(hours=2), now=MONDAY))
    kim.write(route_service(kim.settings, "checkout", "Payments"))
    merged = log.events + kim.events[len(log.events) - 1 :]
    assert fold_oncall(merged) == fold_oncall(list(reversed(merged)))
