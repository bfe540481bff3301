"""What a message heard in a chat channel becomes: the event it records on its incident's timeline, with an
id every console computes the same way (so the consoles that all hear one message write one event), the
person on the role board it comes from, and a declaration asked for in chat ("@commander declare SEV2
checkout 502s").

Plain decisions over the incident's state; the app hands them what a listener heard (`Heard`, which
commander/integrations/chat/base.py's ChatMessage fits).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from commander.domain.chat.kinds import NAME_MAX, TEXT_MAX
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.core.text import clean_line, clean_multiline
from commander.domain.incident.state import IncidentState

_MESSAGES = uuid.UUID("3a1f6c2e-8d4b-4f0a-9c7e-5b2d1e0f4a63")
_DECLARED = uuid.UUID("3a1f6c2e-8d4b-4f0a-9c7e-5b2d1e0f4a64")
ID_MAX = 200  # the schema's bound on ids (commander/domain/core/schema.py ID)
ADDRESS_MAX = 10_000

# "@commander declare SEV2 checkout 502s", "<@U0BOT> declare sev2 checkout 502s" (Slack's mention), and
# "Commander: declare …" (the text a Matrix client sends for a mention of the bot's display name)
_DECLARE = re.compile(
    r"^\s*(?:<@[A-Za-z0-9_.:-]{1,100}>|@?commander\b)[:,]?\s+declare\s+(\S+)\s+(.+?)\s*$", re.IGNORECASE | re.DOTALL
)


class Heard(Protocol):
    """What a listener hands over (commander.integrations.chat.base.ChatMessage fits it)."""

    @property
    def channel(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def change(self) -> str: ...
    @property
    def author_id(self) -> str: ...
    @property
    def author_name(self) -> str: ...
    @property
    def author_email(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def at(self) -> datetime | None: ...
    @property
    def thread(self) -> str: ...
    @property
    def reaction(self) -> str: ...
    @property
    def version(self) -> str: ...


def event_id(via: str, channel: str, message: str, change: str, version: str = "") -> str:
    """The id of the event recording `change` of a message: the same on every console that hears it."""
    return str(uuid.uuid5(_MESSAGES, "\x1f".join((via, channel, message, change, version))))


def entry_id(via: str, channel: str, message: str) -> str:
    """The id of a message's timeline entry (its chat.posted event), which edits, deletions and pins name."""
    return event_id(via, channel, message, "posted")


def declared_incident_id(via: str, channel: str, message: str) -> str:
    """The incident a "declare" message makes: one, whichever console hears it first."""
    return str(uuid.uuid5(_DECLARED, "\x1f".join((via, channel, message))))


def declared_event_id(incident_id: str, position: int) -> str:
    return str(uuid.uuid5(_DECLARED, f"{incident_id}\x1f{position}"))


def bounded(words: str, limit: int) -> str:
    """At most `limit` characters, saying so when cut."""
    return words if len(words) <= limit else words[: limit - 1] + "…"


def _safe_id(value: str) -> str:
    return clean_line(value[: ID_MAX * 2], field="id", limit=ID_MAX * 2, required=False)[:ID_MAX]


def _words(text: str, limit: int) -> str:
    """Outside text as the timeline keeps it: no control characters or lone surrogates, at most `limit`."""
    return bounded(clean_multiline(text[: limit * 2], field="message", limit=limit * 2, required=False), limit)


def person_for(names: Iterable[str], *, name: str, email: str) -> str:
    """The person on the role board a chat author is: by email first (a board name that is the address, or
    whose words are its local part's: alex.kim@ is "Alex Kim"), then by name, ignoring case; "" when none."""
    known = [n for n in names if n]
    if email:
        address = email.strip().casefold()
        local = re.sub(r"[._+-]+", " ", address.partition("@")[0]).strip()
        for candidate in known:
            folded = " ".join(candidate.casefold().split())
            if folded == address or (local and folded == local):
                return candidate
    wanted = " ".join(name.casefold().split())
    if wanted:
        for candidate in known:
            if " ".join(candidate.casefold().split()) == wanted:
                return candidate
    return ""


