"""The postmortem: exact figures from the log, who held each role, the first draft through the template, and
sections edited by several people at once without losing anyone's words."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from commander.domain.actions import items as actions
from commander.domain.checklists import checklists
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft
from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.incident.state import fold
from commander.domain.postmortem import record as pm
from commander.domain.postmortem.draft import (
    PostmortemTemplate,
    RunbookChange,
    check_template,
    exact_duration,
    facts,
    fold_templates,
    render_sections,
    save_template,
)
from commander.domain.timeline.entries import IncidentView
from commander.domain.updates import timers
from commander.domain.updates.templates import TemplateProblem
from tests.helpers.replica import INCIDENT_ID, NOW, Replica, default_policy

MIN = timedelta(minutes=1)
TEMPLATE = (Path(__file__).resolve().parents[3] / "commander" / "resources" / "postmortem" / "default.md.j2").read_text(
    encoding="utf-8"
)


def resolved_incident(policy: Policy) -> tuple[Replica, list[Event]]:
    """Detected 5 minutes before it was declared SEV2 at NOW by Priya; SEV1 at +10m; Sam takes over as IC at
    +20m; mitigated at +40m; SEV3 at +55m; resolved at +70m."""
    priya = Replica(1, policy, name="Priya Shah")
    events = priya.declare(
        detected_at=NOW - 5 * MIN,
        commander="Priya Shah",
        services=("checkout",),
        summary="Checkout fails for a third of customers",
    )
    steps = [
        (10, lambda s: decisions.change_severity(s, "SEV1", reason="every region", policy=policy)),
        (12, lambda s: decisions.add_note(s, "Deploy v2.31 went out at 09:25", now=priya.now(), pinned=True)),
        (15, lambda s: decisions.change_status(s, "identified", now=priya.now(), reason="Memory regression in v2.31")),
        (20, lambda s: decisions.assign_role(s, "ic", "Sam Okafor", policy=policy)),
        (25, lambda s: decisions.add_note(s, "TODO: alert on pod memory growth", now=priya.now())),
        (30, lambda s: decisions.add_note(s, "Rolled back to v2.30", now=priya.now(), pinned=True)),
        (40, lambda s: decisions.change_status(s, "mitigated", now=priya.now(), reason="Rollback complete")),
        (55, lambda s: decisions.change_severity(s, "SEV3", reason="contained", policy=policy)),
        (70, lambda s: decisions.change_status(s, "resolved", now=priya.now())),
    ]
    at = 0
    for minute, step in steps:
        priya.tick((minute - at) * MIN)
        at = minute
        events += priya.act(step)
    return priya, events


def view_of(events: list[Event], policy: Policy) -> IncidentView:
    view = IncidentView(INCIDENT_ID, policy)
    view.load(events)
    return view


@pytest.fixture
def incident(policy: Policy) -> IncidentView:
    return view_of(resolved_incident(policy)[1], policy)


def test_durations_are_exact_to_the_second() -> None:
    assert exact_duration(timedelta(seconds=45)) == "45s"
    assert exact_duration(timedelta(minutes=4, seconds=12)) == "4m 12s"
    assert exact_duration(timedelta(hours=1, minutes=2, seconds=13)) == "1h 02m 13s"
    assert exact_duration(timedelta(days=2, hours=3, minutes=4, seconds=5)) == "2d 3h 04m 05s"
    assert exact_duration(None) == "not reached"


def test_the_figures_are_computed_exactly_from_the_log(incident: IncidentView) -> None:
    found = facts(incident, now=NOW + 2 * 60 * MIN, zone=UTC, author="Alex")
    # From the start (detected, 5 minutes before declaring) to each milestone.
    assert found["figures"] == {
        "detect": "5m 00s",
        "acknowledge": "5m 00s",
        "mitigate": "45m 00s",
        "resolve": "1h 15m 00s",
    }
    # Time in each severity while open, from each severity.changed's occurred_at; most severe first.
    assert found["in_severity"] == [
        {"severity": "SEV1", "name": "Critical", "time": "45m 00s"},
        {"severity": "SEV2", "name": "Major", "time": "10m 00s"},
        {"severity": "SEV3", "name": "Minor", "time": "15m 00s"},
    ]
    assert found["incident"]["highest_severity"] == "SEV1"
    assert found["incident"]["drill"] is False
    assert found["incident"]["window"] == "between 09:25 and 10:40 UTC"


def test_responders_show_who_held_each_role_and_the_handoffs(incident: IncidentView) -> None:
    found = facts(incident, now=NOW + 2 * 60 * MIN, zone=UTC, author="Alex")
    commanders = [r for r in found["responders"] if r["role"] == "Incident Commander"]
    assert commanders == [
        {
            "role": "Incident Commander",
            "person": "Priya Shah",
            "since": "09:30",
            "until": "09:50",
            "held": "20m 00s",
            "from": "",
        },
        {
            "role": "Incident Commander",
            "person": "Sam Okafor",
            "since": "09:50",
            "until": "the end",
            "held": "",
            "from": "Priya Shah",
        },
    ]


def test_the_timeline_holds_the_key_moments_in_utc(incident: IncidentView) -> None:
    found = facts(incident, now=NOW + 2 * 60 * MIN, zone=UTC, author="Alex")
    moments = [(e["at"], e["text"]) for e in found["timeline"]]
    assert moments[0] == ("09:25", "Detected")
    assert ("09:42", "Deploy v2.31 went out at 09:25") in moments  # pinned note
    assert ("09:40", "Severity raised SEV2 → SEV1: every region") in moments
    assert ("10:40", "Status mitigated → resolved") in moments
    assert not any("TODO" in text for _, text in moments)  # not pinned: not a key moment
    assert [at for at, _ in moments] == sorted(at for at, _ in moments)


def test_checklist_steps_done_alerts_and_expired_timers_are_key_moments(policy: Policy) -> None:
    alex = Replica(1, policy, name="Alex")
    events = alex.declare()
    alex.tick(MIN)
    events += alex.act(lambda s: checklists.attach_role(s, "ic", policy))
    checklist = next(iter(fold(INCIDENT_ID, events, policy).checklists.values()))
    first, second = list(checklist.steps)[:2]
    alex.tick(MIN)
    events += alex.act(lambda s: checklists.set_step(s, checklist.id, first, "done"))
    events += alex.act(lambda s: checklists.set_step(s, checklist.id, second, "skipped", reason="already paged"))
    alert = {
        "source": "prod",
        "fingerprint": "61ebe030",
        "name": "HighErrorRate",
        "labels": {"service": "checkout"},
        "annotations": {},
        "starts_at": "2026-11-28T09:29:00Z",
        "generator_url": "",
    }
    events.append(alex.stamp(EventDraft(f"incident:{INCIDENT_ID}", "alert.attached", alert)))
    events += alex.act(lambda s: timers.set_timer(s, "check the rollback", minutes=5, now=alex.now()))
    alex.tick(6 * MIN)
    events += alex.act(lambda s: timers.record_expired(s, now=alex.now()))
    events += alex.act(lambda s: decisions.change_status(s, "resolved", now=alex.now()))
    found = facts(view_of(events, policy), now=alex.now(), zone=UTC, author="Alex")
    texts = [e["text"] for e in found["timeline"]]
    assert any(text.startswith("Checked: ") for text in texts)
    assert not any(text.startswith("Skipped: ") for text in texts)  # only steps done are key moments
    assert any("HighErrorRate" in text for text in texts)
    assert "Timer expired: check the rollback" in texts
    assert any("already paged" in point for point in found["went_badly"])  # a skipped step, with why


def test_the_default_template_drafts_every_section(incident: IncidentView) -> None:
    change = RunbookChange("rb-1", "", "Add a memory check before the canary", "Sam Okafor", NOW)
    sections = render_sections(
        TEMPLATE, facts(incident, now=NOW + 2 * 60 * MIN, zone=UTC, author="Alex", runbook_changes=[change])
    )
    assert set(sections) == set(pm.SECTION_KEYS)
    assert "| Time in SEV1 (Critical) | 45m 00s |" in sections["impact"]
    assert "| Time to resolve | 1h 15m 00s |" in sections["impact"]
    assert "Drill: no." in sections["impact"]
    assert "Sam Okafor, 09:50 to the end, took over from Priya Shah" in sections["responders"]
    assert sections["contributing_factors"].startswith("- Memory regression in v2.31\n")
    assert "Add a memory check before the canary (proposed by Sam Okafor)" in sections["runbook_changes"]
    assert "- Rolled back to v2.30" in sections["resolution"]
    # A follow-up note becomes a draft action item, owned by who wrote it, due 7 days after resolution.
    assert (
        "- [ ] alert on pod memory growth — owner: Priya Shah; due: 2026-12-05; type: prevent; priority: P3"
        in sections["action_items"]
    )
    assert "Priya" not in sections["customer_message"]


def test_a_template_block_that_is_not_a_section_is_refused() -> None:
    with pytest.raises(TemplateProblem, match="sumary is not a section"):
        check_template("{% block sumary %}x{% endblock %}")
    with pytest.raises(TemplateProblem, match="no section blocks"):
        check_template("Just text")


def test_the_template_runs_in_a_sandbox(incident: IncidentView) -> None:
    variables = facts(incident, now=NOW, zone=UTC, author="Alex")
    with pytest.raises(TemplateProblem, match="not allowed"):
        render_sections("{% block summary %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endblock %}", variables)
    with pytest.raises(TemplateProblem, match="there is no variable 'titel'"):
        render_sections("{% block summary %}\n{{ incident.titel }}{% endblock %}", variables)


def test_a_section_longer_than_a_section_may_be_is_cut_at_a_line_and_says_so(incident: IncidentView) -> None:
    variables = facts(incident, now=NOW, zone=UTC, author="Alex")
    source = "{% block timeline %}{% for i in range(30000) %}- moment number {{ i }}\n{% endfor %}{% endblock %}"
    text = render_sections(source, variables)["timeline"]
    assert len(text) <= pm.SECTION_MAX
    assert text.startswith("- moment number 0\n")
    body, note = text.split("\n\n_The draft of this section was ")
    assert body.endswith(f"- moment number {body.count(chr(10))}")  # cut after a whole line
    whole = sum(len(f"- moment number {i}") + 1 for i in range(30000)) - 1  # the last line break is stripped
    assert note.startswith(f"{whole:,} characters long and is cut here")


def test_team_templates_replace_the_shipped_one_and_are_checked() -> None:
    with pytest.raises(DomainError, match="not a section"):
        save_template("default", "Ours", "{% block nope %}{% endblock %}")
    drafts = save_template("default", "Ours", "{% block summary %}Short{% endblock %}")
    replica = Replica(1, default_policy())
    saved = [replica.stamp(d) for d in drafts]
    merged = fold_templates(saved, {"default": PostmortemTemplate("default", "Blameless postmortem", TEMPLATE)})
    assert merged["default"].origin == "edited" and merged["default"].body.startswith("{% block summary %}")


# -- the fold: sections edited by several people ---------------------------------------------------------


def started(policy: Policy) -> tuple[Replica, list[Event]]:
    priya, events = resolved_incident(policy)
    state = fold(INCIDENT_ID, events, policy)
    sections = {"summary": "Checkout failed", "impact": "A third of payments", "timeline": "- 09:25 detected"}
    events += [
        priya.stamp(d)
        for d in pm.start(
            state,
            pm.fold_postmortem(INCIDENT_ID, []),
            sections,
            template="default",
            owner="Priya Shah",
            meeting=date(2026, 12, 4),
        )
    ]
    return priya, events


def test_the_first_draft_sets_every_section_owner_and_meeting(policy: Policy) -> None:
    _, events = started(policy)
    found = pm.fold_postmortem(INCIDENT_ID, events)
    assert found.drafted and found.template == "default" and found.drafted_by == "Priya Shah"
    assert found.owner == "Priya Shah" and found.meeting == date(2026, 12, 4) and found.status == "draft"
    assert [s.key for s in found.ordered()] == list(pm.SECTION_KEYS)
    assert found.section("summary").text == "Checkout failed" and not found.section("summary").edited
    assert found.section("lucky").text == ""


def test_a_second_draft_is_refused_and_an_open_incident_cannot_start_one(policy: Policy) -> None:
    priya, events = started(policy)
    state = fold(INCIDENT_ID, events, policy)
    with pytest.raises(DomainError, match="was started by Priya Shah"):
        pm.start(state, pm.fold_postmortem(INCIDENT_ID, events), {}, template="default", owner="", meeting=None)
    other = Replica(2, policy)
    opened = fold(INCIDENT_ID, other.declare(), policy)
    with pytest.raises(DomainError, match="still investigating. Resolve it first"):
        pm.start(opened, pm.fold_postmortem(INCIDENT_ID, []), {}, template="default", owner="", meeting=None)


def two_editors(policy: Policy) -> tuple[Replica, Replica, list[Event]]:
    priya, events = started(policy)
    sam = Replica(2, policy, name="Sam Okafor", start=priya.now())
    sam.receive(events)
    return priya, sam, events


def edit(replica: Replica, events: list[Event], key: str, text: str, base: str | None = None) -> list[Event]:
    current = pm.fold_postmortem(INCIDENT_ID, events)
    head = current.section(key).head if base is None else base
    return [replica.stamp(d) for d in pm.edit_section(current, key, text, base=head)]


def test_two_people_editing_different_sections_keep_both(policy: Policy) -> None:
    priya, sam, events = two_editors(policy)
    mine = edit(priya, events, "summary", "Checkout failed for 75 minutes")
    theirs = edit(sam, events, "impact", "31% of card payments failed")
    merged = pm.fold_postmortem(INCIDENT_ID, events + mine + theirs)
    assert merged.section("summary").text == "Checkout failed for 75 minutes"
    assert merged.section("impact").text == "31% of card payments failed"
    assert merged.conflicts() == []
    assert merged.section("impact").by == "Sam Okafor" and merged.section("impact").edited


def test_concurrent_edits_of_one_section_keep_both(policy: Policy) -> None:
    priya, sam, events = two_editors(policy)
    sam.tick(MIN)  # Sam's edit is later in the log: it wins
    mine = edit(priya, events, "summary", "Priya's summary")
    theirs = edit(sam, events, "summary", "Sam's summary")
    for order in (events + mine + theirs, events + theirs + mine, list(reversed(events + mine + theirs))):
        merged = pm.fold_postmortem(INCIDENT_ID, order)
        section = merged.section("summary")
        assert section.text == "Sam's summary"
        assert [(c.text, c.by, c.replaced_by) for c in section.conflicts] == [
            ("Priya's summary", "Priya Shah", "Sam Okafor")
        ]


def test_an_edit_that_saw_the_other_replaces_it_without_a_conflict(policy: Policy) -> None:
    priya, sam, events = two_editors(policy)
    events += edit(priya, events, "summary", "First")
    sam.receive(events)
    sam.tick(MIN)
    events += edit(sam, events, "summary", "Second, building on the first")
    merged = pm.fold_postmortem(INCIDENT_ID, events)
    assert merged.section("summary").text == "Second, building on the first"
    assert merged.conflicts() == []


def test_a_conflict_stays_until_an_edit_settles_it(policy: Policy) -> None:
    priya, sam, events = two_editors(policy)
    sam.tick(MIN)
    events += edit(priya, events, "summary", "Priya's") + edit(sam, events, "summary", "Sam's")
    current = pm.fold_postmortem(INCIDENT_ID, events)
    ((_, conflict),) = current.conflicts()
    sam.receive(events)
    sam.tick(MIN)
    events += edit(sam, events, "impact", "unrelated")  # another section does not settle it
    assert len(pm.fold_postmortem(INCIDENT_ID, events).conflicts()) == 1
    current = pm.fold_postmortem(INCIDENT_ID, events)
    events += [
        sam.stamp(d)
        for d in pm.edit_section(
            current,
            "summary",
            "Sam's, with Priya's point",
            base=current.section("summary").head,
            resolved=[conflict.id],
        )
    ]
    assert pm.fold_postmortem(INCIDENT_ID, events).conflicts() == []


def test_the_earlier_writer_continuing_their_text_supersedes_their_conflict(policy: Policy) -> None:
    priya, sam, events = two_editors(policy)
    sam.tick(MIN)
    first = edit(priya, events, "summary", "Priya v1")
    theirs = edit(sam, events, "summary", "Sam's")
    priya.tick(2 * MIN)  # Priya has not heard of Sam's edit yet and edits her own text again
    again = edit(priya, events + first, "summary", "Priya v2")
    merged = pm.fold_postmortem(INCIDENT_ID, events + first + theirs + again)
    section = merged.section("summary")
    assert section.text == "Priya v2"
    assert [c.text for c in section.conflicts] == ["Sam's"]  # v1 was continued by v2: only Sam's is open


def test_the_fold_converges_whatever_order_the_events_arrive_in(policy: Policy) -> None:
    priya, sam, events = two_editors(policy)
    for number in range(6):
        writer = priya if number % 2 else sam
        writer.tick(MIN)
        events += edit(
            writer,
            events[: len(events) - number % 3],
            random.Random(number).choice(["summary", "impact", "lucky"]),
            f"text {number}",
        )
    expected = pm.fold_postmortem(INCIDENT_ID, events)
    for seed in range(5):
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        again = pm.fold_postmortem(INCIDENT_ID, shuffled)
        assert again.texts() == expected.texts()
        assert again.conflicts() == expected.conflicts()


def test_owner_meeting_and_status_are_last_writer_wins_each(policy: Policy) -> None:
    priya, sam, events = two_editors(policy)
    current = pm.fold_postmortem(INCIDENT_ID, events)
    mine = [priya.stamp(d) for d in pm.set_meta(current, owner="Kim Larsen")]
    theirs = [sam.stamp(d) for d in pm.set_meta(current, status="in review", meeting=date(2026, 12, 3))]
    merged = pm.fold_postmortem(INCIDENT_ID, events + mine + theirs)
    assert (merged.owner, merged.status, merged.meeting) == ("Kim Larsen", "in_review", date(2026, 12, 3))
    published = [sam.stamp(d) for d in pm.set_meta(merged, status="published")]
    assert [e.kind for e in published] == ["postmortem.published"]
    final = pm.fold_postmortem(INCIDENT_ID, events + mine + theirs + published)
    assert final.status == "published" and final.published_by == "Sam Okafor"
    with pytest.raises(DomainError, match="already published"):
        pm.publish(final)
    with pytest.raises(DomainError, match="not a postmortem status"):
        pm.set_meta(final, status="done")
    assert pm.set_meta(final, owner="Kim Larsen") == []  # nothing changed, nothing written


def test_an_unknown_section_or_nothing_to_change(policy: Policy) -> None:
    _, events = started(policy)
    current = pm.fold_postmortem(INCIDENT_ID, events)
    with pytest.raises(DomainError, match="no section 'root_cause'"):
        pm.edit_section(current, "root_cause", "x", base=current.draft_id)
    assert pm.edit_section(current, "summary", "Checkout failed", base=current.section("summary").head) == []
    with pytest.raises(DomainError, match="no postmortem yet"):
        pm.edit_section(pm.fold_postmortem(INCIDENT_ID, []), "summary", "x", base="")


# -- the review meeting --------------------------------------------------------------------------------


def test_the_meeting_is_due_five_business_days_after_the_resolution(policy: Policy) -> None:
    _, events = resolved_incident(policy)
    state = fold(INCIDENT_ID, events, policy)  # resolved on Saturday 2026-11-28
    assert pm.default_meeting(state, NOW, UTC) == date(2026, 12, 4)  # Friday
    assert pm.add_business_days(date(2026, 11, 27), 5) == date(2026, 12, 4)  # a Friday: the next Friday
    assert pm.business_days_between(date(2026, 12, 4), date(2026, 12, 7)) == 1  # Friday to Monday


def test_a_reminder_comes_when_the_meeting_is_near_and_stops_once_published() -> None:
    found = pm.Postmortem(INCIDENT_ID, draft_id="d", owner="Sam", meeting=date(2026, 12, 4))
    assert pm.reminder(found, "INC-1", date(2026, 11, 30)) is None  # Monday: 4 working days ahead
    assert "in 2 working days" in (pm.reminder(found, "INC-1", date(2026, 12, 2)) or "")
    assert "reviewed today" in (pm.reminder(found, "INC-1", date(2026, 12, 4)) or "")
    assert "3 days ago" in (pm.reminder(found, "INC-1", date(2026, 12, 7)) or "")
    found.status = "published"
    assert pm.reminder(found, "INC-1", date(2026, 12, 7)) is None


# -- action items in their section -----------------------------------------------------------------------


def test_action_lines_are_read_and_marked_when_tracked() -> None:
    text = (
        "Intro line\n"
        "- [ ] Alert on consumer lag — owner: Sam; due: 2026-12-05; type: detect; priority: P2\n"
        "- [x] ACT-7K2M9Q Make the canary mandatory — owner: Kim\n"
        "- [ ] Review the on-call handbook — with the SRE team\n"
        "- not an item"
    )
    found = pm.action_lines(text)
    assert [(a.line, a.title, a.owner, a.due, a.type, a.priority, a.reference) for a in found] == [
        (1, "Alert on consumer lag", "Sam", "2026-12-05", "detect", "P2", ""),
        (2, "Make the canary mandatory", "Kim", "", "", "", "ACT-7K2M9Q"),
        (3, "Review the on-call handbook — with the SRE team", "", "", "", "", ""),  # no fields: all title
    ]
    marked = pm.mark_confirmed(text, 1, "ACT-ABC123")
    assert marked.split("\n")[1] == (
        "- [x] ACT-ABC123 Alert on consumer lag — owner: Sam; due: 2026-12-05; type: detect; priority: P2"
    )
    assert pm.action_lines(marked)[0].confirmed
    with pytest.raises(DomainError, match="no longer an action item"):
        pm.mark_confirmed(text, 4, "ACT-ABC123")
    assert pm.action_line("Fix it", owner="Sam", due="7d") == "- [ ] Fix it — owner: Sam; due: 7d"


def test_existing_action_items_are_listed_as_tracked(policy: Policy) -> None:
    priya, events = resolved_incident(policy)
    state = fold(INCIDENT_ID, events, policy)
    events += [
        priya.stamp(d)
        for d in actions.create_action(
            state, actions.NewAction("Alert on memory", owner="Sam"), now=priya.now(), zone=UTC
        )
    ]
    found = facts(view_of(events, policy), now=priya.now(), zone=UTC, author="Alex")
    (item,) = found["actions"]
    assert item["line"].startswith(f"- [x] {item['reference']} Alert on memory — owner: Sam; due: 2026-12-05")


def test_now_is_only_a_parameter(policy: Policy) -> None:
    """Two drafts of the same log at the same moment are the same: nothing reads the clock."""
    view = view_of(resolved_incident(policy)[1], policy)
    moment = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    assert facts(view, now=moment, zone=UTC, author="A") == facts(view, now=moment, zone=UTC, author="A")
