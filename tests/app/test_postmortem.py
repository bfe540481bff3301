"""Postmortems through the console: started from the log, edited from two consoles sharing one SQLite file,
action items tracked through commander.app.actions, reminders, and exports."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from commander.app import incident, postmortem, timeline
from commander.app.console import Console
from commander.domain.actions.items import fold_actions
from commander.domain.core.errors import DomainError
from commander.domain.core.events import incident_stream
from commander.domain.incident.decisions import Declaration


@pytest.fixture
def resolved(console: Console) -> str:
    state = incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s",
            severity="SEV2",
            services=("checkout",),
            summary="A third of payments fail",
            detected_at=console.now() - timedelta(minutes=30),
        ),
    )
    timeline.add_note(console, state.id, "Follow-up: alert on pod memory growth")
    timeline.add_note(console, state.id, "Rolled back v2.31", pinned=True)
    incident.change_status(console, state.id, "resolved", reason="Rollback complete")
    return state.id


def test_starting_writes_the_draft_owner_and_meeting(console: Console, resolved: str) -> None:
    started = postmortem.start(console, resolved)
    assert started.drafted and started.owner == "Alex" and started.status == "draft"
    assert started.meeting is not None and started.meeting > console.now().date()
    assert "Rolled back v2.31" in started.section("timeline").text
    assert "- [ ] alert on pod memory growth — owner: Alex" in started.section("action_items").text
    with pytest.raises(DomainError, match="was started by Alex"):
        postmortem.start(console, resolved)


def test_an_open_incident_is_refused_but_can_be_drafted_dry(console: Console, incident_id: str) -> None:
    with pytest.raises(DomainError, match="still investigating"):
        postmortem.start(console, incident_id)
    doc = postmortem.draft_document(console, incident_id)
    assert "still open when this draft was written" in doc.sections[0].text
    assert not postmortem.current(console, incident_id).drafted


def test_two_consoles_on_one_file_editing_different_sections_keep_both(
    open_console: Callable[..., Console], console: Console, resolved: str
) -> None:
    postmortem.start(console, resolved)
    sam = open_console(user="Sam Okafor")
    kim = open_console(user="Kim Larsen")
    # Both opened the editor on the same draft, then each saved a section.
    base_summary = postmortem.current(sam, resolved).section("summary").head
    base_impact = postmortem.current(kim, resolved).section("impact").head
    postmortem.edit(sam, resolved, "summary", "Checkout failed for 30 minutes", base=base_summary)
    postmortem.edit(kim, resolved, "impact", "31% of card payments failed", base=base_impact)
    for reader in (console, sam, kim):
        found = postmortem.current(reader, resolved)
        assert found.section("summary").text == "Checkout failed for 30 minutes"
        assert found.section("summary").by == "Sam Okafor"
        assert found.section("impact").text == "31% of card payments failed"
        assert found.section("impact").by == "Kim Larsen"
        assert found.conflicts() == []


def test_two_consoles_editing_the_same_section_at_once_keep_both_texts(
    open_console: Callable[..., Console], console: Console, resolved: str
) -> None:
    postmortem.start(console, resolved)
    sam, kim = open_console(user="Sam Okafor"), open_console(user="Kim Larsen")
    base = postmortem.current(sam, resolved).section("lucky").head
    postmortem.edit(sam, resolved, "lucky", "- It happened at 10:00, not at peak", base=base)
    postmortem.edit(kim, resolved, "lucky", "- The rollback image was still cached", base=base)
    found = postmortem.current(console, resolved).section("lucky")
    assert found.text == "- The rollback image was still cached"
    assert [(c.text, c.by, c.replaced_by) for c in found.conflicts] == [
        ("- It happened at 10:00, not at peak", "Sam Okafor", "Kim Larsen")
    ]
    settled = postmortem.edit(
        sam,
        resolved,
        "lucky",
        found.text + "\n" + found.conflicts[0].text,
        base=found.head,
        resolved=[found.conflicts[0].id],
    )
    assert settled.conflicts() == []
    assert settled.section("lucky").text.count("- ") == 2


def test_confirming_a_draft_line_creates_a_real_action_item(console: Console, resolved: str) -> None:
    started = postmortem.start(console, resolved)
    section = started.section("action_items")
    text = (
        section.text + "\n- [ ] Make the canary mandatory — owner: Sam; due: 2026-12-10; type: prevent; "
        "priority: P2; finding: the deploy skipped the canary"
    )
    line = text.count("\n")
    confirmed = postmortem.confirm_action(console, resolved, line, text=text, base=section.head)
    item = confirmed.item
    assert (item.title, item.owner, item.due.isoformat(), item.priority, item.type, item.source, item.finding) == (
        "Make the canary mandatory",
        "Sam",
        "2026-12-10",
        "P2",
        "prevent",
        "postmortem",
        "the deploy skipped the canary",
    )
    stored = fold_actions(console.reads.stream(incident_stream(resolved)))
    assert item.id in stored  # in the incident's stream, like every action item
    lines = confirmed.postmortem.section("action_items").text.split("\n")
    assert lines[line].startswith(f"- [x] {item.reference} Make the canary mandatory")
    with pytest.raises(DomainError, match=f"already tracked as {item.reference}"):
        postmortem.confirm_action(console, resolved, line)
    with pytest.raises(DomainError, match="not an action item"):
        postmortem.confirm_action(console, resolved, 0, text="Just prose")


def test_a_bad_due_date_creates_nothing(console: Console, resolved: str) -> None:
    postmortem.start(console, resolved)
    with pytest.raises(DomainError, match="not a due date"):
        postmortem.confirm_action(console, resolved, 0, text="- [ ] Fix it — due: someday", base="")
    assert fold_actions(console.reads.stream(incident_stream(resolved))) == {}


def test_reminders_name_postmortems_whose_meeting_is_near(console: Console, resolved: str) -> None:
    postmortem.start(console, resolved)
    assert postmortem.reminders(console) == []  # five working days away
    postmortem.set_meta(console, resolved, meeting=console.now().astimezone(console.zone).date())
    (reminder,) = postmortem.reminders(console)
    assert reminder.incident_id == resolved and "is reviewed today" in reminder.text
    postmortem.set_meta(console, resolved, status="published")
    assert postmortem.reminders(console) == []


def test_exports_and_the_listing(console: Console, resolved: str) -> None:
    with pytest.raises(DomainError, match="has no postmortem yet"):
        postmortem.export(console, resolved, "md")
    postmortem.start(console, resolved)
    postmortem.edit(console, resolved, "summary", "Checkout <script>alert(1)</script> failed")
    assert "&lt;script>" in postmortem.export(console, resolved, "md")
    assert "&lt;script&gt;" in postmortem.export(console, resolved, "html")
    data = json.loads(postmortem.export(console, resolved, "json"))
    assert data["sections"][0]["text"] == "Checkout <script>alert(1)</script> failed"
    assert [found.incident_id for found in postmortem.listing(console)] == [resolved]


def test_the_team_template_is_shared_and_used(
    console: Console, resolved: str, open_console: Callable[..., Console]
) -> None:
    body = "{% block summary %}{{ incident.title }} lasted {{ figures.resolve }}.{% endblock %}"
    postmortem.save_template(console, "short", "Short one", body)
    other = open_console(user="Sam Okafor")
    assert postmortem.templates(other)["short"].origin == "team"
    sections = postmortem.draft(other, resolved, "short")
    assert re.fullmatch(r"Checkout API returning 502s lasted 30m 0\ds\.", sections["summary"])
    assert sections["impact"] == ""
    with pytest.raises(DomainError, match="No postmortem template 'nope'"):
        postmortem.draft(other, resolved, "nope")
