"""The team's directory of people, in the `settings:people` stream (shared through the store like the
on-call schedules): `person.saved` says who a name is elsewhere (an email address, and the person's user id
in each chat connection), `person.removed` drops a name. Settings: not folded into an incident, not shown.

The role board, on-call schedules and pages name people by name; chat services know them by user id or
email. This is the bridge: a workflow's `invite` finds a person's chat account here (by the user id given,
else by email through the service's lookup), and a message heard in a channel maps its author back to
the name the role board shows. Rows from the shared store are untrusted: one that does not read is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, well_formed
from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, register
from commander.domain.core.schema import a_line, a_name, record, text, text_map
from commander.domain.core.text import clean_line

STREAM = "settings:people"
EMAIL_MAX = 254  # RFC 5321's longest forward path, less the brackets
CHAT_MAX = 20  # chat connections a person may have ids in
USER_ID_MAX = 255  # a Matrix user id's limit, the longest of the three services
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}$")

KINDS = register(
    EventKind(
        "person.saved",
        record({"name": a_name, "email": text(EMAIL_MAX), "chat": text_map(key=60, value=USER_ID_MAX, most=CHAT_MAX)}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind("person.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
)


@dataclass(frozen=True)
class Person:
    name: str
    email: str = ""
    chat: Mapping[str, str] = field(default_factory=dict)  # chat connection name -> the person's user id there


def fold_people(events: Iterable[Event]) -> dict[str, Person]:
    """The directory now, by casefolded name: the last save of a name wins, a removal drops it."""
    found: dict[str, Person] = {}
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        name = str(event.payload["name"])
        if event.kind == "person.removed":
            found.pop(name.casefold(), None)
        elif event.kind == "person.saved":
            p = event.payload
            found[name.casefold()] = Person(name, str(p["email"]), dict(p["chat"]))
    return dict(sorted(found.items()))


def save(name: str, email: str = "", chat: Mapping[str, str] | None = None) -> EventDraft:
    """A person's entry, checked: a name, an email address that looks like one, chat ids of one line."""
    cleaned = clean_line(name, field="A person's name", limit=80)
    address = email.strip()
    if address and (len(address) > EMAIL_MAX or not _EMAIL.match(address)):
        raise DomainError(f"'{address[:80]}' is not an email address (name@example.com). Give one, or none.")
    ids = {}
    for via, user in (chat or {}).items():
        key, value = via.strip(), user.strip()
        if not key or not value or len(value) > USER_ID_MAX or any(c.isspace() for c in value):
            raise DomainError(
                f"The chat id for '{key[:60]}' should be the person's user id there (U024BE7LH, "
                f"@alex:example.org), one word of at most {USER_ID_MAX} characters."
            )
        ids[key[:60]] = value
    if len(ids) > CHAT_MAX:
        raise DomainError(f"A person may have ids in at most {CHAT_MAX} chat connections.")
    return EventDraft(STREAM, "person.saved", {"name": cleaned, "email": address, "chat": ids})


def remove(directory: Mapping[str, Person], name: str) -> EventDraft:
    found = directory.get(name.strip().casefold())
    if found is None:
        listed = ", ".join(person.name for person in directory.values()) or "nobody yet"
        raise DomainError(f"Nobody called '{name.strip()}' is in the directory. People: {listed}.")
    return EventDraft(STREAM, "person.removed", {"name": found.name})


def by_account(directory: Mapping[str, Person], *, via: str = "", user: str = "", email: str = "") -> Person | None:
    """Whose chat account or email this is: the user id in that connection first, then the email."""
    if via and user:
        for person in directory.values():
            if person.chat.get(via) == user:
                return person
    if email:
        wanted = email.strip().casefold()
        for person in directory.values():
            if person.email and person.email.casefold() == wanted:
                return person
    return None
