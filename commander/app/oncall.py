"""On call through the console: the schedules, overrides and escalation policies the team shares (events in
`settings:oncall`), who is on call, the YAML file, the .ics export and the fairness report.

Paging asks `resolve_oncall(console, service)` whom to page, and reads a policy's levels and delays from
`settings(console).policy_for(service)` with `escalation_plan` and `escalation_targets` (domain/oncall.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import yaml

from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.core.when import iso
from commander.domain.oncall import events as oncall_events
from commander.domain.oncall.events import STREAM, OnCallSettings
from commander.domain.oncall.report import PersonHours, fairness
from commander.domain.oncall.schedules import (
    Override,
    Responder,
    Schedule,
    Shift,
    now_and_next,
    people,
    same_person,
    who_is_on_call,
    whole_shifts,
)
from commander.integrations.ical import CalendarEvent, write_calendar

_UID_NAMESPACE = uuid.UUID("6f1c3b0e-2f7d-4d7e-9a55-1c0de0000007")
CALENDAR_WEEKS = 12
FILE_HEADER = "# Commander on-call schedules (docs/oncall.md). Import with: commander schedule import FILE\n"


@dataclass(frozen=True)
class OnCallNow:
    """One schedule at one instant: the shift under way, the next one, and what each layer has."""

    schedule: Schedule
    current: Shift | None
    upcoming: Shift | None
    layers: list[tuple[str, str]]  # (layer, person), top layer first

    @property
    def person(self) -> str | None:
        return self.current.person if self.current else None


@dataclass(frozen=True)
class Imported:
    schedules: int
    policies: int
    services: int

    def __str__(self) -> str:
        parts = [
            f"{self.schedules} schedule{'s' * (self.schedules != 1)}",
            f"{self.policies} escalation polic{'ies' if self.policies != 1 else 'y'}",
            f"{self.services} service route{'s' * (self.services != 1)}",
        ]
        return ", ".join(parts)


def settings(console: Console) -> OnCallSettings:
    return oncall_events.fold_oncall(console.reads.stream(STREAM))


def now(console: Console, name: str | None = None, at: datetime | None = None) -> list[OnCallNow]:
    """Who is on call at `at` (now by default) on the named schedule, or on each of them."""
    found = settings(console)
    moment = at or console.now()
    chosen = [found.schedule(name)] if name else list(found.schedules.values())
    result = []
    for schedule in chosen:
        current, upcoming = now_and_next(schedule, moment)
        layers = [(layer.name, person) for layer, person in who_is_on_call(schedule, moment)]
        result.append(OnCallNow(schedule, current, upcoming, layers))
    return result


def resolve_oncall(console: Console, service: str, at: datetime | None = None, level: int = 0) -> list[Responder]:
    """Whom paging `service` reaches: the first level of its escalation policy (or `level`), each
    schedule resolved to the person on call at `at` (now by default)."""
    return oncall_events.resolve_oncall(settings(console), service, at or console.now(), level)


# -- changes -------------------------------------------------------------------------------------------


def import_yaml(console: Console, text: str, *, source: str = "The file") -> Imported:
    """Every schedule, escalation policy and service route in a YAML file, saved in one transaction;
    ones that are already the same are left alone."""
    drafts = oncall_events.import_document(settings(console), read_yaml(text, source=source))
    console.record(drafts)
    kinds = [draft.kind for draft in drafts]
    return Imported(kinds.count("schedule.saved"), kinds.count("escalation.saved"), kinds.count("service.routed"))


def export_yaml(console: Console, names: Sequence[str] = ()) -> str:
    """The named schedules, or everything (schedules, policies, services), as a file `import_yaml` reads."""
    document = oncall_events.export_document(settings(console), names)
    return FILE_HEADER + yaml.dump(document, Dumper=_FileDumper, sort_keys=False, allow_unicode=True, width=100)


def add_override(
    console: Console, schedule: str, person: str, start: datetime, end: datetime, covers: str = ""
) -> Override:
    [event] = console.record(
        oncall_events.add_override(settings(console), schedule, person, start, end, covers=covers, now=console.now())
    )
    return settings(console).override(event.id)


def remove_override(console: Console, wanted: str) -> Override:
    found = settings(console)
    override = found.override(wanted)
    console.record(oncall_events.remove_override(found, override.id))
    return override


def remove_schedule(console: Console, name: str) -> None:
    console.record(oncall_events.remove_schedule(settings(console), name))


def remove_policy(console: Console, name: str) -> None:
    console.record(oncall_events.remove_policy(settings(console), name))


def route_service(console: Console, service: str, policy: str) -> bool:
    """Page `policy` for `service` ("" stops it); False when that was already so."""
    return bool(console.record(oncall_events.route_service(settings(console), service, policy)))


# -- reports and files ---------------------------------------------------------------------------------


def fairness_report(
    console: Console, since: datetime, until: datetime | None = None, schedule: str | None = None
) -> list[PersonHours]:
    end = until or console.now()
    if end <= since:
        raise DomainError("The report's period ends before it starts. Give a --since before --until.")
    found = settings(console)
    chosen = [found.schedule(schedule)] if schedule else list(found.schedules.values())
    return fairness(chosen, since, end)


def calendar(
    console: Console,
    name: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    person: str | None = None,
) -> tuple[str, int]:
    """The schedule's shifts (or one person's) from `start` (today) to `end` (CALENDAR_WEEKS later) as
    iCalendar text, and how many shifts it holds."""
    schedule = settings(console).schedule(name)
    begin = start or console.now().astimezone(console.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    finish = end or begin + timedelta(weeks=CALENDAR_WEEKS)
    if finish <= begin:
        raise DomainError("The calendar ends before it starts. Give an end after the start.")
    chosen = [s for s in whole_shifts(schedule, begin, finish) if person is None or same_person(s.person, person)]
    if person is not None and not chosen and not any(same_person(p, person) for p in people(schedule)):
        raise DomainError(
            f"{person} is not on the schedule '{schedule.name}'. People on it: {', '.join(people(schedule))}."
        )
    events = [_calendar_event(schedule, shift) for shift in chosen]
    title = f"On call: {schedule.name}" + (f" ({person})" if person else "")
    return write_calendar(title, schedule.zone, events, stamp=console.now()), len(events)


def read_yaml(text: str, *, source: str = "The file") -> Any:
    try:
        return yaml.load(text, Loader=_TextTimesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DomainError(f"{source} is not valid YAML{where}: {problem}. Fix it and import again.") from None


class _TextTimesLoader(yaml.SafeLoader):
    """YAML 1.1 reads an unquoted 17:00 as the number 1020 (base 60) and 2026-01-05 as a date; in a
    schedule both are meant as written, so both stay text and the schedule reader checks them."""


def _as_written(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a single value", node.start_mark)
    value = loader.construct_scalar(node)
    if isinstance(value, str) and ":" not in value and node.tag.endswith(":int"):
        return loader.construct_yaml_int(node)
    return value


_TextTimesLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_written)
_TextTimesLoader.add_constructor("tag:yaml.org,2002:int", _as_written)


class _FileDumper(yaml.SafeDumper):
    """The file as a person would write it: lists nested under their key, short lists of names on one line,
    and times and dates in quotes (so no YAML reader takes 17:00 for a number)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flat = all(isinstance(item, str | int) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat)


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"' if _TIME_OR_DATE.match(text) else None)


_TIME_OR_DATE = re.compile(r"^(\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2})$")
_FileDumper.add_representer(list, _list)
_FileDumper.add_representer(str, _text)


def _calendar_event(schedule: Schedule, shift: Shift) -> CalendarEvent:
    key = "\n".join((schedule.name, shift.layer, shift.override, str(shift.turn), shift.person, iso(shift.start)))
    uid = f"{uuid.uuid5(_UID_NAMESPACE, key)}@commander"
    return CalendarEvent(
        uid,
        shift.start,
        shift.end,
        f"On call: {shift.person} ({schedule.name})",
        f"{schedule.name}, {shift.source}. Handoffs follow {schedule.zone.key} time.",
    )
