"""Folds never raise on a well-formed event with surprising values (issue 11, item 2).

Payloads are generated from each kind's declared schema (commander.domain.core.schema keeps how each check
was declared), so every payload here passes `validate_payload`; the values are the surprising ones a
peer can write: names nobody defined, ids of things that do not exist (or of events in the log, so
references sometimes land), empty and huge-but-allowed strings, the first and last times in range.
Random sequences of them, after a normally declared incident, go through every fold and the reads the
window makes of what they build.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commander.domain.actions import items as actions
from commander.domain.actions import trackers
from commander.domain.alerts import triage
from commander.domain.analytics import figures as analytics
from commander.domain.analytics.facts import incident_facts
from commander.domain.core.clock import to_ms
from commander.domain.core.connections import endpoints_seen
from commander.domain.core.events import SCHEMAS, Actor, Event, payload_problem, well_formed
from commander.domain.core.policy import Policy
from commander.domain.core.schema import ID, Check, declared
from commander.domain.core.when import iso
from commander.domain.incident import snapshot
from commander.domain.incident.state import fold
from commander.domain.oncall import events as oncall_events
from commander.domain.oncall import schedules as oncall
from commander.domain.paging import pagers
from commander.domain.paging import pages as paging
from commander.domain.postmortem import draft as postmortem_draft
from commander.domain.postmortem import record as postmortem
from commander.domain.runbooks import library as runbooks
from commander.domain.timeline.entries import IncidentView
from commander.domain.updates import destinations, team_templates, timers
from tests.helpers.replica import INCIDENT_ID, NOW, Replica

# Ids events get here, and words payloads use: drawn from one small pool, so a step names a checklist
# that exists often enough, and a removal names something added (or never added).
IDS = ("e1", "e2", "e3", "#1", "s1.1")  # event ids, and the places a checklist gives steps without an id
FAMILIES: dict[str, list[str]] = {}  # kinds by what they are about (checklist.*, page.*): drawn together
for _kind in sorted(SCHEMAS):
    FAMILIES.setdefault(_kind.partition(".")[0], []).append(_kind)
WORDS = (
    "",
    " ",
    "x",
    "SEV9",
    "SEV1",
    "unknown_role",
    "incident_commander",
    "closed",
    "investigating",
    "done",
    "skipped",
    "wont_do",
    "P1",
    "published",
    "slack",
    "pagerduty",
    "chat",
    "UTC",
    "Europe/Berlin",
    "<b>bold</b>",
    "👩‍🚒",
    "line\nbreak",
    *IDS,
)
FIRST, LAST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)


def _words(limit: int, empty: bool) -> st.SearchStrategy[str]:
    pool = [w for w in WORDS if len(w) <= limit and (empty or w)]
    big = "y" * min(limit, 20_000)  # huge but allowed (each field's limit, capped to keep examples quick)
    typed = st.text(min_size=0 if empty else 1, max_size=min(limit, 12))
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool), typed, st.just(big))


def _times() -> st.SearchStrategy[datetime]:
    return st.one_of(
        st.sampled_from((FIRST, LAST, NOW)),
        st.datetimes(FIRST.replace(tzinfo=None), LAST.replace(tzinfo=None)).map(lambda d: d.replace(tzinfo=UTC)),
    )


def strategy(check: Check) -> st.SearchStrategy[Any]:
    """Values that pass `check`, read off how it was declared."""
    how = declared(check)
    name, args = how[0], how[1:]
    if name == "text" and args[0] == ID:  # a reference: mostly to an event here (or a step's place)
        return st.one_of(st.sampled_from(IDS), st.sampled_from(IDS), st.sampled_from(IDS), _words(*args))
    if name == "text":
        return _words(*args)
    if name == "boolean":
        return st.booleans()
    if name == "whole":
        low, high = args
        return st.one_of(st.sampled_from((low, high)), st.integers(low, high))
    if name == "moment":
        return _times().map(iso)
    if name == "day":
        return st.dates(date(1970, 1, 1), date(2199, 12, 31)).map(date.isoformat)
    if name == "day_or_empty":
        return st.one_of(st.just(""), st.dates(date(1970, 1, 1), date(2199, 12, 31)).map(date.isoformat))
    if name == "nullable":
        return st.one_of(st.none(), strategy(args[0]))
    if name == "items":
        inner, most, least = args
        return st.lists(strategy(inner), min_size=least, max_size=min(most, 4))
    if name == "texts":
        return st.lists(_words(args[0], True), max_size=min(args[1], 4))
    if name == "text_map":
        key, value, most, _total = args
        return st.dictionaries(_words(key, True), _words(value, True), max_size=min(most, 3))
    if name == "json_value":
        return st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
            max_leaves=8,
        )
    if name == "one_of":
        return st.one_of(*(strategy(inner) for inner in args))
    if name == "all_of":
        return _all_of(check, args)
    if name == "record":
        required, optional = args
        return st.fixed_dictionaries(
            {k: strategy(c) for k, c in required.items()}, optional={k: strategy(c) for k, c in optional.items()}
        )
    raise AssertionError(f"no strategy for {name}")


def _all_of(check: Check, parts: tuple[Check, ...]) -> st.SearchStrategy[Any]:
    """From the record among the parts; a span's end is moved after its start."""
    base = next((p for p in parts if declared(p)[0] == "record"), parts[0])
    spans = [declared(p)[1:] for p in parts if declared(p)[0] == "span"]
    values = strategy(base)
    for start, end, longest in spans:

        def within(pair: tuple[dict[str, Any], int], start: str = start, end: str = end) -> dict[str, Any]:
            value, seconds = pair
            begin = datetime.fromisoformat(value[start].replace("Z", "+00:00"))
            return {**value, end: iso(min(begin + timedelta(seconds=seconds), LAST))}

        values = st.tuples(values, st.integers(1, int(longest.total_seconds()))).map(within)
    return values.filter(lambda v: check(v) is None)


