"""Alerts from monitoring, as the on-call engineer triages them: one model for every source, grouping by
alert name and service, a severity proposed from labels, and what declaring from alerts proposes.

The model follows Alertmanager's API v2 (`api/v2/openapi.yaml`, gettableAlert: `labels`, `annotations`,
`fingerprint`, `startsAt`, `generatorURL`, `status.state` of unprocessed / active / suppressed, with
`silencedBy` and `inhibitedBy`). Webhook (version 4) alerts carry the same fields with `status` firing or
resolved; PagerDuty Events v2 events are mapped onto them (see `from_pagerduty`). Everything here is
text from another system: it is kept as text and never rendered as markup.

Pushed alerts become `alert.ingested` events that every console replicates for ever, so what is pushed
is bounded and refused whole, with the limit named, when it exceeds one (`parse_pushed`). Alerts read
from Alertmanager's API are only shown until someone attaches them, so there an oversize label or
annotation is left out or cut instead (`within_limits`), and one odd alert never hides the rest.
Neither service publishes limits of its own that are smaller than these:
- Alertmanager's webhook sends every alert of a group unless `max_alerts` is set (default 0, no limit),
  https://prometheus.io/docs/alerting/latest/configuration/#webhook_config ; a message is nested five
  levels deep (message, alerts, alert, labels).
- Prometheus bounds labels only when asked (`label_limit`, `label_name_length_limit`,
  `label_value_length_limit`, default 0: no limit),
  https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config
- PagerDuty Events API v2: `dedup_key` at most 255 characters, `summary` at most 1,024
  (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/), an event at most 512 KB
  (https://developer.pagerduty.com/docs/events-api-v2/overview/, "Size Limits").
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from commander.domain.alerts.bounded_json import TooDeep
from commander.domain.alerts.bounded_json import loads as bounded_loads
from commander.domain.core.errors import DomainError
from commander.domain.core.policy import Policy
from commander.domain.core.text import SERVICE_MAX, SUMMARY_MAX, TITLE_MAX
from commander.domain.core.when import LATEST, iso

FILE_SOURCE = "file"  # alerts ingested from a file or standard input
FIRING = frozenset({"active", "unprocessed", "suppressed", "firing", "triggered", "acknowledged"})
# Severity label values to the policy's levels. `page` is an alert meant to wake someone: SEV2 is the
# policy's first level that pages the on-call at once; SEV1 ("all hands") stays a person's call.
DEFAULT_LEVELS: Mapping[str, str] = MappingProxyType(
    {"page": "SEV2", "critical": "SEV2", "error": "SEV3", "warning": "SEV3", "info": "SEV4"}
)
DEFAULT_SERVICE_LABELS = ("service", "job")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Bounds on alerts from outside (see the module's docstring for what the services themselves allow).
PUSHED_MAX_BYTES = 5 * 1024 * 1024  # a pushed file: 5,000 alerts of ordinary size take about 3.5 MB
MAX_DEPTH = 64  # a webhook message nests 5 levels deep; PagerDuty's custom_details a few more
PUSHED_MAX_ALERTS = 5_000  # per file: each becomes an event on every console
MAX_ENTRIES = 100  # labels, and annotations, per alert
KEY_MAX = 256  # a label's or annotation's name
LABEL_MAX = 2_048  # a label's value (instance URLs, pod names, paths)
ANNOTATION_MAX = 16_384  # an annotation's value (summary, description, details)
LABELS_TOTAL = 50_000  # all of an alert's label values together (the event schema allows 200,000)
ANNOTATIONS_TOTAL = 200_000  # all of its annotation values together (the event schema allows 500,000)
FINGERPRINT_MAX = 255  # PagerDuty's dedup_key limit; Alertmanager's fingerprints are 16 characters
URL_MAX = 8_192  # generatorURL carries a PromQL expression
STATUS_MAX = 32


@dataclass(frozen=True)
class Alert:
    """One alert. `key` (source and fingerprint) names it across sources."""

    fingerprint: str
    name: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    generator_url: str
    status: str  # active, suppressed, unprocessed (Alertmanager); firing, resolved (webhook, PagerDuty)
    source: str
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.fingerprint)

    @property
    def firing(self) -> bool:
        return self.status in FIRING

    @property
    def silenced(self) -> bool:
        return bool(self.silenced_by)

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or ""

    @property
    def runbook_url(self) -> str:
        return self.annotations.get("runbook_url") or self.annotations.get("runbook") or ""

    def to_payload(self) -> dict[str, Any]:
        """The event payload form (alert.attached, alert.ingested)."""
        return {
            "source": self.source,
            "fingerprint": self.fingerprint,
            "name": self.name,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": iso(self.starts_at),
            "generator_url": self.generator_url,
            "status": self.status,
        }


def from_payload(payload: Mapping[str, Any]) -> Alert:
    return Alert(
        payload["fingerprint"],
        payload["name"],
        dict(payload["labels"]),
        dict(payload["annotations"]),
        _time(payload["starts_at"]),
        payload["generator_url"],
        payload.get("status", "firing"),
        payload["source"],
    )


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's own fingerprint of a label set (FNV-1a 64 over sorted names and values, each
    followed by 0xff, as prometheus/common's model.LabelSet.Fingerprint), for alerts that lack one."""
    value = 0xCBF29CE484222325
    for name in sorted(labels):
        for byte in name.encode() + b"\xff" + labels[name].encode() + b"\xff":
            value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def from_api(item: Mapping[str, Any], source: str) -> Alert:
    """One gettableAlert from GET /api/v2/alerts, or one alert of a webhook (version 4) message."""
    labels = _strings(item.get("labels"))
    annotations = _strings(item.get("annotations"))
    status = item.get("status")
    if isinstance(status, Mapping):  # API v2: {"state": ..., "silencedBy": [...], "inhibitedBy": [...]}
        state = str(status.get("state") or "active")
        silenced = tuple(str(s) for s in status.get("silencedBy") or ())
        inhibited = tuple(str(s) for s in status.get("inhibitedBy") or ())
    else:  # webhook: "firing" or "resolved"
        state, silenced, inhibited = str(status or "firing"), (), ()
    return Alert(
        str(item.get("fingerprint") or fingerprint(labels)),
        labels.get("alertname", "(no alertname)"),
        labels,
        annotations,
        _time(item.get("startsAt")),
        str(item.get("generatorURL") or ""),
        state,
        source,
        silenced,
        inhibited,
    )


