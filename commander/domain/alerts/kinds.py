"""The alert event kinds: alert sources and ingested alerts in "settings:alerts"; alerts attached to an
incident, alerts marked as noise and the silences made for it in the incident's stream."""

from __future__ import annotations

from commander.domain.core.events import Event
from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, Shown, register
from commander.domain.core.schema import (
    ADDRESS,
    MANY,
    TEXT,
    a_line,
    a_name,
    a_text,
    an_address,
    moment,
    options,
    record,
    text,
    text_map,
    texts,
)
from commander.domain.core.when import from_iso
from commander.domain.incident.state import AttachedAlert, IncidentState, SilenceRecord
from commander.domain.timeline.context import Context

_ALERT = {
    "source": a_line,
    "fingerprint": a_line,
    "name": text(ADDRESS),
    "labels": text_map(key=1_000, value=ADDRESS, most=500, total=200_000),
    "annotations": text_map(key=1_000, value=TEXT, most=500, total=500_000),
    "starts_at": moment,
    "generator_url": an_address,
}

# -- folds -------------------------------------------------------------------------------------------


def _attached(state: IncidentState, event: Event) -> None:
    p = event.payload
    state.alerts[f"{p['source']}/{p['fingerprint']}"] = AttachedAlert(
        p["source"], p["fingerprint"], p["name"], dict(p["labels"]), from_iso(p["starts_at"])
    )


def _silence_created(state: IncidentState, event: Event) -> None:
    p = event.payload
    state.silences[p["silence_id"]] = SilenceRecord(
        p["source"], p["silence_id"], list(p["matchers"]), from_iso(p["ends_at"]), p["comment"]
    )


def _silence_expired(state: IncidentState, event: Event) -> None:
    silence = state.silences.get(event.payload["silence_id"])
    if silence is not None:
        silence.expired = True


# -- the timeline's words ----------------------------------------------------------------------------

_NOTABLE = ("service", "job", "instance", "severity")  # labels worth a glance on the timeline


def _describe_attached(event: Event, context: Context) -> str:
    p = event.payload
    shown = ", ".join(f"{k}={p['labels'][k]}" for k in _NOTABLE if p["labels"].get(k))
    summary = p["annotations"].get("summary") or p["annotations"].get("description") or ""
    return (
        f"Alert attached from {p['source']}: {p['name']}"
        + (f" ({shown})" if shown else "")
        + (f": {summary}" if summary else "")
    )


def _describe_noise(event: Event, context: Context) -> str:
    p = event.payload
    return f"Alert marked as noise: {p['name']} from {p['source']}: {p['reason']}"


def _describe_silence_created(event: Event, context: Context) -> str:
    p = event.payload
    return (
        f"Silence created in {p['source']} until {context.time_format(from_iso(p['ends_at']))}: "
        f"{', '.join(p['matchers'])}" + (f" ({p['comment']})" if p["comment"] else "")
    )


def _describe_silence_expired(event: Event, context: Context) -> str:
    """Read after the fold applied the event, so an expiry finds its silence's matchers."""
    p = event.payload
    silence = context.state.silences.get(p["silence_id"])
    what = ", ".join(silence.matchers) if silence else f"silence {p['silence_id'][:8]}"
    return f"Silence expired in {p['source']}: {what}"


# -- the kinds ---------------------------------------------------------------------------------------

KINDS = register(
    EventKind(
        "alert_source.added",
        record({"name": a_name, "kind": a_line, "url": an_address, "options": options}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind("alert_source.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
    EventKind("alert.ingested", record({**_ALERT, "status": a_line}), NOT_FOLDED, NOT_SHOWN),
    EventKind("alert.attached", record(_ALERT), _attached, Shown("alert", _describe_attached)),
    EventKind(
        "alert.noise",
        record({"source": a_line, "fingerprint": a_line, "name": text(ADDRESS), "reason": a_text}),
        NOT_FOLDED,
        Shown("alert", _describe_noise),
    ),
    EventKind(
        "silence.created",
        record(
            {
                "source": a_line,
                "silence_id": a_line,
                "matchers": texts(ADDRESS, MANY),
                "ends_at": moment,
                "comment": a_text,
            }
        ),
        _silence_created,
        Shown("alert", _describe_silence_created),
    ),
    EventKind(
        "silence.expired",
        record({"source": a_line, "silence_id": a_line}),
        _silence_expired,
        Shown("alert", _describe_silence_expired),
    ),
)