@st.composite
def hostile_events(draw: st.DrawFn, count: int) -> list[Event]:
    families = draw(st.lists(st.sampled_from(sorted(FAMILIES)), min_size=1, max_size=3, unique=True))
    kinds = [kind for family in families for kind in FAMILIES[family]]
    found = []
    for _ in range(count):
        kind = draw(st.sampled_from(kinds))
        payload = draw(strategy(SCHEMAS[kind]))
        assert payload_problem(kind, payload) is None, (kind, payload, payload_problem(kind, payload))
        at = draw(_times())
        found.append(
            Event(
                draw(st.sampled_from(IDS[:3])),
                f"incident:{INCIDENT_ID}",
                kind,
                payload,
                Actor("p9", draw(st.sampled_from(("Sam", "", "sam")))),
                (to_ms(NOW) << 16) + draw(st.integers(-3, 40)),  # before, among, after the declaration
                at,
                max(at, draw(_times())),
                draw(st.sampled_from(("z", "console-1"))),
            )
        )
    return found


def _normal_incident(policy: Policy) -> list[Event]:
    replica = Replica(1, policy, name="Alex")
    replica.declare()
    return list(replica.known.values())


READS: list[tuple[str, Callable[[list[Event], Policy], object]]] = [
    ("incident state", lambda events, policy: _incident_reads(fold(INCIDENT_ID, events, policy), policy)),
    ("timeline view", lambda events, policy: _view_reads(events, policy)),
    ("action items", lambda events, _p: actions.ordered(actions.fold_actions(events).values(), NOW.date())),
    ("postmortem", lambda events, _p: _postmortem_reads(events)),
    ("postmortem templates", lambda events, _p: postmortem_draft.fold_templates(events, {})),
    ("update templates", lambda events, _p: team_templates.merge({}, team_templates.fold_templates(events))),
    ("runbook library", lambda events, _p: [r.current.all_steps() for r in runbooks.fold_library(events).values()]),
    ("on call", lambda events, _p: _oncall_reads(events)),
    ("destinations", lambda events, _p: [c.endpoint for c in destinations.FAMILY.fold(events).values()]),
    ("endpoints seen", lambda events, _p: [endpoints_seen(events, noun) for noun in ("destination", "alert_source")]),
    ("trackers", lambda events, _p: trackers.fold_trackers(events)),
    ("pagers", lambda events, _p: [(c.label, c.mentions()) for c in pagers.fold_pagers(events).values()]),
    ("alert sources", lambda events, _p: triage.fold_sources(events)),
    ("ingested alerts", lambda events, _p: [a.summary for a in triage.fold_ingested(events)]),
    ("incident facts", lambda events, policy: incident_facts(_Row(), events, policy, NOW)),
    (
        "analytics",
        lambda events, _p: (
            analytics.tally_actions(events, {INCIDENT_ID}, NOW.date()),
            analytics.tally_noise(events, {INCIDENT_ID}, analytics.ReportFilter()),
        ),
    ),
]


@dataclass(frozen=True)
class _Row:
    """The incident as the incident list holds it (analytics_facts.Listed)."""

    id: str = INCIDENT_ID
    reference: str = "INC-1"
    title: str = "t"
    severity: str = "SEV2"
    services: tuple[str, ...] = ()
    drill: bool = False
    started_at_ms: int | None = None


def _incident_reads(state: Any, policy: Policy) -> object:
    return (
        state.shown_timers(),
        state.people(),
        state.unfilled_key_roles(policy),
        state.started_at(),
        timers.next_update(state, policy, NOW),
        paging.counting_down(state),
        paging.due_runs(state, NOW),
        paging.stuck(state.paging, "z", NOW),
        [c.progress for c in state.checklists.values()],
        triage.open_silences(state, NOW),
        triage.attached_alerts(state),
    )