def from_pagerduty(event: Mapping[str, Any], source: str) -> Alert:
    """A PagerDuty Events API v2 alert event: `event_action` trigger / acknowledge / resolve, `dedup_key`,
    and `payload` with `summary`, `source`, `severity` (critical, error, warning, info), `timestamp`,
    `component`, `group`, `class` and `custom_details`; `links` [{href, text}] and `client_url` beside it.
    The payload's group (else component) is the service; the class (else the summary) names the alert."""
    body = event.get("payload")
    if not isinstance(body, Mapping):
        body = {}
    summary = str(body.get("summary") or "")
    name = str(body.get("class") or summary[:80] or "PagerDuty event")
    labels = {"alertname": name}
    for label, key in (
        ("severity", "severity"),
        ("instance", "source"),
        ("component", "component"),
        ("group", "group"),
    ):
        if body.get(key):
            labels[label] = str(body[key])
    service = body.get("group") or body.get("component")
    if service:
        labels["service"] = str(service)
    annotations = {"summary": summary} if summary else {}
    if body.get("custom_details") is not None:
        details = body["custom_details"]
        # Our own rendering of free-form JSON (PagerDuty allows 512 KB of it): cut, never a reason to refuse.
        text = details if isinstance(details, str) else json.dumps(details, sort_keys=True)
        annotations["details"] = _clip(text, ANNOTATION_MAX)
    for link in event.get("links") or ():
        if isinstance(link, Mapping) and "runbook" in str(link.get("text", "")).lower() and link.get("href"):
            annotations.setdefault("runbook_url", str(link["href"]))
    key = str(event.get("dedup_key") or fingerprint(labels))
    action = str(event.get("event_action") or "trigger")
    status = {"trigger": "firing", "acknowledge": "acknowledged", "resolve": "resolved"}.get(action, action)
    return Alert(
        key, name, labels, annotations, _time(body.get("timestamp")), str(event.get("client_url") or ""), status, source
    )


