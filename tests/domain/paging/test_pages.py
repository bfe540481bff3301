"""Paging and escalation: levels, delays and repeats; acknowledging or resolving stops it; two consoles that
escalate at once write one set of events; the timeline's words; pagers' settings."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, incident_stream
from commander.domain.core.when import iso
from commander.domain.incident import decisions
from commander.domain.oncall.format import schedule_from_dict
from commander.domain.oncall.schedules import EscalationLevel, EscalationPolicy, Responder, Schedule, Target
from commander.domain.paging import pagers
from commander.domain.paging import pages as paging
from commander.domain.timeline.entries import IncidentView
from tests.helpers.replica import INCIDENT_ID, NOW, Replica, default_policy

POLICY = default_policy()
MIN = timedelta(minutes=1)
PRIMARY = schedule_from_dict(
    {
        "name": "Payments primary",
        "time_zone": "UTC",
        "layers": [
            {
                "name": "Weekly",
                "rotation": "weekly",
                "handoff": "09:00",
                "start": "2026-11-23",
                "participants": ["Sam", "Kim"],
            }
        ],
    }
)  # Sam's week from Monday 23 November: Sam on 28 November
SCHEDULES: dict[str, Schedule] = {"payments primary": PRIMARY}
PAYMENTS = EscalationPolicy(
    "Payments",
    (
        EscalationLevel((Target("schedule", "Payments primary"),), 15),
        EscalationLevel((Target("person", "Morgan"), Target("person", "Lee")), 30),
    ),
    repeat=1,
)


def start(r: Replica, policy: EscalationPolicy = PAYMENTS) -> list[Event]:
    responders = [Responder("Sam", "Payments primary")]
    return r.act(
        lambda s: paging.page_service(s, policy, responders, service="payments", pager="PagerDuty", now=r.now())
    )


def escalate_due(
    r: Replica, policy: EscalationPolicy | None = PAYMENTS, schedules: dict[str, Schedule] | None = None
) -> list[Event]:
    state = r.state()
    found = SCHEDULES if schedules is None else schedules
    drafts = [d for run in paging.due_runs(state, r.now()) for d in paging.escalate(state, run, policy, found)]
    return [r.stamp(draft) for draft in drafts]


def outcome(r: Replica, kind: str, payload: dict[str, str]) -> None:
    r.stamp(EventDraft(incident_stream(INCIDENT_ID), kind, payload))


def texts(r: Replica) -> list[str]:
    view = IncidentView(INCIDENT_ID, POLICY, iso)
    view.load(list(r.known.values()))
    return [entry.text for entry in view.entries if entry.category == "paging"]


def test_paging_a_service_pages_its_first_level_and_starts_a_run(declared: Replica) -> None:
    [sent] = start(declared)
    assert sent.kind == "page.sent" and sent.payload["page"] == sent.id == sent.payload["run"]
    assert sent.payload | {"page": "", "run": ""} == {
        "page": "",
        "target": "Sam",
        "via": "Payments primary",
        "service": "payments",
        "level": 0,
        "round": 0,
        "pager": "PagerDuty",
        "dedup_key": f"commander/{INCIDENT_ID}/sam",
        "run": "",
        "after": 15,
    }
    state = declared.state()
    [run] = state.paging.runs.values()
    assert (run.service, run.current.level, run.current.at, run.current.due) == ("payments", 0, NOW, NOW + 15 * MIN)
    assert state.paging.pages[sent.id].state == "sent"
    assert paging.next_due(state) == NOW + 15 * MIN


def test_the_policy_escalates_level_by_level_then_repeats_then_stops(declared: Replica) -> None:
    r = declared
    start(r)
    r.tick(15 * MIN - timedelta(seconds=1))
    assert escalate_due(r) == []  # a second early: nothing
    r.tick(timedelta(seconds=1))
    escalated, *sent = escalate_due(r)
    assert escalated.kind == "page.escalated" and escalated.occurred_at == NOW + 15 * MIN
    assert escalated.payload["level"] == 1 and escalated.payload["targets"] == ["Morgan", "Lee"]
    assert escalated.payload["after"] == 30
    assert [(e.payload["target"], e.payload["level"], e.payload["after"]) for e in sent] == [
        ("Morgan", 1, 30),
        ("Lee", 1, 30),
    ]
    assert escalate_due(r) == []  # once
    steps = [(0, 0, 0)]  # (round, level, minutes after the first page)
    for _ in range(5):
        state = r.state()
        [run] = state.paging.runs.values()
        steps.append((run.current.round, run.current.level, int((run.current.at - NOW) / MIN)))
        due = paging.next_due(state)
        if due is None:
            break
        r.tick(due - r.now())
        escalate_due(r)
    assert steps == [(0, 0, 0), (0, 1, 15), (1, 0, 45), (1, 1, 60)]
    pages = r.state().paging.pages.values()
    sam = [p for p in pages if p.target == "Sam"]
    assert [p.dedup_key for p in sam] == [f"commander/{INCIDENT_ID}/sam", f"commander/{INCIDENT_ID}/sam/round-2"]
    assert [p.state for p in sam] == ["escalated to level 2", "escalated to level 2"]
    r.tick(2 * 60 * MIN)
    assert escalate_due(r) == []  # the last step of the last round waits for nothing


def test_acknowledging_any_page_of_the_run_stops_it(declared: Replica) -> None:
    r = declared
    [sam] = start(r)
    r.tick(15 * MIN)
    escalate_due(r)
    morgan = next(p for p in r.state().paging.pages.values() if p.target == "Morgan")
    r.tick(5 * MIN)
    [ack] = r.act(lambda s: paging.acknowledge(s, morgan.id[:13]))  # an unambiguous start of the id will do
    assert ack.payload == {"page": morgan.id, "by": "Morgan"}
    r.tick(3 * 60 * MIN)
    assert escalate_due(r) == [] and paging.next_due(r.state()) is None
    state = r.state()
    assert state.paging.pages[morgan.id].state == "acknowledged by Morgan"
    assert state.paging.pages[sam.id].state == "escalated to level 2"
    with pytest.raises(DomainError, match="Morgan acknowledged the page to Morgan already"):
        r.act(lambda s: paging.acknowledge(s, morgan.id))
    late = r.act(lambda s: paging.acknowledge(s, sam.id, "Kim"))  # Sam's page, answered by Kim
    assert late[0].payload["by"] == "Kim"


def test_resolving_the_incident_stops_escalation_and_resolves_every_page(declared: Replica) -> None:
    r = declared
    start(r)
    r.tick(10 * MIN)
    r.act(lambda s: decisions.change_status(s, "resolved", now=r.now()))
    r.tick(10 * MIN)
    assert paging.due_runs(r.state(), r.now()) == [] and paging.next_due(r.state()) is None
    resolved = r.act(paging.resolve)
    assert [e.kind for e in resolved] == ["page.resolved"]
    assert r.act(paging.resolve) == []  # nothing open any more
    with pytest.raises(DomainError, match="is resolved: nobody needs paging"):
        start(r)


def test_two_consoles_escalating_at_once_write_the_same_events() -> None:
    alex, sam = Replica(1, POLICY, name="Alex"), Replica(2, POLICY, name="Sam")
    alex.declare()
    start(alex)
    sam.receive(alex.known.values())
    alex.tick(16 * MIN)
    sam.tick(16 * MIN + timedelta(seconds=7))  # noticed a little later, on a clock of its own
    mine, theirs = escalate_due(alex), escalate_due(sam)
    assert [e.id for e in mine] == [e.id for e in theirs]
    assert [(e.occurred_at, dict(e.payload)) for e in mine] == [(e.occurred_at, dict(e.payload)) for e in theirs]
    alex.receive(sam.known.values())
    sam.receive(alex.known.values())
    assert len([e for e in alex.known.values() if e.kind == "page.escalated"]) == 1
    assert len(alex.state().paging.pages) == 3 == len(sam.state().paging.pages)
    assert texts(alex) == texts(sam)


def test_a_console_closed_through_several_delays_catches_up_a_level_at_a_time(declared: Replica) -> None:
    r = declared
    start(r)
    r.tick(2 * 60 * MIN)
    first = escalate_due(r)
    assert first[0].occurred_at == NOW + 15 * MIN  # stamped when it fell due, as every console would
    second = escalate_due(r)
    assert second[0].occurred_at == NOW + 45 * MIN and second[0].payload["round"] == 1


def test_a_level_with_nobody_on_call_is_noted_and_the_next_follows_after_its_delay(declared: Replica) -> None:
    r = declared
    nobody = EscalationPolicy(
        "Payments",
        (
            EscalationLevel((Target("person", "Sam"),), 10),
            EscalationLevel((Target("schedule", "Payments primary"),), 20),
            EscalationLevel((Target("person", "Morgan"),), 5),
        ),
    )
    start(r, nobody)
    r.tick(10 * MIN)
    [escalated] = escalate_due(r, nobody, schedules={})  # the schedule has nobody (it is not there at all)
    assert escalated.payload["targets"] == [] and escalated.payload["note"] == "nobody is on call at this level"
    r.tick(20 * MIN)
    _, morgan = escalate_due(r, nobody, schedules={})
    assert morgan.payload["target"] == "Morgan" and morgan.payload["level"] == 2
    assert texts(r)[1] == (
        "Nobody acknowledged in 10 min: payments escalated to level 2: nobody is on call at this "
        "level; the next level follows in 20 min"
    )


def test_a_service_that_lost_its_policy_stops_escalating_and_says_why(declared: Replica) -> None:
    r = declared
    start(r)
    r.tick(15 * MIN)
    [stopped] = escalate_due(r, policy=None)
    assert stopped.payload["after"] == 0 and stopped.payload["targets"] == []
    r.tick(60 * MIN)
    assert escalate_due(r, policy=None) == []
    assert texts(r)[-1] == "Escalation of payments stopped: payments has no escalation policy any more"


def test_a_page_to_a_person_does_not_escalate(declared: Replica) -> None:
    r = declared
    [sent] = r.act(lambda s: paging.page_person(s, " Dana ", pager="#oncall", now=r.now()))
    assert sent.payload["target"] == "Dana" and sent.payload["run"] == "" and sent.payload["after"] == 0
    r.tick(3 * 60 * MIN)
    assert paging.due_runs(r.state(), r.now()) == [] and r.state().paging.runs == {}


def test_what_paging_refuses(declared: Replica) -> None:
    r = declared
    with pytest.raises(DomainError, match="Nobody is on call at the first level of Payments for payments"):
        r.act(lambda s: paging.page_service(s, PAYMENTS, [], service="payments", pager="PagerDuty", now=r.now()))
    start(r)
    with pytest.raises(DomainError, match="payments is being paged already"):
        start(r)
    with pytest.raises(DomainError, match="No page 'zzz'"):
        r.act(lambda s: paging.acknowledge(s, "zzz"))
    with pytest.raises(DomainError, match="person to page"):
        r.act(lambda s: paging.page_person(s, "  ", pager="PagerDuty", now=r.now()))


def test_the_timeline_says_who_was_paged_what_came_back_and_who_answered(declared: Replica) -> None:
    r = declared
    [sent] = start(r)
    outcome(r, "page.delivered", {"page": sent.id, "detail": "PagerDuty accepted the page (Event processed)"})
    r.tick(15 * MIN)
    escalate_due(r)
    lee = next(p for p in r.state().paging.pages.values() if p.target == "Lee")
    outcome(r, "page.failed", {"page": lee.id, "reason": "PagerDuty refused the trigger as invalid"})
    r.act(lambda s: paging.acknowledge(s, sent.id))
    r.act(paging.resolve)
    assert texts(r) == [
        "Paged Sam through PagerDuty for payments (level 1, on call on Payments primary)",
        "Page to Sam delivered: PagerDuty accepted the page (Event processed)",
        "Nobody acknowledged in 15 min: payments escalated to level 2: paging Morgan, Lee",
        "Paged Morgan through PagerDuty for payments (level 2)",
        "Paged Lee through PagerDuty for payments (level 2)",
        "Page to Lee failed: PagerDuty refused the trigger as invalid",
        "Sam acknowledged the page (recorded by Alex)",
        "Page to Sam resolved",
        "Page to Morgan resolved",
    ]
    assert r.state().paging.pages[lee.id].state == "failed"  # it left nothing open to resolve


def test_paging_survives_a_snapshot(declared: Replica) -> None:
    r = declared
    start(r)
    r.tick(15 * MIN)
    escalate_due(r)
    state = r.state()
    saved = json.loads(json.dumps(paging.dump(state.paging)))
    assert paging.restore(saved) == state.paging


def test_a_page_with_no_answer_for_minutes_is_stuck_for_the_console_that_wrote_it(declared: Replica) -> None:
    r = declared
    [sent] = start(r)
    assert paging.stuck(r.state().paging, "console-1", r.now() + 2 * MIN) == []  # may still be sending
    [found] = paging.stuck(r.state().paging, "console-1", r.now() + 3 * MIN)
    assert found.id == sent.id
    assert paging.stuck(r.state().paging, "console-2", r.now() + 60 * MIN) == []  # another console's to send
    outcome(r, "page.delivered", {"page": sent.id, "detail": ""})
    assert paging.stuck(r.state().paging, "console-1", r.now() + 60 * MIN) == []
    r.tick(2 * 60 * MIN)  # closed for two hours: the escalation's pages are stamped when due, long ago...
    escalated = escalate_due(r)
    assert escalated[1].occurred_at == NOW + 15 * MIN
    assert paging.stuck(r.state().paging, "console-1", r.now()) == []  # ...but were written just now


def test_dedup_keys_are_stable_and_within_pagerdutys_limit() -> None:
    assert paging.dedup_key("i", " Sam ") == paging.dedup_key("i", "sam") == "commander/i/sam"
    assert paging.dedup_key("i", "Sam", 2) == "commander/i/sam/round-3"
    long = paging.dedup_key("i", "x" * 400)
    assert len(long) <= 255 and long == paging.dedup_key("i", "X" * 400)


def test_our_severities_map_to_the_events_api_enum() -> None:
    assert [paging.pagerduty_severity(POLICY, s) for s in ("SEV1", "SEV2", "SEV3", "SEV4", "SEV9")] == [
        "critical",
        "error",
        "warning",
        "info",
        "info",
    ]


# -- pagers -------------------------------------------------------------------------------------------


def test_pagers_are_added_checked_and_removed() -> None:
    destinations = {"#oncall": "slack", "Status page": "statuspage"}
    [added] = pagers.add_pager({}, "PagerDuty", "PagerDuty", {}, destinations)
    assert added.payload == {"name": "PagerDuty", "kind": "pagerduty", "options": {}}
    [chat] = pagers.add_pager(
        {}, "chat", "#oncall", {"destination": "#oncall", "mention": "Sam=<@U1>, Alex=@alex"}, destinations
    )
    found = pagers.fold_pagers([Replica(1, POLICY).stamp(added), Replica(2, POLICY).stamp(chat)])
    assert found["#oncall"].mention("sam") == "<@U1>" and found["#oncall"].mention("Kim") is None
    with pytest.raises(DomainError, match="There is already a pager called PagerDuty"):
        pagers.add_pager(found, "pagerduty", "PagerDuty", {}, destinations)
    with pytest.raises(DomainError, match="No update destination called #gone"):
        pagers.add_pager({}, "chat", "x", {"destination": "#gone"}, destinations)
    with pytest.raises(DomainError, match="status page, which the public reads"):
        pagers.add_pager({}, "chat", "x", {"destination": "Status page"}, destinations)
    with pytest.raises(DomainError, match="A chat pager needs destination"):
        pagers.add_pager({}, "chat", "x", {}, destinations)
    with pytest.raises(DomainError, match="has no setting channel"):
        pagers.add_pager({}, "pagerduty", "x", {"channel": "c"}, destinations)
    with pytest.raises(DomainError, match="Unknown pager kind 'opsgenie'"):
        pagers.add_pager({}, "opsgenie", "x", {}, destinations)
    assert pagers.remove_pager(found, "PagerDuty")[0].payload == {"name": "PagerDuty"}
    with pytest.raises(DomainError, match="No pager called Nope"):
        pagers.remove_pager(found, "Nope")


def test_a_routing_key_is_32_letters_and_digits() -> None:
    assert pagers.check_routing_key(" e93facc04764012d7bfb002500d5d1a6\n") == "e93facc04764012d7bfb002500d5d1a6"
    with pytest.raises(DomainError, match=r"32 letters and digits \(got 8 characters\)"):
        pagers.check_routing_key("abc12345")


def test_the_only_pager_is_chosen_and_several_need_a_name() -> None:
    one = {"PagerDuty": pagers.PagerConfig("PagerDuty", "pagerduty", {})}
    assert pagers.choose(one, None).name == "PagerDuty"
    two = one | {"#oncall": pagers.PagerConfig("#oncall", "chat", {"destination": "#oncall"})}
    with pytest.raises(DomainError, match="Choose a pager: PagerDuty, #oncall"):
        pagers.choose(two, None)
    with pytest.raises(DomainError, match="No pager yet"):
        pagers.choose({}, None)
