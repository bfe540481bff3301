"""Every rule a change is decided by, and the events each decision records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.policy import Policy
from commander.domain.core.when import iso
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentState, Status
from tests.helpers.replica import INCIDENT_ID, NOW, Replica

MIN = timedelta(minutes=1)


def kinds(events: list) -> list[str]:  # type: ignore[type-arg]
    return [e.kind for e in events]


# -- declaring ------------------------------------------------------------------------------------


def test_declare_records_the_incident_and_makes_the_declarer_commander(alex: Replica) -> None:
    events = alex.declare("  Checkout  API 502s ", "sev1", services=("checkout, payments",), summary="Users see 502")
    assert kinds(events) == ["incident.declared", "role.assigned"]
    assert events[0].payload == {
        "title": "Checkout API 502s",
        "severity": "SEV1",
        "services": ["checkout", "payments"],
        "summary": "Users see 502",
        "drill": False,
    }
    assert events[1].payload == {"role": "incident_commander", "person": "Alex", "previous": None}
    state = alex.state()
    assert state.declared and state.status is Status.INVESTIGATING
    assert state.milestones == {"declared": NOW, "detected": NOW, "acknowledged": NOW}
    assert state.roles["incident_commander"].holder == "Alex"


def test_declare_with_a_backdated_detection_and_another_commander(alex: Replica) -> None:
    detected = NOW - 18 * MIN
    events = alex.declare(detected_at=detected, commander="Sam", drill=True)
    assert kinds(events) == ["incident.declared", "milestone.set", "role.assigned"]
    assert events[1].payload == {"milestone": "detected", "at": iso(detected)}
    state = alex.state()
    assert state.milestones["detected"] == detected
    assert state.started_at() == detected
    assert state.drill
    assert state.roles["incident_commander"].holder == "Sam"


def test_declare_refuses_an_unknown_severity(alex: Replica) -> None:
    with pytest.raises(DomainError, match="Unknown severity 'SEV0'. Use one of: SEV1, SEV2, SEV3, SEV4."):
        alex.declare(severity="SEV0")


def test_declare_refuses_a_detection_in_the_future(alex: Replica) -> None:
    with pytest.raises(DomainError) as caught:
        alex.declare(detected_at=NOW + 10 * MIN)
    assert str(caught.value) == (
        "The detected time 2026-11-28 09:40:00 UTC is in the future "
        "(now is 2026-11-28 09:30:00 UTC). Give a time that has passed."
    )


def test_declare_refuses_an_empty_title(alex: Replica) -> None:
    with pytest.raises(DomainError, match="The title is empty"):
        alex.declare(title="  ")


def test_no_change_is_decided_on_an_undeclared_incident(alex: Replica) -> None:
    with pytest.raises(DomainError, match=r"^No incident INC-\w{8} has been declared\.$"):
        alex.act(lambda s: decisions.add_note(s, "hello", now=alex.now()))


# -- severity --------------------------------------------------------------------------------------


def test_change_severity_records_previous_and_reason(declared: Replica, policy: Policy) -> None:
    (event,) = declared.act(lambda s: decisions.change_severity(s, "sev1", reason="all regions", policy=policy))
    assert event.payload == {"severity": "SEV1", "previous": "SEV2", "reason": "all regions"}
    state = declared.state()
    assert state.severity == "SEV1"
    assert [key for key, _ in state.severity_history] == ["SEV2", "SEV1"]


def test_change_severity_refuses_unknown_and_same(declared: Replica, policy: Policy) -> None:
    with pytest.raises(DomainError, match="Unknown severity 'SEV9'"):
        declared.act(lambda s: decisions.change_severity(s, "SEV9", reason="", policy=policy))
    with pytest.raises(DomainError, match=r"^INC-\w{8} is already SEV2\.$"):
        declared.act(lambda s: decisions.change_severity(s, "sev2", reason="", policy=policy))


# -- status and the milestone chain ----------------------------------------------------------------


def test_status_changes_stamp_their_milestones(declared: Replica) -> None:
    declared.tick(10 * MIN)
    declared.act(lambda s: decisions.change_status(s, "Identified", now=declared.now()))
    declared.tick(10 * MIN)
    mitigated = declared.now()
    declared.act(lambda s: decisions.change_status(s, "mitigated", now=declared.now()))
    declared.tick(5 * MIN)
    resolved_at = declared.now() - 2 * MIN
    (event,) = declared.act(
        lambda s: decisions.change_status(s, "resolved", now=declared.now(), at=resolved_at, reason="error rate normal")
    )
    assert event.occurred_at == resolved_at
    assert event.payload == {"status": "resolved", "previous": "mitigated", "reason": "error rate normal"}
    state = declared.state()
    assert state.status is Status.RESOLVED and not state.is_open
    assert state.milestones["mitigated"] == mitigated
    assert state.milestones["resolved"] == resolved_at


def test_status_refuses_unknown_and_same(declared: Replica) -> None:
    with pytest.raises(
        DomainError, match="Unknown status 'fixed'. Use one of: investigating, identified, mitigated, resolved, closed."
    ):
        declared.act(lambda s: decisions.change_status(s, "fixed", now=declared.now()))
    with pytest.raises(DomainError, match=r"is already investigating\.$"):
        declared.act(lambda s: decisions.change_status(s, "investigating", now=declared.now()))


def test_status_refuses_a_time_in_the_future(declared: Replica) -> None:
    with pytest.raises(DomainError, match="The mitigated time 2026-11-28 09:40:00 UTC is in the future"):
        declared.act(lambda s: decisions.change_status(s, "mitigated", now=declared.now(), at=NOW + 10 * MIN))


def test_status_refuses_a_time_that_breaks_the_chain_naming_both_times(declared: Replica) -> None:
    declared.tick(20 * MIN)
    declared.act(lambda s: decisions.change_status(s, "mitigated", now=declared.now()))  # 09:50
    declared.tick(10 * MIN)
    with pytest.raises(DomainError) as caught:
        declared.act(lambda s: decisions.change_status(s, "resolved", now=declared.now(), at=NOW + 5 * MIN))
    assert str(caught.value) == (
        "Resolved (2026-11-28 09:35:00 UTC) cannot be before mitigated (2026-11-28 09:50:00 UTC). Check both times."
    )


def test_mitigation_cannot_be_backdated_before_detection(alex: Replica) -> None:
    alex.declare(detected_at=NOW - 30 * MIN)
    with pytest.raises(
        DomainError,
        match=r"Mitigated \(2026-11-28 08:50:00 UTC\) cannot be before detected "
        r"\(2026-11-28 09:00:00 UTC\)",
    ):
        alex.act(lambda s: decisions.change_status(s, "mitigated", now=alex.now(), at=NOW - 40 * MIN))


def test_reopening_clears_the_later_milestones_and_counts(declared: Replica) -> None:
    declared.tick(10 * MIN)
    declared.act(lambda s: decisions.change_status(s, "resolved", now=declared.now()))
    declared.tick(10 * MIN)
    declared.act(lambda s: decisions.change_status(s, "closed", now=declared.now()))
    assert {"resolved", "closed"} <= declared.state().milestones.keys()
    declared.tick(10 * MIN)
    declared.act(lambda s: decisions.change_status(s, "mitigated", now=declared.now(), reason="it came back"))
    state = declared.state()
    assert state.status is Status.MITIGATED and state.is_open
    assert state.reopened == 1
    assert "resolved" not in state.milestones and "closed" not in state.milestones
    assert state.milestones["mitigated"] == declared.now()
    # A second resolution may be earlier than the cleared one was: the old times no longer count.
    declared.tick(MIN)
    declared.act(lambda s: decisions.change_status(s, "resolved", now=declared.now()))
    declared.tick(MIN)
    declared.act(lambda s: decisions.change_status(s, "investigating", now=declared.now()))
    state = declared.state()
    assert state.reopened == 2
    assert "mitigated" not in state.milestones and "resolved" not in state.milestones


def test_moving_between_open_statuses_is_not_a_reopen(declared: Replica) -> None:
    declared.act(lambda s: decisions.change_status(s, "mitigated", now=declared.now()))
    declared.tick(MIN)
    declared.act(lambda s: decisions.change_status(s, "investigating", now=declared.now()))
    state = declared.state()
    assert state.reopened == 0
    assert "mitigated" not in state.milestones


# -- milestones ------------------------------------------------------------------------------------


def test_detection_can_be_backdated_after_declaring(declared: Replica) -> None:
    declared.tick(5 * MIN)
    (event,) = declared.act(lambda s: decisions.set_milestone(s, "Detected", NOW - 12 * MIN, now=declared.now()))
    assert event.payload == {"milestone": "detected", "at": iso(NOW - 12 * MIN)}
    assert event.occurred_at is not None
    assert declared.state().milestones["detected"] == NOW - 12 * MIN


def test_detection_after_declaring_is_refused(declared: Replica) -> None:
    declared.tick(15 * MIN)
    with pytest.raises(
        DomainError,
        match=r"Declared \(2026-11-28 09:30:00 UTC\) cannot be before detected "
        r"\(2026-11-28 09:40:00 UTC\)\. Check both times\.",
    ):
        declared.act(lambda s: decisions.set_milestone(s, "detected", NOW + 10 * MIN, now=declared.now()))


def test_milestone_rules(declared: Replica) -> None:
    with pytest.raises(
        DomainError,
        match="Unknown milestone 'fixed'. Use one of: detected, declared, acknowledged, mitigated, resolved, closed.",
    ):
        declared.act(lambda s: decisions.set_milestone(s, "fixed", NOW, now=declared.now()))
    with pytest.raises(DomainError, match=r"is not resolved yet\. Change its status to resolved"):
        declared.act(lambda s: decisions.set_milestone(s, "resolved", NOW, now=declared.now()))
    with pytest.raises(DomainError, match="The acknowledged time .* is in the future"):
        declared.act(lambda s: decisions.set_milestone(s, "acknowledged", NOW + 5 * MIN, now=declared.now()))


def test_a_reached_status_milestone_can_be_corrected(declared: Replica) -> None:
    declared.tick(30 * MIN)
    declared.act(lambda s: decisions.change_status(s, "mitigated", now=declared.now()))
    declared.act(lambda s: decisions.set_milestone(s, "mitigated", NOW + 20 * MIN, now=declared.now()))
    assert declared.state().milestones["mitigated"] == NOW + 20 * MIN


def test_the_chain_allows_acknowledging_before_declaring() -> None:
    decisions.check_chain({"detected": NOW - 9 * MIN, "acknowledged": NOW - 8 * MIN, "declared": NOW})
    with pytest.raises(DomainError, match="Closed"):
        decisions.check_chain({"declared": NOW, "closed": NOW - MIN})


# -- roles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("TL", "technical_lead"),
        ("technical lead", "technical_lead"),
        ("comms", "communications_lead"),
        ("Scribe", "scribe"),
    ],
)
def test_assign_a_role_by_alias(declared: Replica, policy: Policy, typed: str, key: str) -> None:
    (event,) = declared.act(lambda s: decisions.assign_role(s, typed, " Sam ", policy=policy))
    assert event.payload == {"role": key, "person": "Sam", "previous": None}
    assert declared.state().roles[key].holder == "Sam"


def test_handing_off_and_stepping_down(declared: Replica, policy: Policy) -> None:
    declared.tick(42 * MIN)
    (handoff,) = declared.act(lambda s: decisions.assign_role(s, "IC", "Kim", policy=policy))
    assert handoff.payload == {"role": "incident_commander", "person": "Kim", "previous": "Alex"}
    declared.tick(MIN)
    (cleared,) = declared.act(lambda s: decisions.assign_role(s, "IC", None, policy=policy))
    assert cleared.payload == {"role": "incident_commander", "person": None, "previous": "Kim"}
    slot = declared.state().roles["incident_commander"]
    assert slot.holder is None and slot.since is None
    assert [(t.person, t.until - t.since) for t in slot.history] == [("Alex", 42 * MIN), ("Kim", MIN)]  # type: ignore[operator]


def test_role_rules(declared: Replica, policy: Policy) -> None:
    with pytest.raises(
        DomainError,
        match=r"has no role 'Janitor'\. Roles: Incident Commander, Technical "
        r"Lead, Communications Lead, Scribe, Subject Matter Expert\. "
        r"Add a custom role first\.",
    ):
        declared.act(lambda s: decisions.assign_role(s, "Janitor", "Sam", policy=policy))
    with pytest.raises(DomainError, match=r"^Alex already holds Incident Commander\.$"):
        declared.act(lambda s: decisions.assign_role(s, "ic", "Alex", policy=policy))
    with pytest.raises(DomainError, match=r"^Scribe is already unfilled\.$"):
        declared.act(lambda s: decisions.assign_role(s, "scribe", None, policy=policy))
    with pytest.raises(DomainError, match="The person's name is empty"):
        declared.act(lambda s: decisions.assign_role(s, "scribe", "  \t", policy=policy))


def test_custom_roles(declared: Replica, policy: Policy) -> None:
    (added,) = declared.act(lambda s: decisions.add_role(s, " Customer Liaison ", "Talks to the big customer"))
    assert added.payload == {
        "role": "customer_liaison",
        "name": "Customer Liaison",
        "duty": "Talks to the big customer",
    }
    declared.act(lambda s: decisions.assign_role(s, "customer liaison", "Noor", policy=policy))
    slot = declared.state().roles["customer_liaison"]
    assert slot.custom and slot.holder == "Noor"
    with pytest.raises(DomainError, match="already has a role called customer liaison"):
        declared.act(lambda s: decisions.add_role(s, "customer liaison"))
    with pytest.raises(DomainError, match="already has a role called Scribe"):
        declared.act(lambda s: decisions.add_role(s, "Scribe"))
    with pytest.raises(DomainError, match="The role name is empty"):
        declared.act(lambda s: decisions.add_role(s, " "))


def test_key_roles_left_unfilled_are_reported(declared: Replica, policy: Policy) -> None:
    assert [slot.key for slot in declared.state().unfilled_key_roles(policy)] == ["communications_lead"]
    declared.act(lambda s: decisions.assign_role(s, "comms", "Kim", policy=policy))
    assert declared.state().unfilled_key_roles(policy) == []
    declared.act(lambda s: decisions.change_severity(s, "SEV1", reason="", policy=policy))
    declared.act(lambda s: decisions.assign_role(s, "ic", None, policy=policy))
    assert [slot.key for slot in declared.state().unfilled_key_roles(policy)] == ["incident_commander"]
    declared.act(lambda s: decisions.change_status(s, "resolved", now=declared.now()))
    assert declared.state().unfilled_key_roles(policy) == []  # a resolved incident asks nobody to fill a role


# -- notes and pins --------------------------------------------------------------------------------


def _note(replica: Replica, text: str = "Rolled back v2.31", **kw: object) -> str:
    (event,) = replica.act(lambda s: decisions.add_note(s, text, now=replica.now(), **kw))  # type: ignore[arg-type]
    return event.id


def test_add_note_backdated_and_pinned(declared: Replica) -> None:
    note_id = _note(declared, "  Saw errors in the\r\nlogs ", at=NOW - 3 * MIN, pinned=True)
    state = declared.state()
    note = state.notes[note_id]
    assert note.text == "Saw errors in the\nlogs"
    assert note.at == NOW - 3 * MIN and note.author.name == "Alex"
    assert state.is_pinned(note_id)


def test_add_note_refuses_empty_and_future(declared: Replica) -> None:
    with pytest.raises(DomainError, match="The note is empty"):
        _note(declared, "\n ")
    with pytest.raises(DomainError, match="The note time .* is in the future"):
        _note(declared, "later", at=NOW + MIN)
    _note(declared, "clock drift is tolerated", at=NOW + timedelta(seconds=4))


def test_edit_delete_restore_a_note(declared: Replica) -> None:
    note_id = _note(declared)
    assert declared.act(lambda s: decisions.edit_note(s, note_id, " Rolled back v2.31 ")) == []  # unchanged
    (edit,) = declared.act(lambda s: decisions.edit_note(s, note_id, "Rolled back v2.31 on all pods"))
    assert edit.payload == {"note": note_id, "text": "Rolled back v2.31 on all pods"}
    declared.act(lambda s: decisions.delete_note(s, note_id))
    note = declared.state().notes[note_id]
    assert note.deleted and note.deleted_by == "Alex"
    assert note.text == "Rolled back v2.31 on all pods"  # a deleted note is kept
    with pytest.raises(DomainError, match=r"^That note is already deleted\.$"):
        declared.act(lambda s: decisions.delete_note(s, note_id))
    declared.act(lambda s: decisions.restore_note(s, note_id))
    assert not declared.state().notes[note_id].deleted
    with pytest.raises(DomainError, match=r"^That note is not deleted\.$"):
        declared.act(lambda s: decisions.restore_note(s, note_id))


def test_note_changes_refuse_an_unknown_note(declared: Replica) -> None:
    for decide in (
        lambda s: decisions.edit_note(s, "nope", "x"),
        lambda s: decisions.delete_note(s, "nope"),
        lambda s: decisions.restore_note(s, "nope"),
    ):
        with pytest.raises(DomainError, match=r"^That note is not on this incident\.$"):
            declared.act(decide)


def test_pin_and_unpin_record_only_changes(declared: Replica) -> None:
    note_id = _note(declared)
    assert kinds(declared.act(lambda s: decisions.pin(s, note_id, True))) == ["entry.pinned"]
    assert declared.act(lambda s: decisions.pin(s, note_id, True)) == []
    assert declared.state().is_pinned(note_id)
    declared.act(lambda s: decisions.pin(s, note_id, False))
    assert not declared.state().is_pinned(note_id)


# -- details ---------------------------------------------------------------------------------------


def test_edit_details_records_only_what_changed(declared: Replica) -> None:
    state: IncidentState = declared.state()
    assert decisions.edit_details(state, title=" Checkout API returning 502s ", services=[]) == []
    (event,) = declared.act(
        lambda s: decisions.edit_details(
            s, title="Checkout and cart 502s", summary="EU only", services=["checkout, cart"]
        )
    )
    assert event.payload == {"title": "Checkout and cart 502s", "summary": "EU only", "services": ["checkout", "cart"]}
    state = declared.state()
    assert (state.title, state.summary, state.services) == ("Checkout and cart 502s", "EU only", ["checkout", "cart"])
    with pytest.raises(DomainError, match="The title is 201 characters long"):
        declared.act(lambda s: decisions.edit_details(s, title="t" * 201))


def test_decisions_do_not_touch_the_state_they_read(declared: Replica, policy: Policy) -> None:
    state = declared.state()
    before = (state.severity, state.status, dict(state.milestones), state.event_count)
    decisions.change_severity(state, "SEV1", reason="", policy=policy)
    decisions.change_status(state, "resolved", now=declared.now())
    assert (state.severity, state.status, dict(state.milestones), state.event_count) == before
    assert state.id == INCIDENT_ID
