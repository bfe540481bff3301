"""Snapshots of an incident view: a read model that saves refolding a long incident on every open.

A snapshot is plain JSON-ready data: the folded state and the ordered timeline, up to one point of
the log (`last_order`). It is only a cache: the log stays the truth, a snapshot that does not match
the log (a different count of events up to its point, another fold version, another policy or time
format) is ignored and remade. Bump FOLD_VERSION whenever the fold or the timeline's wording changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from commander.domain.checklists import state as checklists
from commander.domain.core.clock import from_ms, to_ms
from commander.domain.core.events import Actor, Event
from commander.domain.core.kinds import SHOWN
from commander.domain.core.policy import Policy
from commander.domain.incident.state import (
    AttachedAlert,
    BridgeLink,
    ChatChannel,
    CustomTimer,
    IncidentFold,
    Note,
    RoleSlot,
    SilenceRecord,
    Status,
    Tenure,
)
from commander.domain.paging import state as paging
from commander.domain.timeline.entries import CATEGORIES, IncidentView, TimeFormat, TimelineEntry

FOLD_VERSION = 14
WORTH_IT = 2_000  # events: below this a fresh fold is as quick as reading a snapshot
_PROBE = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


def fingerprint(policy: Policy, time_format: TimeFormat) -> str:
    """What the snapshot's content depends on besides the log."""
    parts = [str(FOLD_VERSION), time_format(_PROBE)]
    parts += [f"{s.key}:{s.rank}" for s in policy.severities]
    parts += [f"{r.key}:{r.name}:{r.duty}" for r in policy.roles]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


_BACKDATED, _PINNED = 1, 2  # entry flags


def dump(view: IncidentView) -> dict[str, Any]:
    """Compact on purpose (a long incident's snapshot is read on every open): a note is its timeline
    entry plus the author's id and the edit time; category and note id follow from the kind."""
    state = view.state
    index = {entry.event_id: i for i, entry in enumerate(view.entries)}
    return {
        "fingerprint": fingerprint(view.policy, view.time_format),
        "event_count": state.event_count,
        "last_order": list(state.last_order),
        "state": {
            "title": state.title,
            "severity": state.severity,
            "status": state.status.value,
            "services": state.services,
            "summary": state.summary,
            "drill": state.drill,
            "declared_by": list(state.declared_by) if state.declared_by else None,
            "milestones": {name: to_ms(moment) for name, moment in state.milestones.items()},
            "roles": [
                [
                    r.key,
                    r.name,
                    r.duty,
                    r.custom,
                    r.holder,
                    _ms(r.since),
                    [[t.person, to_ms(t.since), _ms(t.until)] for t in r.history],
                ]
                for r in state.roles.values()
            ],
            "notes": [[index[n.id], n.author.id, _ms(n.edited_at)] for n in state.notes.values()],
            "pinned": [target for target, pinned in state.pinned.items() if pinned],
            "unpinned": [target for target, pinned in state.pinned.items() if not pinned],
            "severity_history": [[severity, to_ms(since)] for severity, since in state.severity_history],
            "reopened": state.reopened,
            "updates_sent": [to_ms(sent) for sent in state.updates_sent],
            "snoozed_until": _ms(state.snoozed_until),
            "timers": [
                [
                    t.id,
                    t.label,
                    to_ms(t.due),
                    list(t.set_by),
                    to_ms(t.set_at),
                    _ms(t.expired_at),
                    t.cancelled_by,
                    _ms(t.cancelled_at),
                ]
                for t in state.timers.values()
            ],
            "action_titles": state.action_titles,
            "paging": paging.dump(state.paging),
            "alerts": [[a.source, a.fingerprint, a.name, a.labels, to_ms(a.starts_at)] for a in state.alerts.values()],
            "silences": [
                [s.source, s.silence_id, s.matchers, to_ms(s.ends_at), s.comment, s.expired]
                for s in state.silences.values()
            ],
            "checklists": checklists.dump(state.checklists),
            "channels": [
                [c.via, c.service, c.channel, c.name, c.url, c.archived, c.last_heard, _ms(c.last_heard_at)]
                for c in state.channels.values()
            ],
            "bridges": [[b.via, b.service, b.url, b.meeting, b.details, to_ms(b.started_at)] for b in state.bridges],
            "last_change": _ms(state.last_change),
        },
        "entries": [
            [
                e.event_id,
                to_ms(e.at),
                e.hlc,
                e.kind,
                e.actor,
                e.text,
                (_BACKDATED if e.backdated else 0) | (_PINNED if e.pinned else 0),
                e.edited_by,
                e.deleted_by,
                e.history or None,
                e.written_by,
            ]
            for e in view.entries
        ],
    }


