"""Triage decisions: the team's alert sources, alerts attached to an incident or marked as noise, alerts
ingested from a file, and the silences created for an incident. Each function returns drafts; nothing
is written here, and nothing here talks to a network.

Sources and ingested alerts are events in the `settings:alerts` stream, shared through the store like
destinations; a source's secret (a password, a token) stays in each computer's keyring. A noise mark
goes on the incident's timeline when it is about an incident's alert, else in `settings:alerts`:
analytics counts both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from commander.domain.alerts.alerts import FILE_SOURCE, Alert, AlertMapping, from_payload
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, incident_stream, well_formed
from commander.domain.core.policy import Policy
from commander.domain.core.text import clean_line
from commander.domain.core.when import iso
from commander.domain.incident.state import IncidentState, SilenceRecord

STREAM = "settings:alerts"
SOURCE_KINDS = {"alertmanager": "Prometheus Alertmanager (API v2)"}
AUTH_KINDS = ("none", "basic", "bearer")
OPTIONS = ("auth", "user", "filter", "severity_label", "severity_map", "service_labels")
SILENCE_MAX_MINUTES = 7 * 24 * 60
_NAME = re.compile(r"^\w[\w .@~-]{0,59}$")
_REASON_MAX = 500


@dataclass(frozen=True)
class AlertSource:
    name: str
    kind: str
    url: str
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def secret_name(self) -> str:
        return f"alert_source:{self.name}"

    @property
    def auth(self) -> str:
        return self.options.get("auth", "none")

    @property
    def filters(self) -> tuple[Matcher, ...]:
        return parse_matchers(self.options.get("filter", ""))

    def mapping(self) -> AlertMapping:
        return AlertMapping.from_options(self.options)


def fold_sources(events: Iterable[Event]) -> dict[str, AlertSource]:
    found: dict[str, AlertSource] = {}
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        p: Any = event.payload
        if event.kind == "alert_source.added":
            found[p["name"]] = AlertSource(p["name"], p["kind"], p["url"], dict(p["options"]))
        elif event.kind == "alert_source.removed":
            found.pop(p["name"], None)
    return found


def fold_ingested(events: Iterable[Event]) -> list[Alert]:
    """Ingested alerts still firing: the latest word on each fingerprint wins (a resolve ends it)."""
    latest: dict[str, Alert] = {}
    for event in sorted(events, key=lambda e: e.order):
        if event.kind == "alert.ingested" and well_formed(event):
            alert = from_payload(event.payload)
            latest[alert.fingerprint] = alert
    return [alert for alert in latest.values() if alert.firing]


def add_source(
    existing: Mapping[str, AlertSource], kind: str, name: str, url: str, options: Mapping[str, str], policy: Policy
) -> list[EventDraft]:
    kind = kind.strip().lower()
    if kind not in SOURCE_KINDS:
        raise DomainError(f"Unknown alert source kind '{kind}'. Use one of: {', '.join(SOURCE_KINDS)}.")
    name = name.strip()
    if not _NAME.match(name) or name == FILE_SOURCE:
        raise DomainError(
            f"'{name}' cannot be an alert source's name: use up to 60 letters, digits, spaces, "
            f". @ ~ - or _ (and not '{FILE_SOURCE}', which names alerts ingested from files)."
        )
    if name in existing:
        raise DomainError(f"There is already an alert source called {name}. Remove it first to replace it.")
    url = url.strip().rstrip("/")
    if not url.startswith(("https://", "http://")) or len(url) < 10:
        raise DomainError(
            f"The URL must be Alertmanager's web address, starting with https:// or http:// (got '{url}')."
        )
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise DomainError(f"An alert source has no setting {', '.join(unknown)}. Its settings: {', '.join(OPTIONS)}.")
    cleaned = {key: value.strip() for key, value in options.items() if value.strip()}
    auth = cleaned.setdefault("auth", "none")
    if auth not in AUTH_KINDS:
        raise DomainError(f"Unknown auth '{auth}'. Use one of: {', '.join(AUTH_KINDS)}.")
    if auth == "basic" and not cleaned.get("user"):
        raise DomainError("Basic auth needs a user name (on the command line: --user NAME).")
    if auth != "basic" and "user" in cleaned:
        raise DomainError("A user name is only used with basic auth (--auth basic).")
    parse_matchers(cleaned.get("filter", ""))
    AlertMapping.from_options(cleaned, policy)
    return [EventDraft(STREAM, "alert_source.added", {"name": name, "kind": kind, "url": url, "options": cleaned})]


def remove_source(existing: Mapping[str, AlertSource], name: str) -> list[EventDraft]:
    if name not in existing:
        raise DomainError(f"No alert source called {name}. `commander alerts source list` shows them.")
    return [EventDraft(STREAM, "alert_source.removed", {"name": name})]


def ingested(alerts: Iterable[Alert]) -> list[EventDraft]:
    return [EventDraft(STREAM, "alert.ingested", alert.to_payload()) for alert in alerts]


def attach(state: IncidentState, alerts: Iterable[Alert]) -> list[EventDraft]:
    if not state.declared:
        raise DomainError(f"No incident {state.reference} has been declared.")
    chosen = list(alerts)
    if not chosen:
        raise DomainError("No alerts chosen. Pick one or more firing alerts to attach.")
    fresh = [a for a in chosen if f"{a.source}/{a.fingerprint}" not in state.alerts]
    if not fresh:
        raise DomainError(
            f"{'That alert is' if len(chosen) == 1 else 'Those alerts are'} already attached to {state.reference}."
        )
    return attached(state.id, fresh)


def attached(incident_id: str, alerts: Iterable[Alert]) -> list[EventDraft]:
    """`alert.attached` for each alert (also written with a declaration made from them)."""
    drafts = []
    for alert in alerts:
        payload = alert.to_payload()
        del payload["status"]  # what is attached is the alert; whether it still fires is the source's to say
        drafts.append(EventDraft(incident_stream(incident_id), "alert.attached", payload))
    return drafts


def mark_noise(alerts: Iterable[Alert], reason: str, state: IncidentState | None = None) -> list[EventDraft]:
    """Noise: fired with nothing to act on. On the incident's timeline when one is given."""
    cleaned = clean_line(reason, field="reason", limit=_REASON_MAX)
    chosen = list(alerts)
    if not chosen:
        raise DomainError("No alerts chosen. Pick the alerts that are noise.")
    stream = incident_stream(state.id) if state is not None else STREAM
    return [
        EventDraft(
            stream, "alert.noise", {"source": a.source, "fingerprint": a.fingerprint, "name": a.name, "reason": cleaned}
        )
        for a in chosen
    ]