def parse_pushed(text: str, source: str) -> list[Alert]:
    """Alerts pushed as JSON: Alertmanager webhook messages (version 4: {"receiver", "status", "alerts": [...],
    "groupLabels", ...}) or PagerDuty Events v2 events ({"routing_key", "event_action", "dedup_key",
    "payload": {...}}), one or a list of them. The routing key is never kept. Anything beyond the limits
    above is refused whole, naming the limit: nothing of it is stored."""
    _check_size(text)
    try:
        data = bounded_loads(text, max_depth=MAX_DEPTH)
    except TooDeep:
        raise DomainError(
            f"The payload nests deeper than {MAX_DEPTH} levels; Alertmanager and PagerDuty never "
            f"send that: refused, nothing was ingested."
        ) from None
    except ValueError as error:
        raise DomainError(
            f"That is not JSON ({error}). Give Alertmanager webhook JSON or PagerDuty Events v2 "
            f"JSON, or a list of them."
        ) from None
    messages = data if isinstance(data, list) else [data]
    count = sum(
        len(m["alerts"]) if isinstance(m, Mapping) and isinstance(m.get("alerts"), list) else 1 for m in messages
    )
    if count > PUSHED_MAX_ALERTS:
        raise DomainError(
            f"The payload holds {count:,} alerts; the limit is {PUSHED_MAX_ALERTS:,} at a time. Split "
            f"it (Alertmanager's webhook setting max_alerts does): refused, nothing was ingested."
        )
    found: list[Alert] = []
    for number, message in enumerate(messages, start=1):
        where = f"Message {number}" if len(messages) > 1 else "The message"
        if isinstance(message, Mapping) and isinstance(message.get("alerts"), list):
            found += [from_api(item, source) for item in message["alerts"] if isinstance(item, Mapping)]
        elif isinstance(message, Mapping) and "event_action" in message:
            _check_pagerduty(message, where)
            found.append(from_pagerduty(message, source))
        else:
            raise DomainError(
                f"{where} is neither an Alertmanager webhook message (no 'alerts' list) nor a "
                f"PagerDuty Events v2 event (no 'event_action')."
            )
    if not found:
        raise DomainError("No alerts in that JSON: the webhook messages hold an empty 'alerts' list.")
    for number, alert in enumerate(found, start=1):
        check_limits(
            alert,
            f"Alert {number} ({_clip(alert.name, 60)})" if len(found) > 1 else f"The alert ({_clip(alert.name, 60)})",
        )
    return found


def _check_size(text: str) -> None:
    size = len(text)
    if size <= PUSHED_MAX_BYTES < 4 * size:  # UTF-8 takes 1 to 4 bytes a character: count only when it matters
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > PUSHED_MAX_BYTES:
        raise DomainError(
            f"The payload is {size:,} bytes; the limit is {PUSHED_MAX_BYTES:,} (5 MB) at a time. "
            f"Split it into smaller files: refused, nothing was ingested."
        )


def _check_pagerduty(message: Mapping[str, Any], where: str) -> None:
    action = message["event_action"]
    if action not in ("trigger", "acknowledge", "resolve"):
        raise DomainError(
            f"{where} has event_action '{_clip(str(action), 40)}': a PagerDuty alert event is trigger, "
            f"acknowledge or resolve."
        )
    payload = message.get("payload")
    if action == "trigger" and not (isinstance(payload, Mapping) and payload.get("summary")):
        raise DomainError(f"{where} is a PagerDuty trigger without payload.summary: it has nothing to show.")
    if action != "trigger" and not message.get("dedup_key"):
        raise DomainError(f"{where} is a PagerDuty {action} without the dedup_key of the alert it is about.")


def check_limits(alert: Alert, where: str) -> None:
    """Refuse an alert (of a pushed payload) that exceeds a limit, naming the limit and what exceeded it."""
    refused = "refused, nothing was ingested."
    for kind, entries, value_max, total_max in (
        ("labels", alert.labels, LABEL_MAX, LABELS_TOTAL),
        ("annotations", alert.annotations, ANNOTATION_MAX, ANNOTATIONS_TOTAL),
    ):
        if len(entries) > MAX_ENTRIES:
            raise DomainError(f"{where} has {len(entries):,} {kind}; the limit is {MAX_ENTRIES}: {refused}")
        total = sum(len(value) for value in entries.values())
        if total > total_max:
            raise DomainError(
                f"{where} has {kind} of {total:,} characters in all; the limit is {total_max:,}: {refused}"
            )
        for key, value in entries.items():
            if len(key) > KEY_MAX:
                raise DomainError(
                    f"{where} has a name among its {kind} of {len(key):,} characters; the limit is {KEY_MAX}: {refused}"
                )
            if len(value) > value_max:
                raise DomainError(
                    f"{where} has {kind[:-1]} '{_clip(key, 60)}' of {len(value):,} characters; the "
                    f"limit is {value_max:,}: {refused}"
                )
    for field_name, value, limit in (
        ("fingerprint", alert.fingerprint, FINGERPRINT_MAX),
        ("generatorURL", alert.generator_url, URL_MAX),
        ("status", alert.status, STATUS_MAX),
    ):
        if len(value) > limit:
            raise DomainError(
                f"{where} has a {field_name} of {len(value):,} characters; the limit is {limit:,}: {refused}"
            )


