"""The action-item event kinds, in the incident's stream (an item's id is its action.created event's id),
and the trackers items are pushed to, in "settings:trackers"."""

from __future__ import annotations

from typing import Any

from commander.domain.actions.items import action_reference
from commander.domain.core.events import Event
from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, Shown, register
from commander.domain.core.schema import (
    TEXT,
    a_line,
    a_name,
    a_text,
    all_of,
    an_address,
    an_id,
    boolean,
    day,
    options,
    record,
    text_map,
)
from commander.domain.incident.state import IncidentState
from commander.domain.timeline.context import Context

# action.updated: the fields an item has (items._VALID and due); others a newer console adds are text.
_CHANGES = all_of(
    text_map(key=100, value=TEXT, most=32),
    record(
        {},
        {
            "title": a_line,
            "owner": a_line,
            "due": day,
            "priority": a_line,
            "type": a_line,
            "finding": a_text,
            "team": a_line,
            "status": a_line,
            "reason": a_text,
        },
    ),
)

# -- folds: the incident keeps its items' titles, for the timeline ---------------------------------------


def _created(state: IncidentState, event: Event) -> None:
    state.action_titles[event.id] = event.payload["title"]


def _updated(state: IncidentState, event: Event) -> None:
    title = event.payload["changes"].get("title")
    if isinstance(title, str) and title and event.payload["action"] in state.action_titles:
        state.action_titles[event.payload["action"]] = title


# -- the timeline's words ----------------------------------------------------------------------------


def _describe(event: Event, context: Context) -> str:
    """An action event as a timeline line, with the incident's items' titles after this event."""
    p: Any = event.payload
    if event.kind == "action.created":
        owner = p["owner"] or "no owner yet"
        return f"Action item: {p['title']} ({owner}, due {p['due']}, {p['priority']}, {p['type']})"
    title = context.state.action_titles.get(p["action"]) or f"action item {action_reference(p['action'])}"
    if event.kind == "action.pushed":
        return f"Action item pushed to {p['tracker']} as {p['key']}: {title}"
    if event.kind == "action.refreshed":
        return f"Action item is {p['external_status'] or 'unknown'} in {p['tracker']}: {title}"
    changes: dict[str, Any] = dict(p["changes"])
    status = changes.pop("status", None)
    reason = changes.pop("reason", "")
    if status == "done":
        return f"Action item done: {title}"
    if status == "wont_do":
        return f"Action item will not be done: {title} ({reason})"
    if status == "open":
        return f"Action item reopened: {title}"
    parts = [f"{name} → {value or 'none'}" for name, value in changes.items() if name not in ("title", "finding")]
    if "finding" in changes:
        parts.append("finding updated")
    lead = "Action item renamed" if "title" in changes else "Action item changed"
    return f"{lead}: {title}" + (f" ({'; '.join(parts)})" if parts else "")


# -- the kinds ---------------------------------------------------------------------------------------

_SHOWN = Shown("action", _describe)

KINDS = register(
    EventKind(
        "action.created",
        record(
            {
                "title": a_line,
                "owner": a_line,
                "due": day,
                "priority": a_line,
                "type": a_line,
                "source": a_line,
                "finding": a_text,
            },
            {"team": a_line},
        ),
        _created,
        _SHOWN,
    ),
    EventKind("action.updated", record({"action": an_id, "changes": _CHANGES}), _updated, _SHOWN),
    EventKind(
        "action.pushed",
        record({"action": an_id, "tracker": a_line, "key": a_line, "url": an_address}),
        NOT_FOLDED,
        _SHOWN,
    ),
    EventKind(
        "action.refreshed",
        record({"action": an_id, "tracker": a_line, "external_status": a_line, "done": boolean}),
        NOT_FOLDED,
        _SHOWN,
    ),
)
TRACKER_KINDS = register(
    EventKind("tracker.added", record({"name": a_name, "kind": a_line, "options": options}), NOT_FOLDED, NOT_SHOWN),
    EventKind("tracker.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
)
