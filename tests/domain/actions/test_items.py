"""Action items: defaults, the rules, a fold that converges whatever order events arrive in, overdue
first, and how they read on the timeline (snapshots included)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from commander.domain.actions import items as actions
from commander.domain.actions.items import ActionFilter, ActionItem, NewAction, create_action, fold_actions
from commander.domain.actions.trackers import add_tracker, fold_trackers, remove_tracker
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.incident import decisions, snapshot
from commander.domain.timeline.entries import IncidentView
from tests.helpers.replica import INCIDENT_ID, NOW, Replica, canonical, timeline_dump

BERLIN = ZoneInfo("Europe/Berlin")


def add(replica: Replica, form: NewAction) -> ActionItem:
    [event] = replica.act(lambda s: create_action(s, form, now=replica.now(), zone=BERLIN))
    return items(replica)[event.id]


def items(replica: Replica) -> dict[str, ActionItem]:
    return fold_actions(replica.known.values())


def change(replica: Replica, item: ActionItem, **changes: object) -> list[Event]:
    return [replica.stamp(draft) for draft in actions.update_action(items(replica)[item.id], changes)]


def test_defaults_due_a_week_after_creation_priority_p3(declared: Replica) -> None:
    item = add(declared, NewAction("Alert on consumer lag"))
    assert item.due == date(2026, 12, 5) and item.priority == "P3" and item.type == "prevent"
    assert item.status == "open" and item.source == "manual" and item.owner == "" and item.created_by == "Alex"
    assert item.incident_id == INCIDENT_ID and item.reference.startswith("ACT-") and len(item.reference) == 10


def test_a_resolved_incident_dates_its_items_a_week_after_resolution(declared: Replica) -> None:
    declared.act(lambda s: decisions.change_status(s, "resolved", now=declared.now()))
    declared.tick(timedelta(days=3))  # the postmortem, three days on: still a week after resolution
    assert add(declared, NewAction("Fix the retry storm")).due == date(2026, 12, 5)


def test_the_due_day_is_the_persons_calendar_day(declared: Replica) -> None:
    declared.tick(timedelta(hours=14, minutes=45))  # 00:15 on 29 November in Berlin, still the 28th in UTC
    assert add(declared, NewAction("Late-night item")).due == date(2026, 12, 6)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (NewAction(""), "The title is empty"),
        (NewAction("x", priority="urgent"), "Use P1, P2, P3 or P4"),
        (NewAction("x", type="fix"), "Use prevent, detect, mitigate or process"),
        (NewAction("x" * 201), "limit is 200"),
    ],
)
def test_a_bad_item_is_refused_with_what_to_do(declared: Replica, form: NewAction, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        add(declared, form)


def test_priority_and_type_are_read_leniently(declared: Replica) -> None:
    item = add(declared, NewAction("x", priority="p1", type="Detect ", owner="  Sam ", team="Payments"))
    assert (item.priority, item.type, item.owner, item.team) == ("P1", "detect", "Sam", "Payments")


def test_an_undeclared_incident_takes_no_items(alex: Replica) -> None:
    with pytest.raises(DomainError, match="not been declared here yet"):
        add(alex, NewAction("x"))


def test_wont_do_needs_a_reason_and_reopening_clears_it(declared: Replica) -> None:
    item = add(declared, NewAction("Rewrite the proxy"))
    with pytest.raises(DomainError, match="Say why ACT-.* will not be done"):
        change(declared, item, status="wont_do")
    change(declared, item, status="won't do", reason="the proxy is being retired")
    assert (items(declared)[item.id].status, items(declared)[item.id].reason) == (
        "wont_do",
        "the proxy is being retired",
    )
    [reopened] = change(declared, item, status="open")
    assert reopened.payload["changes"] == {"status": "open", "reason": ""}


def test_a_change_to_nothing_is_refused(declared: Replica) -> None:
    item = add(declared, NewAction("x", owner="Sam"))
    change(declared, item, status="done")
    with pytest.raises(DomainError, match="is already done"):
        change(declared, item, status="done")
    with pytest.raises(DomainError, match="Nothing to change"):
        change(declared, item, owner="Sam")
    with pytest.raises(DomainError, match="has no field colour"):
        change(declared, item, colour="red")
    with pytest.raises(DomainError, match="not a date"):
        change(declared, item, due="next week")


def test_concurrent_changes_converge_field_by_field(policy: object) -> None:
    alex, sam = Replica(1, policy, name="Alex"), Replica(2, policy, name="Sam")  # type: ignore[arg-type]
    alex.declare()
    item = add(alex, NewAction("Alert on lag", owner="Alex"))
    sam.receive(alex.known.values())
    sam.tick(timedelta(seconds=1))
    one = change(alex, item, owner="Kim")
    two = change(sam, item, due=date(2026, 12, 24), priority="P1")
    three = change(sam, item, owner="Sam")  # later than Alex's by the clock: Sam's owner wins
    everything = list(alex.known.values()) + two + three
    for order in (everything, list(reversed(everything)), one + three + everything):
        folded = fold_actions(order)[item.id]
        assert (folded.owner, folded.due, folded.priority) == ("Sam", date(2026, 12, 24), "P1")


def test_a_change_before_its_creation_arrived_is_kept_for_later(declared: Replica) -> None:
    item = add(declared, NewAction("x"))
    [done] = change(declared, item, status="done")
    assert fold_actions([done]) == {}  # nothing to change yet: no crash
    assert fold_actions(declared.known.values())[item.id].status == "done"


def test_overdue_items_come_first_longest_overdue_at_the_top(declared: Replica) -> None:
    today = date(2026, 12, 10)
    late = add(declared, NewAction("late", due=date(2026, 12, 8)))
    add(declared, NewAction("later", due=date(2026, 12, 1), priority="P4"))
    soon = add(declared, NewAction("soon", due=date(2026, 12, 11), priority="P1"))
    finished = add(declared, NewAction("finished", due=date(2026, 11, 30)))
    change(declared, finished, status="done")
    shown = actions.ordered(items(declared).values(), today)
    assert [i.title for i in shown] == ["later", "late", "soon", "finished"]
    assert [i.title for i in shown if i.overdue(today)] == ["later", "late"]
    assert not items(declared)[soon.id].overdue(today) and late.overdue(today)
    assert [i.title for i in shown if ActionFilter(overdue_only=True).matches(i, today)] == ["later", "late"]


def test_an_item_done_in_its_tracker_is_not_overdue(declared: Replica) -> None:
    item = add(declared, NewAction("x", due=date(2026, 12, 1)))
    declared.stamp(actions.record_push(item, "ops-jira", "OPS-12", "https://x.atlassian.net/browse/OPS-12")[0])
    assert items(declared)[item.id].overdue(date(2026, 12, 10))
    declared.stamp(actions.record_refresh(items(declared)[item.id], "ops-jira", "Done", True)[0])
    fresh = items(declared)[item.id]
    assert not fresh.overdue(date(2026, 12, 10)) and fresh.status_label == "open, done in ops-jira"
    assert actions.record_refresh(fresh, "ops-jira", "Done", True) == []  # nothing new: nothing written
    assert len(actions.record_refresh(fresh, "ops-jira", "Reopened", False)) == 1


def test_filters_by_owner_team_incident_type_and_status(declared: Replica) -> None:
    today = date(2026, 11, 28)
    add(declared, NewAction("a", owner="Sam", team="Payments", type="detect"))
    b = add(declared, NewAction("b"))
    change(declared, b, status="done")
    every = list(items(declared).values())

    def titles(wanted: ActionFilter) -> list[str]:
        return sorted(i.title for i in every if wanted.matches(i, today))

    assert titles(ActionFilter()) == ["a"]
    assert titles(ActionFilter(status=None)) == ["a", "b"]
    assert titles(ActionFilter(owner="sam")) == ["a"] and titles(ActionFilter(owner="", status=None)) == ["b"]
    assert titles(ActionFilter(team="payments", type="detect", incident_id=INCIDENT_ID)) == ["a"]
    assert titles(ActionFilter(type="process")) == []


def test_an_item_is_found_by_its_reference_or_id(declared: Replica) -> None:
    item = add(declared, NewAction("x"))
    found = items(declared)
    assert actions.find_action(found, item.reference).id == item.id
    assert actions.find_action(found, item.reference.lower().removeprefix("act-")[:4]).id == item.id
    assert actions.find_action(found, item.id).id == item.id
    with pytest.raises(DomainError, match="No action item matches 'ACT-ZZZZZZ'"):
        actions.find_action(found, "ACT-ZZZZZZ")
    add(declared, NewAction("y"))
    with pytest.raises(DomainError, match="matches 2 action items"):
        actions.find_action(items(declared), "ACT-")


def test_due_days_as_people_type_them() -> None:
    today = date(2026, 11, 28)
    assert actions.parse_due("2026-12-24", today) == date(2026, 12, 24)
    assert actions.parse_due("7d", today) == date(2026, 12, 5)
    assert actions.parse_due("+2w", today) == date(2026, 12, 12)
    with pytest.raises(DomainError, match="such as 2026-12-05, or 7d or 2w"):
        actions.parse_due("friday", today)


def test_every_action_event_reads_well_on_the_timeline(declared: Replica, policy: object) -> None:
    item = add(declared, NewAction("Alert on consumer lag", owner="Sam", type="detect", priority="P2"))
    change(declared, item, title="Alert on consumer lag > 1 min", due=date(2026, 12, 24))
    change(declared, item, owner="")
    declared.stamp(actions.record_push(items(declared)[item.id], "ops-jira", "OPS-12", "https://x/OPS-12")[0])
    declared.stamp(actions.record_refresh(items(declared)[item.id], "ops-jira", "Done", True)[0])
    change(declared, item, status="done")
    change(declared, item, status="open")
    change(declared, item, status="wont_do", reason="replaced by the SLO alert")
    view = IncidentView(INCIDENT_ID, policy)  # type: ignore[arg-type]
    view.load(declared.known.values())
    lines = [e.text for e in view.entries if e.category == "action"]
    assert lines == [
        "Action item: Alert on consumer lag (Sam, due 2026-12-05, P2, detect)",
        "Action item renamed: Alert on consumer lag > 1 min (due → 2026-12-24)",
        "Action item changed: Alert on consumer lag > 1 min (owner → none)",
        "Action item pushed to ops-jira as OPS-12: Alert on consumer lag > 1 min",
        "Action item is Done in ops-jira: Alert on consumer lag > 1 min",
        "Action item done: Alert on consumer lag > 1 min",
        "Action item reopened: Alert on consumer lag > 1 min",
        "Action item will not be done: Alert on consumer lag > 1 min (replaced by the SLO alert)",
    ]


def test_a_snapshot_keeps_the_titles_the_timeline_needs(declared: Replica, policy: object) -> None:
    item = add(declared, NewAction("Alert on consumer lag"))
    view = IncidentView(INCIDENT_ID, policy)  # type: ignore[arg-type]
    view.load(declared.known.values())
    saved = json.loads(json.dumps(snapshot.dump(view)))
    restored = snapshot.restore(INCIDENT_ID, saved, policy, view.time_format, lambda: list(declared.known.values()))  # type: ignore[arg-type]
    assert restored is not None and restored.state.action_titles == {item.id: "Alert on consumer lag"}
    later = change(declared, item, status="done")
    restored.apply(later)
    view.apply(later)
    assert timeline_dump(restored.entries) == timeline_dump(view.entries)
    assert restored.entries[-1].text == "Action item done: Alert on consumer lag"
    assert canonical(restored.state) == canonical(view.state)


def test_trackers_are_settings_checked_by_kind() -> None:
    with pytest.raises(DomainError, match="Unknown tracker kind 'trello'. Use one of: jira, github, linear, asana"):
        add_tracker({}, "trello", "x", {})
    with pytest.raises(DomainError, match="needs site and email and project"):
        add_tracker({}, "jira", "ops", {})
    with pytest.raises(DomainError, match="repo must be owner/name"):
        add_tracker({}, "github", "gh", {"repo": "shop"})
    with pytest.raises(DomainError, match="no setting colour"):
        add_tracker({}, "linear", "lin", {"team": "t", "colour": "red"})
    with pytest.raises(DomainError, match="https://"):
        add_tracker({}, "jira", "ops", {"site": "acme.atlassian.net", "email": "a@b", "project": "OPS"})
    [added] = add_tracker({}, "asana", "Ops board", {"workspace": "1200"})
    events = [Event("1", "settings:trackers", added.kind, added.payload, None, 1, NOW, NOW, "c")]  # type: ignore[arg-type]
    known = fold_trackers(events)
    assert known["Ops board"].secret_name == "tracker:Ops board"
    with pytest.raises(DomainError, match="already a tracker called Ops board"):
        add_tracker(known, "asana", "Ops board", {"workspace": "1"})
    assert remove_tracker(known, "Ops board")[0].payload == {"name": "Ops board"}
    with pytest.raises(DomainError, match="No tracker called nope"):
        remove_tracker(known, "nope")


def test_the_reference_of_an_id_that_is_not_a_uuid() -> None:
    assert actions.action_reference("imported-item-42") == "ACT-ITEM42"