def restore(
    incident_id: str,
    data: dict[str, Any],
    policy: Policy,
    time_format: TimeFormat,
    load_events: Callable[[], list[Event]],
) -> IncidentView | None:
    """A view as it was at the snapshot's point, or None when the snapshot does not fit this console."""
    if data.get("fingerprint") != fingerprint(policy, time_format):
        return None
    categories, stamp, utc = CATEGORIES, datetime.fromtimestamp, UTC  # locals: this loop runs 50,000 times
    note_kinds = {kind for kind, shown in SHOWN.items() if shown.note}
    entries = [
        TimelineEntry(
            event_id,
            stamp(at / 1000, utc),
            hlc,
            kind,
            categories[kind],
            actor,
            text,
            bool(flags & _BACKDATED),
            bool(flags & _PINNED),
            event_id if kind in note_kinds else None,
            edited_by,
            deleted_by,
            history or [],
            written_by,
        )
        for event_id, at, hlc, kind, actor, text, flags, edited_by, deleted_by, history, written_by in data["entries"]
    ]
    fold = IncidentFold(incident_id, policy)
    state, saved = fold.state, data["state"]
    state.title, state.severity, state.status = saved["title"], saved["severity"], Status(saved["status"])
    state.services, state.summary, state.drill = saved["services"], saved["summary"], saved["drill"]
    state.declared_by = Actor(*saved["declared_by"]) if saved["declared_by"] else None
    state.milestones = {name: from_ms(ms) for name, ms in saved["milestones"].items()}
    state.roles = {}
    for key, name, duty, custom, holder, since, history in saved["roles"]:
        state.roles[key] = RoleSlot(
            key,
            name,
            duty,
            custom,
            holder,
            _dt(since),
            [Tenure(person, from_ms(s), _dt(u)) for person, s, u in history],
        )
    actors: dict[tuple[str, str], Actor] = {}
    notes = {}
    for position, author_id, edited_at in saved["notes"]:
        entry = entries[position]
        key = (author_id, entry.actor)
        author = actors.get(key) or actors.setdefault(key, Actor(*key))
        notes[entry.event_id] = Note(
            entry.event_id,
            entry.text,
            author,
            entry.at,
            entry.edited_by,
            None if edited_at is None else stamp(edited_at / 1000, utc),
            entry.deleted_by,
        )
    state.notes = notes
    state.pinned = dict.fromkeys(saved["pinned"], True)
    state.pinned.update(dict.fromkeys(saved["unpinned"], False))
    state.severity_history = [(severity, from_ms(since)) for severity, since in saved["severity_history"]]
    state.reopened = saved["reopened"]
    state.updates_sent = [from_ms(sent) for sent in saved["updates_sent"]]
    state.snoozed_until = _dt(saved["snoozed_until"])
    state.timers = {
        timer_id: CustomTimer(
            timer_id,
            label,
            from_ms(due),
            Actor(*set_by),
            from_ms(set_at),
            _dt(expired_at),
            cancelled_by,
            _dt(cancelled_at),
        )
        for timer_id, label, due, set_by, set_at, expired_at, cancelled_by, cancelled_at in saved["timers"]
    }
    state.action_titles = dict(saved["action_titles"])
    state.paging = paging.restore(saved["paging"])
    state.alerts = {
        f"{source}/{fp}": AttachedAlert(source, fp, name, dict(labels), from_ms(starts))
        for source, fp, name, labels, starts in saved["alerts"]
    }
    state.silences = {
        silence_id: SilenceRecord(source, silence_id, list(matchers), from_ms(ends), comment, expired)
        for source, silence_id, matchers, ends, comment, expired in saved["silences"]
    }
    state.checklists = checklists.restore(saved["checklists"])
    state.channels = {
        via: ChatChannel(via, service, channel, name, url, archived, last_heard, _dt(last_heard_at))
        for via, service, channel, name, url, archived, last_heard, last_heard_at in saved.get("channels", [])
    }
    state.bridges = [
        BridgeLink(via, service, url, meeting, details, from_ms(started))
        for via, service, url, meeting, details, started in saved.get("bridges", [])
    ]
    state.event_count = data["event_count"]
    state.last_order = tuple(data["last_order"])
    state.last_change = _dt(saved["last_change"])
    view = IncidentView(incident_id, policy, time_format)
    view._fold = fold  # noqa: SLF001 - the snapshot is the view's own persisted form
    view.entries = entries
    view._by_id = {entry.event_id: entry for entry in entries}  # noqa: SLF001
    view._events = None  # noqa: SLF001
    view._load_events = load_events  # noqa: SLF001
    return view