def _view_reads(events: list[Event], policy: Policy) -> object:
    view = IncidentView(INCIDENT_ID, policy, iso)
    half = len(events) // 2
    view.load(events[:half])
    view.apply(events[half:])
    view.apply(events[:3])  # older than what it holds: a refold
    saved = json.loads(json.dumps(snapshot.dump(view)))
    restored = snapshot.restore(INCIDENT_ID, saved, policy, iso, lambda: events)
    return [e.text for e in view.entries], restored


def _postmortem_reads(events: list[Event]) -> object:
    pm = postmortem.fold_postmortem(INCIDENT_ID, events)
    return pm.ordered(), pm.conflicts(), pm.status_label, postmortem.reminder(pm, "INC-1", NOW.date())


def _oncall_reads(events: list[Event]) -> object:
    settings = oncall_events.fold_oncall(events)
    week = (NOW, NOW + timedelta(days=7))
    return [(oncall.final_oncall(s, NOW), oncall.whole_shifts(s, *week)) for s in settings.schedules.values()], [
        oncall.escalation_plan(p) for p in settings.policies.values()
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile=hostile_events(20), data=st.data())
def test_no_fold_raises_on_well_formed_events_with_surprising_values(
    policy: Policy, hostile: list[Event], data: st.DataObject
) -> None:
    events = _normal_incident(policy) + hostile
    shuffled = data.draw(st.permutations(events))
    for _name, read in READS:
        read(list(shuffled), policy)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_payloads_generated_from_each_schema_pass_it(kind: str, data: st.DataObject) -> None:
    """The strategy above follows each declared schema, so the fold test covers every kind."""
    value = data.draw(strategy(SCHEMAS[kind]))
    assert payload_problem(kind, value) is None


def test_an_ill_formed_event_is_counted_but_never_folded_or_shown(policy: Policy) -> None:
    normal = _normal_incident(policy)
    last = max(e.hlc for e in normal)
    broken = [
        Event(f"b{n}", f"incident:{INCIDENT_ID}", kind, payload, Actor("p9", "Mallory"), last + n, NOW, NOW, "z")
        for n, (kind, payload) in enumerate(
            [
                ("note.added", {}),
                ("incident.declared", []),
                ("severity.changed", {"severity": ["SEV1"]}),
                ("milestone.set", {"milestone": "detected", "at": "318857-01-01T00:00:00Z"}),
                (
                    "checklist.attached",
                    {
                        "title": "t",
                        "runbook": "",
                        "version_id": "",
                        "version": 1,
                        "role": "",
                        "steps": [{"text": {"nested": 1}}],
                    },
                ),
            ],
            start=1,
        )
    ]
    assert not any(well_formed(e) for e in broken)
    view = IncidentView(INCIDENT_ID, policy, iso)
    view.load(normal + broken)
    assert view.state.event_count == len(normal) + len(broken)
    assert view.state.severity == "SEV2" and not view.state.checklists and not view.state.notes
    assert not {e.event_id for e in view.entries} & {e.id for e in broken}
    assert fold(INCIDENT_ID, normal + broken, policy).title == view.state.title


def test_a_review_meeting_a_peer_set_far_ahead_is_read_at_once() -> None:
    """postmortem.meta may set the meeting to any day up to 2199; the reminder is read on every refresh."""
    today, meeting = date(2026, 11, 30), date(2199, 12, 31)
    began = time.perf_counter()
    for _ in range(100):
        days = postmortem.business_days_between(today, meeting)
    assert time.perf_counter() - began < 0.5  # counting day by day took about 20 ms a call
    assert days == postmortem.business_days_between(meeting, today) * -1
    assert postmortem.business_days_between(date(2026, 11, 27), date(2026, 12, 7)) == 6  # Fri to the Monday after


def _ill_formed(kind: str) -> list[Any]:
    """Payloads a peer could write for `kind` that its schema refuses: no object, every declared field
    missing, or each a list, a huge number, a nested object."""
    required, optional = declared(SCHEMAS[kind])[1:] if declared(SCHEMAS[kind])[0] == "record" else ({}, {})
    fields = [*required, *optional] or ["x"]
    return [
        {},
        ["not", "an", "object"],
        "text",
        *({name: value for name in fields} for value in (["x", 1], 10**30, {"a": {"b": [None]}})),
    ]


def test_every_fold_skips_ill_formed_events_of_every_kind(policy: Policy) -> None:
    """What a hostile responder wrote before this console checked pulled rows is still in its store: every
    fold and read passes it over."""
    normal = _normal_incident(policy)
    last = max(e.hlc for e in normal)
    broken = [
        Event(f"b{kind}{n}", f"incident:{INCIDENT_ID}", kind, payload, Actor("p9", "Mallory"), last + n, NOW, NOW, "z")
        for kind in SCHEMAS
        for n, payload in enumerate(_ill_formed(kind), start=1)
        if payload_problem(kind, payload) is not None
    ]
    assert len({e.kind for e in broken}) == len(SCHEMAS)
    for _name, read in READS:
        read(normal + broken, policy)
