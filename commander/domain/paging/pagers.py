"""The team's paging providers ("pagers"), as events in the `settings:paging` stream, shared like the
update destinations. A pager's secret (a PagerDuty routing key) is never in an event: each console keeps
it in its own OS keyring under `secret_name`.

Two kinds. `pagerduty`: one Events API v2 integration (one routing key) per pager; the person paged is
named in the alert's summary and details, and PagerDuty's service routes it. Optionally a second secret, a
read-only REST API key (kept under `pager-rest:NAME`, bound to `rest_url`, PagerDuty's by default), with
which Commander reads back who acknowledged each page in PagerDuty. `chat`: a mention posted
through an update destination that already exists, with a map from people to how that chat mentions
them ("Sam=<@U123>,Alex=@alex"); someone missing from the map is named but not notified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, well_formed

STREAM = "settings:paging"
ROUTING_KEY_LENGTH = 32  # "the 32 character Integration Key" (PagerDuty, Send an Alert Event)
CHAT_KINDS = ("slack", "slack-api", "mattermost", "discord", "teams", "matrix", "webhook")  # not status pages


@dataclass(frozen=True)
class PagerKind:
    key: str
    label: str
    secret: str  # what goes in the keyring, in words; "" when the kind has none
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


PAGER_KINDS: dict[str, PagerKind] = {
    k.key: k
    for k in (
        PagerKind(
            "pagerduty",
            "PagerDuty (Events API v2)",
            "the integration's routing key (32 characters)",
            (),
            ("api_url", "link", "rest_url"),
        ),
        PagerKind("chat", "A mention through an update destination", "", ("destination",), ("mention",)),
    )
}
_NAME = re.compile(r"^[#@~\w][\w .#@~-]{0,59}$")
_ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")


@dataclass(frozen=True)
class PagerConfig:
    name: str
    kind: str
    options: dict[str, str]

    @property
    def secret_name(self) -> str:
        return f"pager:{self.name}"

    @property
    def label(self) -> str:
        """How people see it: "PagerDuty", "Payments team (PagerDuty)", "#oncall (chat)"."""
        if self.kind == "pagerduty":
            return self.name if "pagerduty" in self.name.casefold() else f"{self.name} (PagerDuty)"
        return f"{self.name} (chat)"

    def mentions(self) -> dict[str, str]:
        """The chat map as {casefolded person: mention}."""
        return {person.casefold(): mention for person, mention in mention_map(self.options.get("mention", "")).items()}

    def mention(self, person: str) -> str | None:
        return self.mentions().get(person.strip().casefold())


def mention_map(option: str) -> dict[str, str]:
    """ "Sam=<@U123>, Alex=@alex" as {"Sam": "<@U123>", "Alex": "@alex"}."""
    found: dict[str, str] = {}
    for item in option.split(","):
        person, sep, mention = item.partition("=")
        if sep and person.strip() and mention.strip():
            found[person.strip()] = mention.strip()
    return found


def fold_pagers(events: list[Event]) -> dict[str, PagerConfig]:
    found: dict[str, PagerConfig] = {}
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        p: Any = event.payload
        if event.kind == "pager.added":
            found[p["name"]] = PagerConfig(p["name"], p["kind"], {str(k): str(v) for k, v in p["options"].items()})
        elif event.kind == "pager.removed":
            found.pop(p["name"], None)
    return found


def add_pager(
    existing: dict[str, PagerConfig], kind: str, name: str, options: dict[str, str], destinations: dict[str, str]
) -> list[EventDraft]:
    """`destinations`: the update destinations there are, name to kind (a chat pager posts through one)."""
    kind = kind.strip().lower()
    found = PAGER_KINDS.get(kind)
    if found is None:
        raise DomainError(f"Unknown pager kind '{kind}'. Use one of: {', '.join(PAGER_KINDS)}.")
    missing = [option for option in found.required if not options.get(option, "").strip()]
    if missing:
        raise DomainError(
            f"A {kind} pager needs {' and '.join(missing)} (on the command line: "
            + " ".join(f"--option {m}=…" for m in missing)
            + ")."
        )
    unknown = sorted(set(options) - set(found.required) - set(found.optional))
    if unknown:
        known = found.required + found.optional
        raise DomainError(f"A {kind} pager has no setting {', '.join(unknown)}. Its settings: {', '.join(known)}.")
    for address in ("api_url", "rest_url"):
        if options.get(address) and not options[address].startswith(("https://", "http://")):
            raise DomainError(f"{address} must be a web address starting with https:// (got '{options[address]}').")
    if kind == "chat":
        destination = options["destination"].strip()
        if destination not in destinations:
            raise DomainError(
                f"No update destination called {destination}. A chat pager posts through one: "
                f"add it with `commander destination add`, or use one of: "
                f"{', '.join(destinations) or 'none yet'}."
            )
        if destinations[destination] not in CHAT_KINDS:
            raise DomainError(
                f"{destination} is a {destinations[destination]} status page, which the public reads: "
                f"page people through a chat destination instead."
            )
        if options.get("mention", "").strip() and not mention_map(options["mention"]):
            raise DomainError(
                "mention maps people to how the chat mentions them, e.g. mention='Sam=<@U0123ABC>,Alex=@alex'."
            )
    name = name.strip()
    if not _NAME.match(name):
        raise DomainError(f"'{name}' cannot be a pager's name: use up to 60 letters, digits, spaces, # @ ~ . - or _.")
    if name in existing:
        raise DomainError(f"There is already a pager called {name}. Remove it first to replace it.")
    return [
        EventDraft(
            STREAM, "pager.added", {"name": name, "kind": kind, "options": {k: v.strip() for k, v in options.items()}}
        )
    ]


def remove_pager(existing: dict[str, PagerConfig], name: str) -> list[EventDraft]:
    if name not in existing:
        raise DomainError(f"No pager called {name}. `commander pager list` shows them.")
    return [EventDraft(STREAM, "pager.removed", {"name": name})]


def check_routing_key(secret: str) -> str:
    """The routing key as PagerDuty issues it: 32 letters and digits (an integration key, or a ruleset's)."""
    key = secret.strip()
    if not _ROUTING_KEY.match(key):
        raise DomainError(
            f"That is not a PagerDuty routing key: one is {ROUTING_KEY_LENGTH} letters and digits "
            f"(got {len(key)} characters). Copy the Integration Key from the service's Events API v2 "
            f"integration in PagerDuty."
        )
    return key


_API_KEY = re.compile(r"^[A-Za-z0-9_+=.-]{16,100}$")


def check_api_key(secret: str) -> str:
    """A PagerDuty REST API key as PagerDuty issues them (20 characters today, letters, digits, + _ -)."""
    key = secret.strip()
    if not _API_KEY.match(key):
        raise DomainError(
            f"That is not a PagerDuty REST API key (got {len(key)} characters): create a read-only key in "
            f"PagerDuty under Integrations, API Access Keys, and copy it whole."
        )
    return key


def choose(existing: dict[str, PagerConfig], name: str | None) -> PagerConfig:
    """The named pager, or the only one there is."""
    if name:
        if name not in existing:
            raise DomainError(f"No pager called {name}. Pagers: {', '.join(existing) or 'none yet'}.")
        return existing[name]
    if not existing:
        raise DomainError(
            "No pager yet: add PagerDuty with `commander pager add pagerduty NAME`, or a chat "
            "mention with `commander pager add chat NAME --option destination=…`."
        )
    if len(existing) > 1:
        raise DomainError(f"Choose a pager: {', '.join(existing)} (on the command line: --pager NAME).")
    return next(iter(existing.values()))
