"""The chat kinds on an incident: the channel and the bridge in its state, what is said in the channel on
its timeline ("author: text", category chat), edits, deletions and pins following the chat, and a snapshot
that keeps all of it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from commander.domain.chat.heard import bridge_started, channel_archived, channel_created, entry_id, heard
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft
from commander.domain.core.policy import Policy
from commander.domain.core.trust import check
from commander.domain.incident import decisions, snapshot
from commander.domain.timeline.context import TimeFormat
from commander.domain.timeline.entries import CATEGORY_LABELS, IncidentView
from tests.helpers.replica import INCIDENT_ID, Replica

SLACK = "team-slack"
SEC = timedelta(seconds=1)


@dataclass(frozen=True)
class Said:
    """What a listener hands over (commander.integrations.chat.base.ChatMessage's fields)."""

    channel: str = "C0123"
    id: str = "1733650000.000100"
    change: str = "posted"
    author_id: str = "U042"
    author_name: str = "Sam Lee"
    author_email: str = ""
    text: str = "rolled back v2.31"
    url: str = "https://team.slack.com/archives/C0123/p1733650000000100"
    at: datetime | None = None
    thread: str = ""
    reaction: str = ""
    version: str = ""


def _view(replica: Replica, policy: Policy) -> IncidentView:
    view = IncidentView(INCIDENT_ID, policy)
    view.load(replica.known.values())
    return view


def _hear(replica: Replica, said: Said, **how: str) -> list[Event]:
    replica.tick(SEC)
    draft = heard(replica.state(), SLACK, said, **how)
    return [] if draft is None else [replica.stamp(draft)]


def _with_channel(declared: Replica) -> Replica:
    declared.tick(SEC)
    declared.stamp(
        channel_created(INCIDENT_ID, SLACK, "slack", "C0123", "inc-7k2m-checkout", "https://team.slack.com/x")
    )
    return declared


def test_the_channel_and_the_bridge_are_in_the_state_and_on_the_timeline(declared: Replica, policy: Policy) -> None:
    _with_channel(declared)
    declared.tick(SEC)
    declared.stamp(bridge_started(INCIDENT_ID, "jitsi", "jitsi", "https://meet.jit.si/inc-x9", "", "PIN 1234"))
    state = declared.state()
    channel = state.channels[SLACK]
    assert (channel.service, channel.channel, channel.name, channel.archived) == (
        "slack",
        "C0123",
        "inc-7k2m-checkout",
        False,
    )
    assert [(b.via, b.url, b.details) for b in state.bridges] == [("jitsi", "https://meet.jit.si/inc-x9", "PIN 1234")]
    texts = [e.text for e in _view(declared, policy).entries]
    assert "Channel #inc-7k2m-checkout created in team-slack" in texts
    assert "Bridge started on jitsi: https://meet.jit.si/inc-x9 (PIN 1234)" in texts
    declared.tick(SEC)
    declared.stamp(channel_archived(INCIDENT_ID, SLACK, "C0123"))
    assert declared.state().channels[SLACK].archived
    assert _view(declared, policy).entries[-1].text == "Channel #inc-7k2m-checkout archived in team-slack"


def test_a_message_is_a_chat_entry_with_its_author_and_the_last_heard_moves(declared: Replica, policy: Policy) -> None:
    _with_channel(declared)
    at = datetime(2026, 11, 28, 9, 31, tzinfo=UTC)
    _hear(declared, Said(at=at))
    _hear(declared, Said(id="1733650001.000200", text="older, arriving late", at=at - timedelta(minutes=5)))
    view = _view(declared, policy)
    chat = [e for e in view.entries if e.category == "chat"]
    assert [e.text for e in chat] == ["Sam Lee: older, arriving late", "Sam Lee: rolled back v2.31"]
    assert CATEGORY_LABELS["chat"] == "Chat"
    assert chat[0].note_id is None  # not editable as a note: the chat is where it changes
    # The history a returning listener asks for starts after the latest message by when it was said.
    assert view.state.channels[SLACK].last_heard == "1733650000.000100"


def test_the_role_board_name_is_shown_when_the_author_matches_it(declared: Replica, policy: Policy) -> None:
    declared.tick(SEC)
    declared.act(lambda s: decisions.assign_role(s, "tl", "Sam Lee", policy=policy))
    _with_channel(declared)
    [by_name] = _hear(declared, Said(author_name="sam  LEE"))
    assert by_name.payload["person"] == "Sam Lee"
    declared.act(lambda s: decisions.assign_role(s, "scribe", "Kim Park", policy=policy))
    [by_email] = _hear(declared, Said(id="2", author_name="kp", author_email="kim.park@example.com"))
    assert by_email.payload["person"] == "Kim Park"
    [directory] = _hear(declared, Said(id="3", author_name="kp"), person="Kim")
    assert directory.payload["person"] == "Kim"
    [stranger] = _hear(declared, Said(id="4", author_name="Dana: the boss"))
    assert stranger.payload["person"] == ""
    assert _view(declared, policy).entries[-1].text == "Dana the boss: rolled back v2.31"
    # The who-column (and the timeline's person filter) names the author, not the console that heard it.
    authors = [entry.actor for entry in _view(declared, policy).entries if entry.category == "chat"]
    assert authors == ["Sam Lee", "Kim Park", "Kim", "Dana the boss"]


def test_edits_deletions_and_pins_follow_the_chat(declared: Replica, policy: Policy) -> None:
    _with_channel(declared)
    [posted] = _hear(declared, Said())
    assert posted.id == entry_id(SLACK, "C0123", "1733650000.000100")
    _hear(declared, Said(change="edited", text="rolled back v2.31: all pods", version="1733650060.000200"))
    _hear(declared, Said(change="pinned", at=datetime(2026, 11, 28, 9, 40, tzinfo=UTC)))
    entry = _view(declared, policy).entry(posted.id)
    assert entry is not None
    assert (entry.text, entry.pinned, entry.edited_by) == (
        "Sam Lee: rolled back v2.31: all pods",
        True,
        "its author in team-slack",
    )
    assert declared.state().is_pinned(posted.id)
    assert entry.history[0].endswith("edited in team-slack (was: rolled back v2.31)")
    _hear(declared, Said(change="unpinned", at=datetime(2026, 11, 28, 9, 41, tzinfo=UTC)))
    _hear(declared, Said(change="deleted", at=datetime(2026, 11, 28, 9, 42, tzinfo=UTC)))
    entry = _view(declared, policy).entry(posted.id)
    assert entry is not None and not entry.pinned and entry.deleted_by == "someone in team-slack"
    assert not declared.state().is_pinned(posted.id)


def test_a_reaction_pins_only_when_it_is_the_pin_reaction(declared: Replica, policy: Policy) -> None:
    _with_channel(declared)
    [posted] = _hear(declared, Said())
    assert _hear(declared, Said(change="reacted", reaction="eyes"), pin_reaction="pushpin") == []
    assert _hear(declared, Said(change="reacted", reaction="pushpin")) == []  # no pin reaction configured
    [pin] = _hear(declared, Said(change="reacted", reaction="pushpin", at=declared.now()), pin_reaction="pushpin")
    assert pin.kind == "chat.pinned" and pin.payload["entry"] == posted.id
    assert _view(declared, policy).entries[-1].pinned


def test_an_amend_never_changes_anything_but_a_chat_entry(declared: Replica, policy: Policy) -> None:
    [note] = declared.act(lambda s: decisions.add_note(s, "Our own words", now=declared.now()))
    declared.tick(SEC)
    hostile = {"via": SLACK, "channel": "C0123", "message": "m", "entry": note.id}
    declared.stamp(_draft("chat.edited", {**hostile, "text": "forged", "version": "v"}))
    declared.stamp(_draft("chat.deleted", hostile))
    declared.stamp(_draft("chat.pinned", hostile))
    entry = _view(declared, policy).entry(note.id)
    assert entry is not None and (entry.text, entry.deleted_by, entry.pinned) == ("Our own words", None, False)
    assert not declared.state().is_pinned(note.id)


def test_ids_are_the_same_on_every_console_and_differ_by_change(declared: Replica, policy: Policy) -> None:
    _with_channel(declared)
    state = declared.state()
    first, again = heard(state, SLACK, Said()), heard(state, SLACK, Said())
    assert first is not None and again is not None and first.id == again.id
    edits = [heard(state, SLACK, Said(change="edited", version=v)) for v in ("1", "2")]
    assert edits[0] is not None and edits[1] is not None and edits[0].id != edits[1].id
    other = heard(state, "other-slack", Said())
    assert other is not None and other.id != first.id


def test_what_is_heard_is_bounded(declared: Replica, policy: Policy) -> None:
    _with_channel(declared)
    [posted] = _hear(declared, Said(text="x" * 9_000, author_name="n" * 500, url="https://x/" + "y" * 20_000))
    assert len(posted.payload["text"]) == 5_000 and posted.payload["text"].endswith("…")
    assert len(posted.payload["author"]) == 200
    assert posted.payload["url"] == ""
    assert heard(declared.state(), SLACK, Said(id="")) is None
    [odd] = _hear(declared, Said(id="9\x00", text="a\x1b[31mb\ud800c\r\nd", author_name="S\x07am\n Lee"))
    assert (odd.payload["message"], odd.payload["text"], odd.payload["author"]) == ("9", "a[31mbc\nd", "Sam Lee")


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("chat.posted", {"via": SLACK, "channel": "C", "message": "m", "text": 5}, "author_id"),
        (
            "chat.edited",
            {"via": SLACK, "channel": "C", "message": "m", "entry": "e", "text": "x" * 6_000, "version": ""},
            "text",
        ),
        ("channel.created", {"via": "", "service": "slack", "channel": "C", "name": "n", "url": ""}, "via"),
        ("bridge.started", {"via": "j", "service": "jitsi", "url": ["x"], "meeting": "", "details": ""}, "url"),
        ("chat.pinned", {"via": SLACK, "channel": "C", "message": "m", "entry": {"$ne": 1}}, "entry"),
    ],
)
def test_a_hostile_payload_is_quarantined_and_the_fold_goes_on(
    declared: Replica, policy: Policy, kind: str, payload: dict[str, object], field: str
) -> None:
    event = Event(
        id="0196f0c2-7a10-7c3e-9b1d-5f2a8e4c6d99",
        stream=f"incident:{INCIDENT_ID}",
        kind=kind,
        payload=payload,
        actor=declared.actor,
        hlc=declared.clock.now(),
        occurred_at=declared.now(),
        recorded_at=declared.now(),
        origin="console-9",
    )
    with pytest.raises(DomainError, match=field):
        check(event, limit_hlc=event.hlc + 1, now_ms=declared.wall_ms, max_ahead_ms=60_000)
    declared.known[event.id] = event
    view = _view(declared, policy)  # folded without raising; counted, not shown
    assert view.state.event_count == len(declared.known) and all(e.event_id != event.id for e in view.entries)


def test_a_snapshot_keeps_the_channels_bridges_and_chat_entries(declared: Replica, policy: Policy) -> None:
    _with_channel(declared)
    declared.stamp(bridge_started(INCIDENT_ID, "zoom", "zoom", "https://zoom.us/j/1", "1", ""))
    [posted] = _hear(declared, Said(at=datetime(2026, 11, 28, 9, 31, tzinfo=UTC)))
    _hear(declared, Said(change="pinned", at=declared.now()))
    view = _view(declared, policy)
    fmt: TimeFormat = view.time_format
    data = json.loads(json.dumps(snapshot.dump(view)))
    restored = snapshot.restore(INCIDENT_ID, data, policy, fmt, lambda: list(declared.known.values()))
    assert restored is not None
    assert restored.state.channels == view.state.channels
    assert restored.state.bridges == view.state.bridges
    entry = restored.entry(posted.id)
    assert entry is not None and entry.pinned and entry.category == "chat" and entry.note_id is None


def _draft(kind: str, payload: Mapping[str, object]) -> EventDraft:
    return EventDraft(f"incident:{INCIDENT_ID}", kind, payload)