def board_names(state: IncidentState) -> list[str]:
    """The names the role board knows for this incident: holders past and present, note authors, the declarer."""
    return state.people()


@dataclass(frozen=True)
class Declare:
    """A declaration asked for in chat: the severity as typed and the title."""

    severity: str
    title: str


def declare_request(text: str) -> Declare | None:
    found = _DECLARE.match(text[:2_000])
    if found is None:
        return None
    title = " ".join(found.group(2).split())
    return Declare(found.group(1), bounded(title, 200)) if title else None


def heard(
    state: IncidentState, via: str, message: Heard, *, pin_reaction: str = "", person: str = ""
) -> EventDraft | None:
    """The event recording what was heard in the incident's channel, or None when it records nothing (a
    reaction other than the pin one, a change this version does not know). Its id is deterministic.
    `person`: who the team's directory says the author is; else the role board's name that matches."""
    stream = incident_stream(state.id)
    channel, mid = _safe_id(message.channel), _safe_id(message.id)
    if not mid or not via:
        return None
    about = {"via": via, "channel": channel, "message": mid, "entry": entry_id(via, channel, mid)}
    at = message.at
    change = message.change
    if change == "reacted":
        if not pin_reaction or message.reaction != pin_reaction:
            return None
        change = "pinned"
    if change == "posted":
        author = bounded(clean_line(message.author_name[:1_000], field="name", limit=1_000, required=False), NAME_MAX)
        payload = {
            "via": via,
            "channel": channel,
            "message": mid,
            "author_id": _safe_id(message.author_id),
            "author": author,
            "person": bounded(person, 500) or person_for(board_names(state), name=author, email=message.author_email),
            "text": _words(message.text, TEXT_MAX),
            "url": message.url if len(message.url) <= ADDRESS_MAX else "",
            "thread": _safe_id(message.thread),
        }
        return EventDraft(stream, "chat.posted", payload, at, event_id(via, channel, mid, "posted"))
    # A pin, unpin or deletion has no version of its own: when it happened tells a second pin from the first.
    version = _safe_id(message.version or (at.isoformat() if at else ""))
    if change == "edited":
        payload = {**about, "text": _words(message.text, TEXT_MAX), "version": version}
        return EventDraft(stream, "chat.edited", payload, at, event_id(via, channel, mid, "edited", version))
    if change == "deleted":
        return EventDraft(stream, "chat.deleted", about, at, event_id(via, channel, mid, change, version))
    if change == "pinned":
        return EventDraft(stream, "chat.pinned", about, at, event_id(via, channel, mid, change, version))
    if change == "unpinned":
        return EventDraft(stream, "chat.unpinned", about, at, event_id(via, channel, mid, change, version))
    return None


def channel_created(
    incident_id: str, via: str, service: str, channel: str, name: str, url: str, *, at: datetime | None = None
) -> EventDraft:
    """The incident's channel, made in `via` (one per incident and connection: its id says so)."""
    payload = {
        "via": via,
        "service": service,
        "channel": _safe_id(channel),
        "name": bounded(clean_line(name[:1_000], field="name", limit=1_000, required=False), NAME_MAX),
        "url": url if len(url) <= ADDRESS_MAX else "",
    }
    return EventDraft(
        incident_stream(incident_id), "channel.created", payload, at, event_id(via, channel, incident_id, "created")
    )


def channel_archived(incident_id: str, via: str, channel: str) -> EventDraft:
    payload = {"via": via, "channel": _safe_id(channel)}
    return EventDraft(
        incident_stream(incident_id), "channel.archived", payload, None, event_id(via, channel, incident_id, "archived")
    )


def bridge_started(
    incident_id: str, via: str, service: str, url: str, meeting: str, details: str, *, at: datetime | None = None
) -> EventDraft:
    payload = {
        "via": via,
        "service": service,
        "url": url if len(url) <= ADDRESS_MAX else "",
        "meeting": _safe_id(meeting),
        "details": _words(details, ADDRESS_MAX),
    }
    return EventDraft(incident_stream(incident_id), "bridge.started", payload, at)
