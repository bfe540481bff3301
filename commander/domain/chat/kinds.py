"""The chat event kinds, in the incident's stream: its channel made (and archived) in a chat connection, a
meeting bridge started, and what was said in the channel coming back to the timeline.

A message heard is one `chat.posted` entry in the "chat" category, shown "author: text". What later happens
to it in the chat changes that entry instead of adding rows: `chat.edited` and `chat.deleted` follow the
chat, and `chat.pinned` / `chat.unpinned` make it a pinned timeline entry as a note pin does. Those four name
the entry they change in `entry`, the id of the `chat.posted` event, which every console computes the same
way (commander/domain/chat/heard.py), so they amend it whichever console heard the message first.

Everything here came from outside: every field is bounded by its schema, the fold never trusts a field
to name something that exists, and an amend only ever changes a chat entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from commander.domain.core.events import Event
from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, Amends, EventKind, Shown, register
from commander.domain.core.schema import ADDRESS, ID, LINE, a_line, a_name, an_address, an_id, options, record, text
from commander.domain.incident.state import BridgeLink, ChatChannel, IncidentState
from commander.domain.timeline.context import Context


class TimelineEntry(Protocol):
    """What an amend changes of a timeline entry (commander/domain/timeline/entries.py's, which this
    feature does not import: features meet the timeline only through its context)."""

    kind: str
    text: str
    pinned: bool
    edited_by: str | None
    deleted_by: str | None
    history: list[str]


TEXT_MAX = 5_000  # characters of a message kept (the services cut at 4,000 and say so; room for that)
NAME_MAX = 200  # an author's or a channel's name
SERVICE_MAX = 40  # "slack", "mattermost", "matrix", "jitsi", a newer console's kind

_via = a_name
_service = text(SERVICE_MAX, empty=False)
_name = text(NAME_MAX)
_message = text(ID, empty=False)

# -- folds -------------------------------------------------------------------------------------------


def _channel_created(state: IncidentState, event: Event) -> None:
    p = event.payload
    state.channels[p["via"]] = ChatChannel(p["via"], p["service"], p["channel"], p["name"], p["url"])


def _channel_archived(state: IncidentState, event: Event) -> None:
    found = state.channels.get(event.payload["via"])
    if found is not None and found.channel == event.payload["channel"]:
        found.archived = True


def _bridge_started(state: IncidentState, event: Event) -> None:
    p = event.payload
    state.bridges.append(BridgeLink(p["via"], p["service"], p["url"], p["meeting"], p["details"], event.occurred_at))


def _chat_posted(state: IncidentState, event: Event) -> None:
    """Keeps the latest message heard in the incident's channel, by when it was posted: where a listener
    that comes back asks the history to start."""
    p = event.payload
    found = state.channels.get(p["via"])
    if found is None or found.channel != p["channel"]:
        return
    if found.last_heard_at is None or event.occurred_at >= found.last_heard_at:
        found.last_heard, found.last_heard_at = p["message"], event.occurred_at


def _pinned(state: IncidentState, event: Event) -> None:
    if event.payload["entry"] not in state.notes:  # a chat entry's pin; a note's is entry.pinned's
        state.pinned[event.payload["entry"]] = event.kind == "chat.pinned"


# -- the timeline ------------------------------------------------------------------------------------


def who(p: Mapping[str, Any]) -> str:
    """The name a chat entry starts with: the role board's person when known, else the chat's name. A
    colon is left out, so the entry's text splits back into who and what at its first ": "."""
    name = str(p.get("person") or p.get("author") or p.get("author_id") or "someone")
    return " ".join(name.replace(":", " ").split()) or "someone"


def _author(event: Event) -> str:
    """Who the entry names: the chat message's author, not the console that heard it."""
    return who(event.payload)


def _describe_posted(event: Event, context: Context) -> str:
    return f"{who(event.payload)}: {event.payload['text']}"


