"""The paging event kinds: pages and escalations in the incident's stream (a page's id is its page.sent
event's; escalations' ids derive from their run and step), and the pagers in "settings:paging"."""

from __future__ import annotations

from commander.domain.core.events import Event
from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, Shown, register
from commander.domain.core.schema import (
    LINE,
    MANY,
    MINUTES,
    a_line,
    a_name,
    a_text,
    an_id,
    options,
    record,
    text,
    texts,
    whole,
)
from commander.domain.incident.state import IncidentState
from commander.domain.paging.state import apply
from commander.domain.timeline.context import Context


def _fold(state: IncidentState, event: Event) -> None:
    apply(state.paging, event)


def _describe(event: Event, context: Context) -> str:
    """The timeline entry for a page event, read after the fold applied it."""
    paging = context.state.paging
    p = event.payload
    if event.kind == "page.sent":
        why = ""
        if p["service"]:
            where = f", on call on {p['via']}" if p["via"] else ""
            repeat = f", repeat {p['round']}" if p["round"] else ""
            why = f" for {p['service']} (level {p['level'] + 1}{repeat}{where})"
        return f"Paged {p['target']} through {p['pager']}{why}"
    if event.kind == "page.escalated":
        run = paging.runs.get(p["run"])
        earlier = [s for s in run.steps if (s.round, s.level) < (p["round"], p["level"])] if run else []
        waited = f" in {earlier[-1].after} min" if earlier and earlier[-1].after else ""
        service = run.service if run else "the service"
        if not p["targets"] and not p["after"]:
            return f"Escalation of {service} stopped: {p['note']}"
        repeat = f" (repeat {p['round']})" if p["round"] else ""
        whom = f": paging {', '.join(p['targets'])}" if p["targets"] else f": {p['note'] or 'nobody to page'}"
        then = f"; the next level follows in {p['after']} min" if not p["targets"] and p["after"] else ""
        return f"Nobody acknowledged{waited}: {service} escalated to level {p['level'] + 1}{repeat}{whom}{then}"
    page = paging.pages.get(p["page"])
    whom = page.target if page else f"page {p['page'][:8]}"
    if event.kind == "page.delivered":
        return f"Page to {whom} delivered" + (f": {p['detail']}" if p["detail"] else "")
    if event.kind == "page.failed":
        return f"Page to {whom} failed: {p['reason']}"
    if event.kind == "page.acknowledged":
        # read from PagerDuty or a chat thread: whose console read it does not matter; clicked here: it does
        where = _VIA.get(str(p.get("via", "")), "")
        by_other = event.actor.name.casefold() != p["by"].casefold()
        recorded = f" (recorded by {event.actor.name})" if by_other and not where else ""
        return (
            f"{p['by']} acknowledged the page to {whom}{where}{recorded}"
            if p["by"].casefold() != whom.casefold()
            else f"{whom} acknowledged the page{where}{recorded}"
        )
    return f"Page to {whom} resolved"  # page.resolved


_SHOWN = Shown("paging", _describe)
_VIA = {"pagerduty": " in PagerDuty", "chat": " in the chat thread"}
_level = whole(0, 1_000)

KINDS = register(
    EventKind(
        "page.sent",
        record(
            {
                "page": an_id,
                "target": a_line,
                "via": a_line,
                "service": a_line,
                "level": _level,
                "round": _level,
                "pager": a_line,
                "dedup_key": text(1_000),
                "run": an_id,
                "after": whole(0, MINUTES),
            }
        ),
        _fold,
        _SHOWN,
    ),
    EventKind("page.delivered", record({"page": an_id, "detail": a_text}), _fold, _SHOWN),
    EventKind("page.failed", record({"page": an_id, "reason": a_text}), _fold, _SHOWN),
    # `via`: where an answer made outside Commander was read from (pagerduty, chat); absent when clicked here
    EventKind("page.acknowledged", record({"page": an_id, "by": a_line}, {"via": a_line}), _fold, _SHOWN),
    EventKind(
        "page.escalated",
        record(
            {
                "page": an_id,
                "run": an_id,
                "level": _level,
                "round": _level,
                "after": whole(0, MINUTES),
                "targets": texts(LINE, MANY),
                "note": a_text,
            }
        ),
        _fold,
        _SHOWN,
    ),
    EventKind("page.resolved", record({"page": an_id}), _fold, _SHOWN),
)
PAGER_KINDS = register(
    EventKind("pager.added", record({"name": a_name, "kind": a_line, "options": options}), NOT_FOLDED, NOT_SHOWN),
    EventKind("pager.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
)