def within_limits(alert: Alert) -> Alert:
    """An alert read from a source, kept within the limits: over-long labels and names are left out (a
    silence then matches on the others, never on a cut value), annotations are cut, the rest is dropped."""
    named_first = sorted(alert.labels.items(), key=lambda item: (item[0] != "alertname", item[0]))
    labels = _budget(
        {k: v for k, v in named_first[:MAX_ENTRIES] if len(k) <= KEY_MAX and len(v) <= LABEL_MAX},
        LABELS_TOTAL,
        cut=False,
    )
    annotations = _budget(
        {k: _clip(v, ANNOTATION_MAX) for k, v in sorted(alert.annotations.items())[:MAX_ENTRIES] if len(k) <= KEY_MAX},
        ANNOTATIONS_TOTAL,
        cut=True,
    )
    if (
        len(labels) == len(alert.labels)
        and annotations == alert.annotations
        and len(alert.fingerprint) <= FINGERPRINT_MAX
        and len(alert.generator_url) <= URL_MAX
        and len(alert.status) <= STATUS_MAX
    ):
        return alert
    return Alert(
        alert.fingerprint if len(alert.fingerprint) <= FINGERPRINT_MAX else fingerprint(labels),
        _clip(alert.name, LABEL_MAX),
        labels,
        annotations,
        alert.starts_at,
        alert.generator_url if len(alert.generator_url) <= URL_MAX else "",
        alert.status if len(alert.status) <= STATUS_MAX else "active",
        alert.source,
        alert.silenced_by,
        alert.inhibited_by,
    )


def _budget(entries: dict[str, str], total: int, *, cut: bool) -> dict[str, str]:
    """The entries, in order, while their values fit in `total` characters; with `cut`, the one that
    crosses it is cut to fit (an annotation), else left out (a label)."""
    kept: dict[str, str] = {}
    left = total
    for key, value in entries.items():
        if len(value) > left:
            if cut and left > 1:
                kept[key] = _clip(value, left)
            break
        kept[key] = value
        left -= len(value)
    return kept


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _time(value: Any) -> datetime:
    """An RFC 3339 time; Go's zero time and anything unreadable become the epoch, shown as 'unknown'."""
    if not isinstance(value, str) or not value:
        return _EPOCH
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return _EPOCH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        return _EPOCH
    return moment if _EPOCH < moment < LATEST else _EPOCH


def known_time(moment: datetime) -> bool:
    return moment > _EPOCH


# -- how a team reads its labels --------------------------------------------------------------------


@dataclass(frozen=True)
class AlertMapping:
    """Which label says the severity and what its values mean in the policy, and which labels name the
    service (the first present wins). Kept per source in its options, shared with the team."""

    severity_label: str = "severity"
    levels: Mapping[str, str] = field(default_factory=lambda: DEFAULT_LEVELS)
    service_labels: tuple[str, ...] = DEFAULT_SERVICE_LABELS

    def service(self, alert: Alert) -> str:
        for label in self.service_labels:
            value = alert.labels.get(label)
            if value:
                return value
        return ""

    def severity(self, alert: Alert) -> str | None:
        """The policy level this alert's severity label maps to; None when it has none or an unmapped one."""
        return self.levels.get(alert.labels.get(self.severity_label, "").strip().lower())

    @classmethod
    def from_options(cls, options: Mapping[str, str], policy: Policy | None = None) -> AlertMapping:
        """Read `severity_label`, `severity_map` ("critical=SEV1,warning=SEV3": replaces the defaults
        it names) and `service_labels` ("app,job"). With a policy, every level must be one of its own."""
        levels = dict(DEFAULT_LEVELS)
        for item in _split(options.get("severity_map", "")):
            value, sep, level = item.partition("=")
            if not sep or not value.strip() or not level.strip():
                raise DomainError(f"'{item}' in severity_map is not VALUE=LEVEL (e.g. critical=SEV1).")
            levels[value.strip().lower()] = policy.severity(level).key if policy else level.strip().upper()
        services = tuple(_split(options.get("service_labels", ""))) or DEFAULT_SERVICE_LABELS
        label = options.get("severity_label", "").strip() or "severity"
        return cls(label, MappingProxyType(levels), services)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


