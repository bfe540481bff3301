"""What the team connects Commander to (update destinations, trackers, pagers): each a named kind with
settings that are shared through the store as events, and a secret that never is. A `Family` says which
stream and event kinds hold one sort, and checks a new one's settings against its kind."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, well_formed

_NAME = re.compile(r"^[#@~\w][\w .#@~-]{0,59}$")
# Settings that must be web addresses, and that decide where a connection's secret is sent. A kind with none
# of them (a Slack webhook: the address is the secret itself) sends to a host its kind implies. An OAuth
# token endpoint (a meeting bridge's) receives the client secret, so it counts too.
ADDRESSES = ("url", "api_url", "site", "homeserver", "base_url", "oauth_url", "token_url")


@dataclass(frozen=True)
class Endpoint:
    """Where a connection's secret goes, as its shared settings say: its kind and every address setting.
    A secret is bound to the `fingerprint` it was entered for, so a peer who re-adds the connection with
    their own address does not receive it (see app/connections.secret_for)."""

    kind: str
    addresses: tuple[tuple[str, str], ...] = ()  # (setting, address), sorted

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps([self.kind, [list(pair) for pair in self.addresses]], separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    @property
    def where(self) -> str:
        """The address in words: "https://x.example", or the kind's own service when the kind implies it."""
        if not self.addresses:
            return f"{self.kind}'s own address"
        return ", ".join(address for _setting, address in self.addresses)


def endpoint(kind: str, options: Mapping[str, str]) -> Endpoint:
    addresses = sorted(
        (key, str(value).strip().rstrip("/"))
        for key, value in options.items()
        if key in ADDRESSES and str(value).strip()
    )
    return Endpoint(kind.strip().lower(), tuple(addresses))


def loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure(options: Mapping[str, str]) -> str:
    """Why these settings would send a secret in clear text ("" when they would not): plain http:// is
    refused except to this machine (127.0.0.0/8, ::1, localhost), where no network carries it."""
    for key in ADDRESSES:
        value = str(options.get(key, "")).strip()
        if value.lower().startswith("http://"):
            try:
                host = urlsplit(value).hostname or ""
            except ValueError:
                host = ""
            if not loopback(host):
                return (
                    f"{key} {value} is plain http://, which would send the secret unencrypted: "
                    f"use its https:// address."
                )
    return ""


@dataclass(frozen=True)
class Kind:
    """A kind of connection: what its secret is and which settings (not secret) it takes."""

    key: str
    label: str
    secret: str  # what goes in the keyring, in words for the prompt
    required: tuple[str, ...] = ()  # settings it cannot work without
    optional: tuple[str, ...] = ()
    status_page: bool = False  # (destinations) creates an incident there, then updates it
    # the kind's own check of its settings (a room id's grammar, a page id): raises DomainError
    check: Callable[[Mapping[str, str]], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Connection:
    name: str
    kind: str
    options: dict[str, str]
    noun: str = "destination"  # its family's noun, which also names its secret in the keyring
    # every endpoint fingerprint this name was ever added with: more than one means it was re-added
    # elsewhere with other addresses, so a secret stored here before binding is not trusted blindly
    seen: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def secret_name(self) -> str:
        return f"{self.noun}:{self.name}"

    @property
    def endpoint(self) -> Endpoint:
        return endpoint(self.kind, self.options)


def endpoints_seen(events: Iterable[Event], noun: str) -> dict[str, frozenset[str]]:
    """For each name, the endpoint fingerprints of every `{noun}.added` there ever was for it (an alert
    source's `url` counts as a setting)."""
    seen: dict[str, set[str]] = {}
    for event in events:
        p: Any = event.payload
        if event.kind == f"{noun}.added" and well_formed(event):
            options = dict(p.get("options") or {})
            if "url" in p:
                options["url"] = p["url"]
            seen.setdefault(str(p.get("name")), set()).add(endpoint(str(p.get("kind", "")), options).fingerprint)
    return {name: frozenset(found) for name, found in seen.items()}


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
        ordered = sorted(filter(well_formed, events), key=lambda e: e.order)
        seen = endpoints_seen(ordered, self.noun)
        for event in ordered:
            p: Any = event.payload
            if event.kind == f"{self.noun}.added":
                found[p["name"]] = Connection(
                    p["name"], p["kind"], dict(p["options"]), self.noun, seen.get(p["name"], frozenset())
                )
            elif event.kind == f"{self.noun}.removed":
                found.pop(p["name"], None)
        return found

    def add(self, existing: dict[str, Connection], kind: str, name: str, options: dict[str, str]) -> list[EventDraft]:
        kind = kind.strip().lower()
        found = self.kinds.get(kind)
        if found is None:
            raise DomainError(f"Unknown {self.noun} kind '{kind}'. Use one of: {', '.join(self.kinds)}.")
        options = {key.strip(): value.strip() for key, value in options.items()}
        missing = [option for option in found.required if not options.get(option)]
        if missing:
            raise DomainError(
                f"A {kind} {self.noun} needs {' and '.join(missing)} (on the command line: "
                + " ".join(f"--option {m}=…" for m in missing)
                + ")."
            )
        unknown = sorted(set(options) - set(found.required) - set(found.optional))
        if unknown:
            known = found.required + found.optional
            raise DomainError(
                f"A {kind} {self.noun} has no setting {', '.join(unknown)}. "
                + (f"Its settings: {', '.join(known)}." if known else "It takes no settings.")
            )
        for option, value in options.items():
            if option in ADDRESSES and not value.startswith(("https://", "http://")):
                raise DomainError(f"{option} must be a web address starting with https:// (got '{value}').")
        if found.check is not None:
            found.check(options)
        if insecure(options):
            raise DomainError(insecure(options))
        name = name.strip()
        if not _NAME.match(name):
            raise DomainError(
                f"'{name}' cannot be a {self.noun}'s name: use up to 60 letters, digits, spaces, # @ ~ . - or _."
            )
        if name in existing:
            raise DomainError(f"There is already a {self.noun} called {name}. Remove it first to replace it.")
        return [EventDraft(self.stream, f"{self.noun}.added", {"name": name, "kind": kind, "options": options})]

    def remove(self, existing: dict[str, Connection], name: str) -> list[EventDraft]:
        if name not in existing:
            raise DomainError(f"No {self.noun} called {name}. `{self.listing}` shows them.")
        return [EventDraft(self.stream, f"{self.noun}.removed", {"name": name})]