def _describe_channel(event: Event, context: Context) -> str:
    p = event.payload
    return f"Channel #{p['name'] or p['channel']} created in {p['via']}"


def _describe_archived(event: Event, context: Context) -> str:
    p = event.payload
    found = context.state.channels.get(p["via"])
    name = found.name if found is not None and found.channel == p["channel"] and found.name else p["channel"]
    return f"Channel #{name} archived in {p['via']}"


def _describe_bridge(event: Event, context: Context) -> str:
    p = event.payload
    details = f" ({p['details']})" if p["details"] else ""
    return f"Bridge started on {p['via']}: {p['url']}{details}"


def _chat_entry(entry: TimelineEntry) -> bool:
    return entry.kind == "chat.posted"


def _amend_edited(entry: TimelineEntry, event: Event, stamp: str) -> None:
    if not _chat_entry(entry):
        return
    speaker, _, before = entry.text.partition(": ")
    entry.history.append(f"{stamp}: edited in {event.payload['via']} (was: {_clip(before)})")
    entry.text, entry.edited_by = f"{speaker}: {event.payload['text']}", f"its author in {event.payload['via']}"


def _amend_deleted(entry: TimelineEntry, event: Event, stamp: str) -> None:
    if not _chat_entry(entry):
        return
    entry.deleted_by = f"someone in {event.payload['via']}"
    entry.history.append(f"{stamp}: deleted in {event.payload['via']}")


def _amend_pinned(entry: TimelineEntry, event: Event, stamp: str) -> None:
    if not _chat_entry(entry):
        return
    pinned = event.kind == "chat.pinned"
    entry.pinned = pinned
    entry.history.append(f"{stamp}: {'pinned' if pinned else 'unpinned'} in {event.payload['via']}")


def _clip(words: str, limit: int = 80) -> str:
    line = words.replace("\n", " ")
    return line if len(line) <= limit else line[: limit - 1] + "…"


# -- the kinds ---------------------------------------------------------------------------------------

_about = {"via": _via, "channel": an_id, "message": _message, "entry": an_id}

KINDS = register(
    EventKind(
        "channel.created",
        record({"via": _via, "service": _service, "channel": an_id, "name": _name, "url": an_address}),
        _channel_created,
        Shown("incident", _describe_channel),
    ),
    EventKind(
        "channel.archived",
        record({"via": _via, "channel": an_id}),
        _channel_archived,
        Shown("incident", _describe_archived),
    ),
    EventKind(
        "bridge.started",
        record(
            {"via": _via, "service": _service, "url": an_address, "meeting": an_id, "details": text(ADDRESS)},
        ),
        _bridge_started,
        Shown("incident", _describe_bridge),
    ),
    EventKind(
        "chat.posted",
        record(
            {
                "via": _via,
                "channel": an_id,
                "message": _message,
                "author_id": an_id,
                "author": _name,
                "person": text(LINE),
                "text": text(TEXT_MAX),
                "url": an_address,
                "thread": an_id,
            }
        ),
        _chat_posted,
        Shown("chat", _describe_posted, actor=_author),
    ),
    EventKind(
        "chat.edited",
        record({**_about, "text": text(TEXT_MAX), "version": an_id}),
        NOT_FOLDED,
        Amends("entry", _amend_edited),
    ),
    EventKind("chat.deleted", record(_about), NOT_FOLDED, Amends("entry", _amend_deleted)),
    EventKind("chat.pinned", record(_about), _pinned, Amends("entry", _amend_pinned)),
    EventKind("chat.unpinned", record(_about), _pinned, Amends("entry", _amend_pinned)),
)

# The team's chat connections, in "settings:chat" (commander/domain/chat/connections.py): added with its kind
# and settings, never its secret, and removed.
SETTINGS_KINDS = register(
    EventKind("chat.added", record({"name": a_name, "kind": a_line, "options": options}), NOT_FOLDED, NOT_SHOWN),
    EventKind("chat.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
)
