"""Schedules and escalation policies as plain data: what the events carry and what the YAML file holds.

Reading checks everything a person can get wrong and says where ("schedule 'Payments', layer 'Weekly':
…") and how to write it instead; writing gives the canonical form, which reads back to the same thing.
docs/oncall.md describes the format with an example.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from commander.domain.core.errors import DomainError
from commander.domain.core.text import NAME_MAX, clean_line
from commander.domain.oncall.schedules import (
    ROTATIONS,
    TURN_HOURS,
    WEEKDAYS,
    EscalationLevel,
    EscalationPolicy,
    Layer,
    Restriction,
    Schedule,
    Target,
)
from commander.domain.oncall.zones import zone_named

LAYERS_MAX = 10
PARTICIPANTS_MAX = 100
RESTRICTIONS_MAX = 14
SHIFT_HOURS_MAX = 24 * 28
LEVELS_MAX = 20
TARGETS_MAX = 10
REPEAT_MAX = 9
DELAY_MAX = 24 * 60
DESCRIPTION_MAX = 500
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(2199, 12, 31)
_DAY_SETS = {"every day": range(7), "daily": range(7), "weekdays": range(5), "weekends": range(5, 7)}
_SCHEDULE_FIELDS = ("name", "time_zone", "description", "layers")
_LAYER_FIELDS = ("name", "rotation", "shift_hours", "handoff", "handoff_day", "start", "participants", "restrictions")
_RESTRICTION_FIELDS = ("days", "from", "to")
_POLICY_FIELDS = ("name", "description", "repeat", "levels")
_LEVEL_FIELDS = ("delay_minutes", "targets")


# -- schedules -----------------------------------------------------------------------------------------


def schedule_from_dict(data: Any) -> Schedule:
    where = f"schedule '{data.get('name')}'" if isinstance(data, Mapping) and data.get("name") else "a schedule"
    fields = _fields(data, _SCHEDULE_FIELDS, where, required=("name", "time_zone", "layers"))
    name = _name(fields["name"], where, "name")
    where = f"schedule '{name}'"
    zone_text = _text(fields["time_zone"], where, "time_zone")
    try:
        zone = zone_named(zone_text)
    except DomainError as problem:
        raise DomainError(f"In {where}: {problem}") from None
    layers_data = _list(fields["layers"], where, "layers", limit=LAYERS_MAX, required=True)
    layers = tuple(_layer(item, index, where) for index, item in enumerate(layers_data, start=1))
    names = [layer.name.casefold() for layer in layers]
    duplicate = next((layer.name for layer in layers if names.count(layer.name.casefold()) > 1), None)
    if duplicate is not None:
        raise DomainError(f"In {where}: two layers are called '{duplicate}'. Give each layer its own name.")
    description = _description(fields.get("description"), where)
    return Schedule(name, zone, layers, description)


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    data: dict[str, Any] = {"name": schedule.name, "time_zone": schedule.zone.key}
    if schedule.description:
        data["description"] = schedule.description
    data["layers"] = [_layer_to_dict(layer) for layer in schedule.layers]
    return data


def _layer(data: Any, index: int, schedule: str) -> Layer:
    named = data.get("name") if isinstance(data, Mapping) else None
    where = f"{schedule}, layer '{named}'" if named else f"{schedule}, layer {index}"
    fields = _fields(data, _LAYER_FIELDS, where, required=("start", "participants"))
    name = _name(fields.get("name", f"Layer {index}"), where, "name")
    rotation = _text(fields.get("rotation", "weekly"), where, "rotation").lower()
    if rotation not in ROTATIONS:
        raise DomainError(
            f"In {where}: the rotation '{rotation}' is not one Commander knows. Use daily, weekly, "
            f"or custom with shift_hours."
        )
    hours = fields.get("shift_hours")
    if rotation == "custom":
        if hours is None:
            raise DomainError(f"In {where}: a custom rotation needs shift_hours (e.g. 12).")
        shift_hours = _whole(hours, where, "shift_hours", 1, SHIFT_HOURS_MAX)
    else:
        shift_hours = TURN_HOURS[rotation]
        if hours is not None and _whole(hours, where, "shift_hours", 1, SHIFT_HOURS_MAX) != shift_hours:
            raise DomainError(
                f"In {where}: a {rotation} rotation's shifts last {shift_hours} hours. Leave "
                f"shift_hours out, or use rotation: custom."
            )
    start = _date(fields["start"], where, "start")
    handoff_day: int | None = None
    if rotation == "weekly":
        handoff_day = _weekday(fields["handoff_day"], where) if "handoff_day" in fields else start.weekday()
    elif "handoff_day" in fields:
        raise DomainError(f"In {where}: handoff_day is for weekly rotations only. Leave it out.")
    participants = tuple(
        _name(person, where, "participant")
        for person in _list(fields["participants"], where, "participants", limit=PARTICIPANTS_MAX, required=True)
    )
    restrictions = tuple(
        _restriction(item, where)
        for item in _list(fields.get("restrictions", []), where, "restrictions", limit=RESTRICTIONS_MAX)
    )
    return Layer(
        name,
        participants,
        rotation,
        shift_hours,
        _clock(fields.get("handoff", "09:00"), where, "handoff"),
        start,
        handoff_day,
        restrictions,
    )


def _layer_to_dict(layer: Layer) -> dict[str, Any]:
    data: dict[str, Any] = {"name": layer.name, "rotation": layer.rotation}
    if layer.rotation == "custom":
        data["shift_hours"] = layer.shift_hours
    data["handoff"] = layer.handoff.strftime("%H:%M")
    if layer.handoff_day is not None:
        data["handoff_day"] = WEEKDAYS[layer.handoff_day]
    data["start"] = layer.start.isoformat()
    data["participants"] = list(layer.participants)
    if layer.restrictions:
        data["restrictions"] = [
            {
                "days": [WEEKDAYS[d][:3] for d in sorted(r.days)],
                "from": r.start.strftime("%H:%M"),
                "to": "24:00" if r.end == time(0) else r.end.strftime("%H:%M"),
            }
            for r in layer.restrictions
        ]
    return data


def _restriction(data: Any, layer: str) -> Restriction:
    where = f"{layer}, restrictions"
    fields = _fields(data, _RESTRICTION_FIELDS, where, required=("from", "to"))
    days = _days(fields.get("days", "every day"), where)
    start = _clock(fields["from"], where, "from")
    end = _clock(fields["to"], where, "to")
    return Restriction(days, start, end)


def _days(value: Any, where: str) -> frozenset[int]:
    items: list[Any]
    if isinstance(value, str):
        if value.strip().lower() in _DAY_SETS:
            return frozenset(_DAY_SETS[value.strip().lower()])
        items = [part for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = value
    else:
        items = [value]
    if not items:
        raise DomainError(f"In {where}: days is empty. Name weekdays (mon, tue…), or write weekdays or every day.")
    return frozenset(_weekday(item, where) for item in items)


def _weekday(value: Any, where: str) -> int:
    text = str(value).strip().lower()
    matches = [index for index, day in enumerate(WEEKDAYS) if len(text) >= 2 and day.startswith(text)]
    if len(matches) != 1:
        raise DomainError(f"In {where}: '{value}' is not a weekday. Write monday, tuesday… or mon, tue…")
    return matches[0]


# -- escalation policies -------------------------------------------------------------------------------


def policy_from_dict(data: Any) -> EscalationPolicy:
    named = data.get("name") if isinstance(data, Mapping) else None
    where = f"escalation policy '{named}'" if named else "an escalation policy"
    fields = _fields(data, _POLICY_FIELDS, where, required=("name", "levels"))
    name = _name(fields["name"], where, "name")
    where = f"escalation policy '{name}'"
    levels = tuple(
        _level(item, index, where)
        for index, item in enumerate(_list(fields["levels"], where, "levels", limit=LEVELS_MAX, required=True), start=1)
    )
    repeat = _whole(fields.get("repeat", 0), where, "repeat", 0, REPEAT_MAX)
    return EscalationPolicy(name, levels, repeat, _description(fields.get("description"), where))


def policy_to_dict(policy: EscalationPolicy) -> dict[str, Any]:
    data: dict[str, Any] = {"name": policy.name}
    if policy.description:
        data["description"] = policy.description
    data["repeat"] = policy.repeat
    data["levels"] = [
        {"delay_minutes": level.delay_minutes, "targets": [{target.kind: target.name} for target in level.targets]}
        for level in policy.levels
    ]
    return data


def _level(data: Any, index: int, policy: str) -> EscalationLevel:
    where = f"{policy}, level {index}"
    fields = _fields(data, _LEVEL_FIELDS, where, required=("targets",))
    delay = _whole(fields.get("delay_minutes", 30), where, "delay_minutes", 1, DELAY_MAX)
    targets = tuple(
        _target(item, where) for item in _list(fields["targets"], where, "targets", limit=TARGETS_MAX, required=True)
    )
    return EscalationLevel(targets, delay)


def _target(data: Any, where: str) -> Target:
    if isinstance(data, Mapping) and len(data) == 1:
        [(kind, name)] = data.items()
        if kind in ("schedule", "person"):
            return Target(kind, _name(name, where, kind))
    raise DomainError(f"In {where}: each target is 'schedule: NAME' or 'person: NAME', one per line.")


# -- small readers -------------------------------------------------------------------------------------


def _fields(data: Any, known: Sequence[str], where: str, *, required: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DomainError(f"In {where}: expected fields ({', '.join(known)}), found {_shown(data)}.")
    unknown = [str(key) for key in data if key not in known]
    if unknown:
        raise DomainError(f"In {where}: '{unknown[0]}' is not a field Commander knows. Fields: {', '.join(known)}.")
    missing = [key for key in required if data.get(key) in (None, "", [])]
    if missing:
        raise DomainError(f"In {where}: {missing[0]} is missing.")
    return data


def _list(value: Any, where: str, field: str, *, limit: int, required: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise DomainError(f"In {where}: {field} should be a list (one '- ' item per line), found {_shown(value)}.")
    if required and not value:
        raise DomainError(f"In {where}: {field} is empty. Give at least one.")
    if len(value) > limit:
        raise DomainError(f"In {where}: {len(value)} {field}; the limit is {limit}.")
    return value


def _text(value: Any, where: str, field: str) -> str:
    if not isinstance(value, str):
        raise DomainError(f"In {where}: {field} should be text, found {_shown(value)}.")
    return value.strip()


def _name(value: Any, where: str, field: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    try:
        return clean_line(_text(value, where, field), field=field, limit=NAME_MAX)
    except DomainError as problem:
        raise DomainError(f"In {where}: {problem}") from None


def _description(value: Any, where: str) -> str:
    if value is None:
        return ""
    try:
        return clean_line(
            _text(value, where, "description"), field="description", limit=DESCRIPTION_MAX, required=False
        )
    except DomainError as problem:
        raise DomainError(f"In {where}: {problem}") from None


def _whole(value: Any, where: str, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(f"In {where}: {field} should be a whole number from {low} to {high}, found {_shown(value)}.")
    return value


def _clock(value: Any, where: str, field: str) -> time:
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if (hour, minute) == (24, 0):
            return time(0)
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise DomainError(
        f'In {where}: {field} {_shown(value)} is not a time of day. Write it as "HH:MM" in quotes, e.g. "09:00".'
    )


def _date(value: Any, where: str, field: str) -> date:
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        try:
            found = date.fromisoformat(str(value).strip())
        except ValueError:
            raise DomainError(
                f"In {where}: {field} {_shown(value)} is not a date. Write it as YYYY-MM-DD, e.g. 2026-01-05."
            ) from None
    if not _FIRST_DAY <= found <= _LAST_DAY:  # what the schedule.saved event accepts (events.py)
        raise DomainError(f"In {where}: {field} {found.isoformat()} is not between 1970 and 2199. Check the year.")
    return found


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
