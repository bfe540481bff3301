"""The on-call event kinds, in "settings:oncall" (commander/domain/oncall/events.py folds them): schedules,
overrides (an override's id is its added event's id), escalation policies and which policy a service pages.
None belongs to an incident or its timeline."""

from __future__ import annotations

from datetime import timedelta

from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, register
from commander.domain.core.schema import (
    LINE,
    MINUTES,
    a_line,
    a_name,
    a_text,
    all_of,
    an_id,
    day,
    items,
    moment,
    nullable,
    one_of,
    record,
    span,
    text,
    text_map,
    texts,
    whole,
)

# Schedules and escalation policies as oncall/format.py reads them: types and bounds here, the rules a person
# can get wrong (unknown zone, rotation, fields) there, where a schedule that breaks them is skipped.
_SCHEDULE = record(
    {
        "name": a_name,
        "time_zone": text(100),
        "layers": items(
            record(
                {"start": day, "participants": texts(LINE, 100)},
                {
                    "name": a_line,
                    "rotation": a_line,
                    "shift_hours": whole(1, 24 * 366),
                    "handoff": text(20),
                    "handoff_day": one_of(text(20), whole(0, 6)),
                    "restrictions": items(
                        record(
                            {"from": text(20), "to": text(20)},
                            {"days": one_of(text(100), items(one_of(text(20), whole(0, 6)), 7))},
                        ),
                        14,
                    ),
                },
            ),
            10,
        ),
    },
    {"description": nullable(a_text)},
)
_POLICY = record(
    {
        "name": a_name,
        "levels": items(
            record({"targets": items(text_map(key=20, value=LINE, most=1), 10)}, {"delay_minutes": whole(0, MINUTES)}),
            20,
        ),
    },
    {"repeat": whole(0, 100), "description": nullable(a_text)},
)

KINDS = register(
    EventKind("schedule.saved", record({"schedule": _SCHEDULE}), NOT_FOLDED, NOT_SHOWN),
    EventKind("schedule.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
    # An override is at most 90 days long when decided (events.OVERRIDE_LONGEST); a year bounds what a
    # calendar has to lay out.
    EventKind(
        "override.added",
        all_of(
            record({"schedule": a_line, "person": a_line, "start": moment, "end": moment, "covers": a_line}),
            span("start", "end", timedelta(days=366)),
        ),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind("override.removed", record({"override": an_id}), NOT_FOLDED, NOT_SHOWN),
    EventKind("escalation.saved", record({"policy": _POLICY}), NOT_FOLDED, NOT_SHOWN),
    EventKind("escalation.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
    # policy "": the service pages nobody any more
    EventKind("service.routed", record({"service": a_line, "policy": a_line}), NOT_FOLDED, NOT_SHOWN),
)
