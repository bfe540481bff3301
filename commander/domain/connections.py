"""What the team connects Commander to (update destinations, trackers, pagers): each a named kind with
settings that are shared through the store as events, and a secret that never is. A `Family` says which
stream and event kinds hold one sort, and checks a new one's settings against its kind."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from commander.domain.errors import DomainError
from commander.domain.events import Event, EventDraft

_NAME = re.compile(r"^[#@~\w][\w .#@~-]{0,59}$")
_ADDRESSES = ("url", "api_url", "site", "homeserver")  # settings that must be web addresses


@dataclass(frozen=True)
class Kind:
    """A kind of connection: what its secret is and which settings (not secret) it takes."""

    key: str
    label: str
    secret: str                          # what goes in the keyring, in words for the prompt
    required: tuple[str, ...] = ()       # settings it cannot work without
    optional: tuple[str, ...] = ()
    status_page: bool = False            # (destinations) creates an incident there, then updates it


@dataclass(frozen=True)
class Connection:
    name: str
    kind: str
    options: dict[str, str]
    noun: str = "destination"  # its family's noun, which also names its secret in the keyring

    @property
    def secret_name(self) -> str:
        return f"{self.noun}:{self.name}"


@dataclass(frozen=True)
class Family:
    """One sort of connection: `noun` (destination, tracker…), its stream, its kinds, and the command
    that lists them (for messages)."""

    noun: str
    stream: str
    kinds: dict[str, Kind]
    listing: str

    def fold(self, events: list[Event]) -> dict[str, Connection]:
        found: dict[str, Connection] = {}
        for event in sorted(events, key=lambda e: e.order):
            p: Any = event.payload
            if event.kind == f"{self.noun}.added":
                found[p["name"]] = Connection(p["name"], p["kind"], dict(p["options"]), self.noun)
            elif event.kind == f"{self.noun}.removed":
                found.pop(p["name"], None)
        return found

    def add(self, existing: dict[str, Connection], kind: str, name: str,
            options: dict[str, str]) -> list[EventDraft]:
        kind = kind.strip().lower()
        found = self.kinds.get(kind)
        if found is None:
            raise DomainError(f"Unknown {self.noun} kind '{kind}'. Use one of: {', '.join(self.kinds)}.")
        options = {key.strip(): value.strip() for key, value in options.items()}
        missing = [option for option in found.required if not options.get(option)]
        if missing:
            raise DomainError(f"A {kind} {self.noun} needs {' and '.join(missing)} (on the command line: "
                              + " ".join(f"--option {m}=…" for m in missing) + ").")
        unknown = sorted(set(options) - set(found.required) - set(found.optional))
        if unknown:
            known = found.required + found.optional
            raise DomainError(f"A {kind} {self.noun} has no setting {', '.join(unknown)}. "
                              + (f"Its settings: {', '.join(known)}." if known else "It takes no settings."))
        for option, value in options.items():
            if option in _ADDRESSES and not value.startswith(("https://", "http://")):
                raise DomainError(f"{option} must be a web address starting with https:// (got '{value}').")
        name = name.strip()
        if not _NAME.match(name):
            raise DomainError(f"'{name}' cannot be a {self.noun}'s name: use up to 60 letters, digits, spaces, "
                              f"# @ ~ . - or _.")
        if name in existing:
            raise DomainError(f"There is already a {self.noun} called {name}. Remove it first to replace it.")
        return [EventDraft(self.stream, f"{self.noun}.added", {"name": name, "kind": kind, "options": options})]

    def remove(self, existing: dict[str, Connection], name: str) -> list[EventDraft]:
        if name not in existing:
            raise DomainError(f"No {self.noun} called {name}. `{self.listing}` shows them.")
        return [EventDraft(self.stream, f"{self.noun}.removed", {"name": name})]