# -- silences ----------------------------------------------------------------------------------------

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,"]*?)\s*(?:,|$)')


@dataclass(frozen=True)
class Matcher:
    """An Alertmanager matcher: `name="value"`, `!=`, `=~` (regex, anchored by Alertmanager), `!~`."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def __str__(self) -> str:
        op = ("=~" if self.is_regex else "=") if self.is_equal else ("!~" if self.is_regex else "!=")
        quoted = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{op}"{quoted}"'

    def to_api(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "isRegex": self.is_regex, "isEqual": self.is_equal}


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """'env="prod", team=~"pay.*"' as matchers; an empty text is none."""
    found: list[Matcher] = []
    position, text = 0, text.strip()
    while position < len(text):
        match = _MATCHER.match(text, position)
        if match is None or match.end() == position:
            raise DomainError(
                f'\'{text[position:]}\' is not a matcher. Write them as name="value", name!="value", '
                f'name=~"regex" or name!~"regex", separated by commas.'
            )
        name, op, raw = match.groups()
        value = raw[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\") if raw.startswith('"') else raw
        found.append(Matcher(name, value, "~" in op, not op.startswith("!")))
        position = match.end()
    return tuple(found)


def silence_matchers(alerts: list[Alert]) -> tuple[Matcher, ...]:
    """Equality matchers on the labels every alert shares; when their names differ, one regex matcher
    on alertname naming each (Alertmanager anchors regexes, so it matches those names only)."""
    if not alerts:
        raise DomainError("No alerts chosen. Pick the alerts to silence.")
    common = dict(alerts[0].labels)
    for alert in alerts[1:]:
        common = {k: v for k, v in common.items() if alert.labels.get(k) == v}
    matchers = [Matcher(name, value) for name, value in sorted(common.items())]
    names = sorted({alert.name for alert in alerts})
    if "alertname" not in common:
        matchers.insert(0, Matcher("alertname", "|".join(re.escape(n) for n in names), is_regex=True))
    return tuple(matchers)


@dataclass(frozen=True)
class SilencePlan:
    """A silence about to be created in one source: shown to the person before anything leaves."""

    source: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str
    alerts: int

    def describe(self, time_format: Callable[[datetime], str] = iso) -> str:
        minutes = round((self.ends_at - self.starts_at).total_seconds() / 60)
        return (
            f"In {self.source}, for {minutes} minutes (until {time_format(self.ends_at)}), silence "
            f"{self.alerts} alert{'s' if self.alerts != 1 else ''} and any other matching:\n  "
            + "\n  ".join(str(m) for m in self.matchers)
            + f"\nComment: {self.comment}"
        )


def plan_silences(
    state: IncidentState, alerts: list[Alert], *, minutes: int, comment: str, me: str, now: datetime
) -> list[SilencePlan]:
    """One silence per source, matching the chosen alerts' common labels, with the incident's reference
    in the comment so whoever finds it in Alertmanager knows why it is there."""
    if not state.declared:
        raise DomainError(f"No incident {state.reference} has been declared.")
    if not 1 <= minutes <= SILENCE_MAX_MINUTES:
        raise DomainError(
            f"A silence lasts from 1 minute to {SILENCE_MAX_MINUTES:,} (a week); {minutes} is "
            f"outside that. A longer one would hide the next incident: fix the alert instead."
        )
    if not alerts:
        raise DomainError(f"No alerts to silence: attach {state.reference}'s alerts first, or pick them.")
    ingested = [a for a in alerts if a.source == FILE_SOURCE]
    if ingested:
        raise DomainError(
            f"{ingested[0].name} was ingested from a file: no Alertmanager holds it to silence it. "
            f"Silence it where it fires."
        )
    note = clean_line(comment, field="comment", limit=_REASON_MAX, required=False)
    text = f"{state.reference}: {note}" if note else f"{state.reference} ({state.title})"
    by_source: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_source.setdefault(alert.source, []).append(alert)
    return [
        SilencePlan(
            source, silence_matchers(chosen), now, now + timedelta(minutes=minutes), text[:_REASON_MAX], me, len(chosen)
        )
        for source, chosen in by_source.items()
    ]


def silence_created(state: IncidentState, plan: SilencePlan, silence_id: str) -> list[EventDraft]:
    return [
        EventDraft(
            incident_stream(state.id),
            "silence.created",
            {
                "source": plan.source,
                "silence_id": silence_id,
                "matchers": [str(m) for m in plan.matchers],
                "ends_at": iso(plan.ends_at),
                "comment": plan.comment,
            },
        )
    ]


def silence_expired(state: IncidentState, source: str, silence_id: str) -> list[EventDraft]:
    return [EventDraft(incident_stream(state.id), "silence.expired", {"source": source, "silence_id": silence_id})]


def attached_alerts(state: IncidentState) -> list[Alert]:
    """The incident's attached alerts, as alerts (their labels are what a silence matches)."""
    return [
        Alert(a.fingerprint, a.name, a.labels, {}, a.starts_at, "", "firing", a.source) for a in state.alerts.values()
    ]


def open_silences(state: IncidentState, now: datetime) -> list[SilenceRecord]:
    """This incident's silences not expired yet (neither by Commander nor by their end time)."""
    return [s for s in state.silences.values() if not s.expired and s.ends_at > now]