MappingFor = Callable[[str], AlertMapping]  # a source's name to its mapping


# -- grouping ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertGroup:
    """Firing alerts that share an alert name and a service; `severity` is the most severe level any of
    them maps to ("" when none maps)."""

    name: str
    service: str
    severity: str
    alerts: tuple[Alert, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.service)

    @property
    def summary(self) -> str:
        return next((a.summary for a in self.alerts if a.summary), "")


def group_alerts(alerts: Iterable[Alert], mapping_for: MappingFor, policy: Policy) -> list[AlertGroup]:
    """Groups, most severe first, then the biggest, then by name; alerts oldest first within a group."""
    ranks = {s.key: s.rank for s in policy.severities}
    unranked = len(ranks)
    members: dict[tuple[str, str], list[Alert]] = {}
    worst: dict[tuple[str, str], str] = {}
    mappings: dict[str, AlertMapping] = {}
    for alert in alerts:
        mapping = mappings.get(alert.source) or mappings.setdefault(alert.source, mapping_for(alert.source))
        key = (alert.name, mapping.service(alert))
        members.setdefault(key, []).append(alert)
        level = mapping.severity(alert)
        if level and ranks.get(level, unranked) < ranks.get(worst.get(key, ""), unranked):
            worst[key] = level
    groups = [
        AlertGroup(
            name,
            service,
            worst.get((name, service), ""),
            tuple(sorted(found, key=lambda a: (a.starts_at, a.fingerprint))),
        )
        for (name, service), found in members.items()
    ]
    groups.sort(key=lambda g: (ranks.get(g.severity, unranked), -len(g.alerts), g.name.lower(), g.service))
    return groups


# -- declaring from alerts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """What a declaration from alerts starts with; the person changes any of it before declaring."""

    title: str
    severity: str
    services: tuple[str, ...]
    summary: str  # the impact: the lead alerts' description annotation, if they have one
    detected_at: datetime | None


def propose(alerts: list[Alert], mapping_for: MappingFor, policy: Policy, *, now: datetime) -> Proposal:
    if not alerts:
        raise DomainError("No alerts chosen. Pick one or more firing alerts to declare from.")
    groups = group_alerts(alerts, mapping_for, policy)
    names = Counter(alert.name for alert in alerts)
    lead = groups[0]
    title = f"{lead.name}: {lead.summary}" if lead.summary else lead.name
    if len(names) > 1:
        title += f" (and {len(names) - 1} more alert{'s' if len(names) > 2 else ''})"
    severity = next(
        (g.severity for g in groups if g.severity and policy.find_severity(g.severity)), policy.default_severity
    )
    services = tuple(dict.fromkeys(g.service[:SERVICE_MAX].replace(",", " ") for g in groups if g.service))
    # The impact is a person's judgement; an alert's description is only where it may start from. Which
    # alerts fired is on the timeline already, one entry each.
    impact = next((a.annotations["description"] for a in lead.alerts if a.annotations.get("description")), "")
    started = [a.starts_at for a in alerts if known_time(a.starts_at)]
    detected = min(min(started), now) if started else None
    return Proposal(_clip(title, TITLE_MAX), severity, services, _clip(impact, SUMMARY_MAX), detected)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def find(alerts: Iterable[Alert], wanted: Iterable[str]) -> list[Alert]:
    """Alerts by fingerprint or an unambiguous start of one (four characters or more)."""
    pool = list(alerts)
    found: dict[tuple[str, str], Alert] = {}
    for text in wanted:
        prefix = text.strip().lower()
        if len(prefix) < 4:
            raise DomainError(
                f"'{text}' is too short to pick an alert: give at least four characters of its "
                f"fingerprint (`commander alerts list` shows them)."
            )
        matches = [a for a in pool if a.fingerprint.lower().startswith(prefix)]
        if not matches:
            raise DomainError(
                f"No firing alert has a fingerprint starting with '{text}'. "
                f"`commander alerts list` shows the firing ones."
            )
        if len({a.fingerprint for a in matches}) > 1:
            raise DomainError(f"'{text}' matches {len(matches)} alerts. Type more of the fingerprint.")
        for alert in matches:
            found.setdefault(alert.key, alert)
    return list(found.values())
