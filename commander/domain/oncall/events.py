"""On-call settings as events in the `settings:oncall` stream: schedules, overrides, escalation policies and
which policy each service pages. Shared through the store and audited like every other change.

The fold is last-writer-wins by log order for each schedule, policy and service; overrides are a set of
ids (the id of the event that added one), removed by tombstone events. A schedule saved by a newer
console that this one cannot read is skipped and listed in `problems`, not allowed to break the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, well_formed
from commander.domain.core.text import NAME_MAX, SERVICE_MAX, clean_line
from commander.domain.core.when import from_iso, iso
from commander.domain.oncall.format import policy_from_dict, policy_to_dict, schedule_from_dict, schedule_to_dict
from commander.domain.oncall.schedules import (
    EscalationPolicy,
    Override,
    Responder,
    Schedule,
    escalation_targets,
    same_person,
)

STREAM = "settings:oncall"
OVERRIDE_LONGEST = timedelta(days=90)
SECTIONS = ("schedules", "escalation_policies", "services")


@dataclass(frozen=True)
class OnCallSettings:
    schedules: dict[str, Schedule] = field(default_factory=dict)  # by casefolded name, in name order
    policies: dict[str, EscalationPolicy] = field(default_factory=dict)  # by casefolded name, in name order
    routes: dict[str, tuple[str, str]] = field(default_factory=dict)  # service key: (service, policy name)
    problems: tuple[str, ...] = ()

    def schedule(self, name: str) -> Schedule:
        return _named(self.schedules, name, "on-call schedule", "schedules", "schedule")

    def policy(self, name: str) -> EscalationPolicy:
        return _named(self.policies, name, "escalation policy", "policies", "escalation")

    def policy_for(self, service: str) -> EscalationPolicy:
        route = self.routes.get(service.strip().casefold())
        if route is None:
            raise DomainError(
                f"No escalation policy pages for the service '{service}'. `commander escalation "
                f"route {service} POLICY` links one."
            )
        return self.policy(route[1])

    def overrides(self) -> list[Override]:
        return [o for schedule in self.schedules.values() for o in schedule.overrides]

    def override(self, wanted: str) -> Override:
        """An override by its id or any unambiguous start of it."""
        prefix = wanted.strip().lower()
        found = [o for o in self.overrides() if prefix and o.id.startswith(prefix)]
        exact = [o for o in found if o.id == prefix]
        if exact or len(found) == 1:
            return (exact or found)[0]
        if not found:
            raise DomainError(f"No override '{wanted}'. `commander oncall overrides` lists them with their ids.")
        raise DomainError(f"'{wanted}' matches {len(found)} overrides. Type more of the id.")


def fold_oncall(events: Iterable[Event]) -> OnCallSettings:
    schedules: dict[str, Schedule] = {}
    overrides: dict[str, Override] = {}
    policies: dict[str, EscalationPolicy] = {}
    routes: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        p: Any = event.payload
        try:
            if event.kind == "schedule.saved":
                schedule = schedule_from_dict(p["schedule"])
                schedules[schedule.name.casefold()] = schedule
            elif event.kind == "schedule.removed":
                schedules.pop(p["name"].casefold(), None)
                overrides = {k: o for k, o in overrides.items() if o.schedule.casefold() != p["name"].casefold()}
            elif event.kind == "override.added":
                overrides[event.id] = Override(
                    event.id,
                    p["schedule"],
                    p["person"],
                    from_iso(p["start"]),
                    from_iso(p["end"]),
                    p["covers"],
                    event.actor.name,
                )
            elif event.kind == "override.removed":
                overrides.pop(p["override"], None)
            elif event.kind == "escalation.saved":
                policy = policy_from_dict(p["policy"])
                policies[policy.name.casefold()] = policy
            elif event.kind == "escalation.removed":
                policies.pop(p["name"].casefold(), None)
            elif event.kind == "service.routed":
                if p["policy"]:
                    routes[p["service"].casefold()] = (p["service"], p["policy"])
                else:
                    routes.pop(p["service"].casefold(), None)
        except (DomainError, ValueError) as problem:
            problems.append(
                f"{event.actor.name}'s {event.kind} of {iso(event.recorded_at)} cannot be read by "
                f"this version of Commander ({problem}); it is skipped."
            )
    attached = {
        key: replace(schedule, overrides=tuple(o for o in overrides.values() if o.schedule.casefold() == key))
        for key, schedule in sorted(schedules.items())
    }
    return OnCallSettings(attached, dict(sorted(policies.items())), dict(sorted(routes.items())), tuple(problems))


# -- decisions -----------------------------------------------------------------------------------------


def save_schedules(settings: OnCallSettings, items: Sequence[Any]) -> list[EventDraft]:
    """Save each schedule (given as data), replacing the one of the same name; unchanged ones are skipped."""
    parsed = [schedule_from_dict(item) for item in items]
    _no_twins([s.name for s in parsed], "schedules")
    drafts = []
    for schedule in parsed:
        data = schedule_to_dict(schedule)
        current = settings.schedules.get(schedule.name.casefold())
        if current is None or schedule_to_dict(current) != data:
            drafts.append(EventDraft(STREAM, "schedule.saved", {"schedule": data}))
    return drafts


def remove_schedule(settings: OnCallSettings, name: str) -> list[EventDraft]:
    schedule = settings.schedule(name)
    users = [
        p.name
        for p in settings.policies.values()
        if any(
            t.kind == "schedule" and t.name.casefold() == schedule.name.casefold()
            for level in p.levels
            for t in level.targets
        )
    ]
    if users:
        raise DomainError(
            f"The escalation policy '{users[0]}' pages '{schedule.name}'. Change or remove that policy first."
        )
    return [EventDraft(STREAM, "schedule.removed", {"name": schedule.name})]


def add_override(
    settings: OnCallSettings,
    schedule: str,
    person: str,
    start: datetime,
    end: datetime,
    *,
    covers: str = "",
    now: datetime,
) -> list[EventDraft]:
    """Put `person` on `schedule` from `start` to `end`; with `covers`, only while that person would be on."""
    found = settings.schedule(schedule)
    who = clean_line(person, field="person taking over", limit=NAME_MAX)
    covered = clean_line(covers, field="person covered", limit=NAME_MAX, required=False)
    if covered and same_person(who, covered):
        raise DomainError(f"{who} cannot cover for themselves. Name the person they take over from.")
    if end <= start:
        raise DomainError("The override ends before it starts. Give an end after the start.")
    if end <= now:
        raise DomainError("The override would already be over. Give an end in the future.")
    if end - start > OVERRIDE_LONGEST:
        raise DomainError(
            f"An override lasts at most {OVERRIDE_LONGEST.days} days. For longer, change the schedule's rotation."
        )
    return [
        EventDraft(
            STREAM,
            "override.added",
            {"schedule": found.name, "person": who, "start": iso(start), "end": iso(end), "covers": covered},
        )
    ]


def remove_override(settings: OnCallSettings, wanted: str) -> list[EventDraft]:
    return [EventDraft(STREAM, "override.removed", {"override": settings.override(wanted).id})]


def save_policies(
    settings: OnCallSettings, items: Sequence[Any], *, also_schedules: Iterable[str] = ()
) -> list[EventDraft]:
    """Save each escalation policy (given as data); every schedule it pages must exist (or be among
    `also_schedules`, saved in the same breath)."""
    parsed = [policy_from_dict(item) for item in items]
    _no_twins([p.name for p in parsed], "escalation policies")
    known = set(settings.schedules) | {name.casefold() for name in also_schedules}
    drafts = []
    for policy in parsed:
        missing = [
            t.name
            for level in policy.levels
            for t in level.targets
            if t.kind == "schedule" and t.name.casefold() not in known
        ]
        if missing:
            raise DomainError(
                f"The escalation policy '{policy.name}' pages the schedule '{missing[0]}', which does "
                f"not exist. Import the schedule first, or fix the name."
            )
        data = policy_to_dict(policy)
        current = settings.policies.get(policy.name.casefold())
        if current is None or policy_to_dict(current) != data:
            drafts.append(EventDraft(STREAM, "escalation.saved", {"policy": data}))
    return drafts


def remove_policy(settings: OnCallSettings, name: str) -> list[EventDraft]:
    policy = settings.policy(name)
    routed = [service for service, target in settings.routes.values() if target.casefold() == policy.name.casefold()]
    if routed:
        raise DomainError(
            f"The services {', '.join(routed)} page through '{policy.name}'. Route them to another "
            f"policy first (`commander escalation route SERVICE POLICY`)."
        )
    return [EventDraft(STREAM, "escalation.removed", {"name": policy.name})]


def route_service(
    settings: OnCallSettings, service: str, policy: str, *, also_policies: Iterable[str] = ()
) -> list[EventDraft]:
    """Page `policy` for `service` ("" stops paging for it). Nothing is written when it already does."""
    name = clean_line(service, field="service name", limit=SERVICE_MAX)
    target = ""
    if policy.strip():
        known = {p.casefold(): p for p in also_policies}
        target = known.get(policy.strip().casefold()) or settings.policy(policy).name
    current = settings.routes.get(name.casefold())
    if current is None and not target:
        raise DomainError(f"The service '{name}' pages no escalation policy, so there is nothing to stop.")
    if current == (name, target):
        return []
    return [EventDraft(STREAM, "service.routed", {"service": name, "policy": target})]


def import_document(settings: OnCallSettings, document: Any) -> list[EventDraft]:
    """Everything a schedules file holds, in one go: schedules, then the escalation policies (which may
    page the schedules beside them), then the services (which may name the policies beside them)."""
    if not isinstance(document, Mapping):
        raise DomainError(f"The file should hold the sections {', '.join(SECTIONS)}; it holds something else.")
    unknown = [str(key) for key in document if key not in SECTIONS]
    if unknown:
        raise DomainError(f"'{unknown[0]}' is not a section Commander knows. Sections: {', '.join(SECTIONS)}.")
    if not any(document.get(section) for section in SECTIONS):
        raise DomainError(f"The file has nothing to import. Give at least one of {', '.join(SECTIONS)}.")
    schedules = _section_list(document, "schedules")
    policies = _section_list(document, "escalation_policies")
    services = document.get("services") or {}
    if not isinstance(services, Mapping):
        raise DomainError("services should map each service to its escalation policy, e.g. 'payments: Payments'.")
    drafts = save_schedules(settings, schedules)
    schedule_names = [str(item.get("name", "")) for item in schedules if isinstance(item, Mapping)]
    drafts += save_policies(settings, policies, also_schedules=schedule_names)
    policy_names = [str(item.get("name", "")).strip() for item in policies if isinstance(item, Mapping)]
    for service, policy in services.items():
        if not isinstance(policy, str) or not policy.strip():
            raise DomainError(f"The service '{service}' should name an escalation policy, e.g. '{service}: Payments'.")
        drafts += route_service(settings, str(service), policy, also_policies=policy_names)
    return drafts


def export_document(settings: OnCallSettings, names: Sequence[str] = ()) -> dict[str, Any]:
    """The named schedules, or (with no names) every schedule, policy and service: the file format."""
    if names:
        return {"schedules": [schedule_to_dict(settings.schedule(name)) for name in names]}
    document: dict[str, Any] = {"schedules": [schedule_to_dict(s) for s in settings.schedules.values()]}
    if settings.policies:
        document["escalation_policies"] = [policy_to_dict(p) for p in settings.policies.values()]
    if settings.routes:
        document["services"] = {service: policy for service, policy in settings.routes.values()}
    return document


def resolve_oncall(settings: OnCallSettings, service: str, at: datetime, level: int = 0) -> list[Responder]:
    """Whom paging `service` reaches at `at`: its escalation policy's level `level` (0, the first, by
    default), each schedule resolved to the person on call then."""
    policy = settings.policy_for(service)
    return escalation_targets(policy, level, at, settings.schedules)


Named = TypeVar("Named", Schedule, EscalationPolicy)


def _named(found: dict[str, Named], name: str, what: str, plural: str, command: str) -> Named:
    """A schedule or policy by its name in any case, or as a slug ("payments-primary" for "Payments primary",
    as workflow rules and chat commands write it), or a refusal that lists the names there are."""
    match = found.get(name.strip().casefold())
    if match is None:
        slug = _slug(name)
        match = next((item for item in found.values() if slug and _slug(item.name) == slug), None)
    if match is None:
        known = ", ".join(item.name for item in found.values()) or "none yet"
        raise DomainError(f"No {what} '{name}' ({plural}: {known}). `commander {command} import FILE.yaml` adds them.")
    return match


def _slug(name: str) -> str:
    return "".join(char for char in name.casefold() if char.isalnum())


def _section_list(document: Mapping[str, Any], section: str) -> list[Any]:
    items = document.get(section) or []
    if not isinstance(items, list):
        raise DomainError(f"{section} should be a list (one '- name: …' item per entry).")
    return items


def _no_twins(names: Sequence[str], what: str) -> None:
    folded = [name.casefold() for name in names]
    twin = next((name for name in names if folded.count(name.casefold()) > 1), None)
    if twin is not None:
        raise DomainError(f"Two {what} are called '{twin}'. Give each its own name.")
