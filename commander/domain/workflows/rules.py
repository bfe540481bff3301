"""A workflow rule as data: its name, its trigger (`when`, with its conditions) and its ordered actions
(`do`), read from a YAML file or a stored event and checked field by field.

Rules come from files people write and from the shared store, so everything is bounded (names, texts,
counts) and every refusal names the rule, the action's position and the field, and says what to write.
docs/cli.md shows the format with an example.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from commander.domain.core.errors import DomainError
from commander.domain.core.policy import Policy
from commander.domain.core.text import NAME_MAX, SERVICE_MAX, TITLE_MAX, clean_line, clean_multiline
from commander.domain.incident.state import Status

FILE_MAX = 256 * 1024  # characters of a rules file: fifty long rules take a few kilobytes
RULES_MAX = 50
ACTIONS_MAX = 20
LABELS_MAX = 20
LABEL_KEY_MAX = 100
LABEL_VALUE_MAX = 200
SERVICES_MAX = 20
WHO_MAX = 50
DESTINATIONS_MAX = 20
TEXT_MAX = 4_000  # a message posted in the incident's channel
LINE_MAX = 200  # a channel's name or a timer's label, before the service's own limits
ROLE_MINUTES_MAX = 24 * 60
TIMER_MINUTES_MAX = 7 * 24 * 60
_RULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")

EVENTS = ("incident.declared", "severity.raised", "status.changed", "role.unfilled", "alert.firing", "timer")
_CONDITIONS = ("severity_at_least", "services", "labels", "drill")
# What each trigger must say, besides its event; conditions may be added to any but alert.firing, which
# happens before there is an incident to have a severity, services or a drill flag.
_TRIGGER_REQUIRED: dict[str, tuple[str, ...]] = {
    "incident.declared": (),
    "severity.raised": ("severity_at_least",),
    "status.changed": ("to",),
    "role.unfilled": ("role", "minutes"),
    "alert.firing": ("labels",),
    "timer": ("minutes",),
}


@dataclass(frozen=True)
class Trigger:
    """`when`: the event a rule fires on and the conditions it must meet then."""

    event: str
    severity_at_least: str | None = None
    services: tuple[str, ...] = ()  # any of them
    labels: tuple[tuple[str, str], ...] = ()  # every one, exactly
    drill: bool | None = None  # None: drills and real incidents alike
    to: str | None = None  # status.changed: the new status
    role: str | None = None  # role.unfilled: the role's key
    minutes: int | None = None  # role.unfilled: unfilled this long; timer: this long after the declaration


@dataclass(frozen=True)
class Action:
    """One step of `do`: its kind and its own fields, checked and in their stored form."""

    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    name: str
    when: Trigger
    actions: tuple[Action, ...]


# -- reading a file ------------------------------------------------------------------------------------


def load_yaml(text: str, *, source: str = "The file") -> Any:
    """The plain data in a rules file (yaml.safe_load: never Python objects), bounded in size and nesting."""
    import yaml  # the parser is loaded by the import that needs it, not by every start

    if len(text) > FILE_MAX:
        raise DomainError(f"{source} is {len(text):,} characters long; the limit is {FILE_MAX:,}. Split it.")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DomainError(f"{source} is not valid YAML{where}: {problem}. Fix it and import again.") from None
    except RecursionError:
        raise DomainError(f"{source} nests too deeply to be a rules file. Fix it and import again.") from None


def read_rules(data: Any, policy: Policy, *, source: str = "The file") -> list[Rule]:
    """Every rule in a file's data (a list of rules), each checked; two with one name are refused."""
    if not isinstance(data, list) or not data:
        raise DomainError(f"{source} should be a list of rules ('- name: …' for each), found {_shown(data)}.")
    if len(data) > RULES_MAX:
        raise DomainError(f"{source} holds {len(data)} rules; the limit is {RULES_MAX}. Split it.")
    rules: list[Rule] = []
    for position, item in enumerate(data, start=1):
        rule = rule_from_dict(item, policy, position=position)
        if any(found.name.casefold() == rule.name.casefold() for found in rules):
            raise DomainError(f"{source} has two rules named '{rule.name}'. Give each rule its own name.")
        rules.append(rule)
    return rules


def rule_from_dict(data: Any, policy: Policy, *, position: int | None = None) -> Rule:
    """One rule from plain data; a mistake is a DomainError that says where it is and what to write."""
    named = data.get("name") if isinstance(data, Mapping) else None
    if isinstance(named, str) and _RULE_NAME.match(named.strip()):
        where = f"Rule '{named.strip()}'"
    else:
        where = f"Rule {position}" if position is not None else "The rule"
    fields = _fields(data, ("name", "when", "do"), where, required=("name", "when", "do"))
    name = fields["name"]
    if not isinstance(name, str) or not _RULE_NAME.match(name.strip()):
        raise DomainError(
            f"{where}: 'name' should be up to 80 letters, digits, '.', '-' or '_', starting with a letter or "
            f"digit (e.g. sev1-war-room), found {_shown(name)}."
        )
    name = name.strip()
    where = f"Rule '{name}'"
    when = _trigger(fields["when"], f"{where}, when", policy)
    steps = fields["do"]
    if not isinstance(steps, list) or not steps:
        raise DomainError(f"{where}: 'do' should be a list of actions ('- {{action: …}}' each), found {_shown(steps)}.")
    if len(steps) > ACTIONS_MAX:
        raise DomainError(f"{where}: 'do' has {len(steps)} actions; the limit is {ACTIONS_MAX}.")
    actions = tuple(_action(step, f"{where}, action {index}", policy) for index, step in enumerate(steps, start=1))
    _check_order(when, actions, where)
    return Rule(name, when, actions)


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The rule's stored form, which `rule_from_dict` reads back to the same rule."""
    when: dict[str, Any] = {"event": rule.when.event}
    for name in ("to", "role", "minutes", "severity_at_least", "drill"):
        value = getattr(rule.when, name)
        if value is not None:
            when[name] = value
    if rule.when.services:
        when["services"] = list(rule.when.services)
    if rule.when.labels:
        when["labels"] = dict(rule.when.labels)
    steps = [{"action": action.kind, **_plain(action.fields)} for action in rule.actions]
    return {"name": rule.name, "when": when, "do": steps}


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in fields.items()}


# -- the trigger ---------------------------------------------------------------------------------------


def _trigger(data: Any, where: str, policy: Policy) -> Trigger:
    event = data.get("event") if isinstance(data, Mapping) else None
    if event not in _TRIGGER_REQUIRED:
        if not isinstance(data, Mapping):
            raise DomainError(f"{where}: expected fields (event, …), found {_shown(data)}.")
        raise DomainError(f"{where}: 'event' should be one of {', '.join(EVENTS)}, found {_shown(event)}.")
    required = _TRIGGER_REQUIRED[event]
    own = {"status.changed": ("to",), "role.unfilled": ("role", "minutes"), "timer": ("minutes",)}.get(event, ())
    allowed = ("event", *own, *(("labels",) if event == "alert.firing" else _CONDITIONS))
    fields = _fields(data, allowed, f"{where} ({event})", required=required)
    where = f"{where} ({event})"
    found: dict[str, Any] = {"event": event}
    if "severity_at_least" in fields:
        found["severity_at_least"] = _severity(fields["severity_at_least"], where, "severity_at_least", policy)
    if "services" in fields:
        found["services"] = _services(fields["services"], where)
    if "labels" in fields:
        found["labels"] = _labels(fields["labels"], where)
    if "drill" in fields:
        if not isinstance(fields["drill"], bool):
            raise DomainError(f"{where}: 'drill' should be true or false, found {_shown(fields['drill'])}.")
        found["drill"] = fields["drill"]
    if "to" in fields:
        statuses = [status.value for status in Status]
        if fields["to"] not in statuses:
            raise DomainError(f"{where}: 'to' should be one of {', '.join(statuses)}, found {_shown(fields['to'])}.")
        found["to"] = fields["to"]
    if "role" in fields:
        found["role"] = _role(fields["role"], where, "role", policy)
    if "minutes" in fields:
        most = TIMER_MINUTES_MAX if event == "timer" else ROLE_MINUTES_MAX
        found["minutes"] = _whole(fields["minutes"], where, "minutes", 1, most)
    return Trigger(**found)


def _check_order(when: Trigger, actions: tuple[Action, ...], where: str) -> None:
    """A declare makes the incident the other actions work on: only an alert can need one, and there it
    comes first."""
    declares = [index for index, action in enumerate(actions, start=1) if action.kind == "declare"]
    if when.event != "alert.firing" and declares:
        raise DomainError(
            f"{where}, action {declares[0]} (declare): only an alert.firing rule can declare; a {when.event} "
            f"rule runs for an incident that is already declared. Remove the action."
        )
    if when.event == "alert.firing" and declares != [1]:
        raise DomainError(
            f"{where}: an alert.firing rule starts with one declare action (the actions after it work on "
            f"the incident it declares). Put '- {{action: declare, severity: …, title: …}}' first, once."
        )


# -- actions -------------------------------------------------------------------------------------------

Reader = Callable[[Any, str, str, Policy], Any]


def _action(data: Any, where: str, policy: Policy) -> Action:
    kind = data.get("action") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping):
        raise DomainError(f"{where}: expected fields (action, …), found {_shown(data)}.")
    if kind not in ACTIONS:
        raise DomainError(f"{where}: 'action' should be one of {', '.join(ACTIONS)}, found {_shown(kind)}.")
    required, optional = ACTIONS[kind]
    where = f"{where} ({kind})"
    fields = _fields(data, ("action", *required, *optional), where, required=tuple(required))
    read = {**required, **optional}
    checked = {name: read[name](fields[name], where, name, policy) for name in read if name in fields}
    if kind == "attach-runbook" and len(checked) != 1:
        raise DomainError(
            f"{where}: give either 'by' (alertname or service: the runbook named by the alert's label) or "
            f"'runbook' (a runbook's name), one of the two."
        )
    return Action(kind, checked)


def _template(limit: int, *, lines: bool = False) -> Reader:
    def read(value: Any, where: str, name: str, policy: Policy) -> str:
        from commander.domain.workflows import rendering  # Jinja2 only once a rule is read, not at every start

        text = _text(value, where, name)
        clean = clean_multiline if lines else clean_line
        try:
            source = clean(text, field=name, limit=limit)
            rendering.check(source)
        except (DomainError, rendering.TemplateProblem) as problem:
            raise DomainError(f"{where}: '{name}' is not a usable template: {problem}") from None
        return source

    return read


def _name(value: Any, where: str, name: str, policy: Policy) -> str:
    try:
        return clean_line(_text(value, where, name), field=name, limit=NAME_MAX)
    except DomainError as problem:
        raise DomainError(f"{where}: {problem}") from None


def _names(value: Any, where: str, name: str, policy: Policy) -> tuple[str, ...]:
    items = _list(value, where, name, DESTINATIONS_MAX)
    return tuple(_name(item, where, name, policy) for item in items)


def _minutes(value: Any, where: str, name: str, policy: Policy) -> int:
    return _whole(value, where, name, 1, ROLE_MINUTES_MAX)


def _flag(value: Any, where: str, name: str, policy: Policy) -> bool:
    if not isinstance(value, bool):
        raise DomainError(f"{where}: '{name}' should be true or false, found {_shown(value)}.")
    return value


def _by(value: Any, where: str, name: str, policy: Policy) -> str:
    if value not in ("alertname", "service"):
        raise DomainError(f"{where}: 'by' should be alertname or service, found {_shown(value)}.")
    return str(value)


def _who_list(value: Any, where: str, name: str, policy: Policy) -> tuple[str, ...]:
    return tuple(_who(item, where, name, policy) for item in _list(value, where, name, WHO_MAX))


def _who(value: Any, where: str, name: str, policy: Policy) -> str:
    """`oncall:<schedule>`, `role:<role key>`, or a person's name."""
    text = _text(value, where, name)
    prefix, colon, rest = text.partition(":")
    if not colon:
        return _name(text, where, name, policy)
    if prefix.strip() == "oncall":
        return f"oncall:{_name(rest, where, name, policy)}"
    if prefix.strip() == "role":
        return f"role:{_role(rest.strip(), where, name, policy)}"
    raise DomainError(
        f"{where}: '{name}' entry {_shown(text)} is not oncall:<schedule>, role:<role key> or a person's name."
    )


def _services_reader(value: Any, where: str, name: str, policy: Policy) -> tuple[str, ...]:
    return _services(value, where)


# -- small readers -------------------------------------------------------------------------------------


def _fields(data: Any, known: tuple[str, ...], where: str, *, required: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DomainError(f"{where}: expected fields ({', '.join(known)}), found {_shown(data)}.")
    unknown = [key for key in data if key not in known]
    if unknown:
        raise DomainError(f"{where}: {_shown(unknown[0])} is not a field here. Fields: {', '.join(known)}.")
    missing = [key for key in required if data.get(key) in (None, "", [], {})]
    if missing:
        raise DomainError(f"{where}: '{missing[0]}' is missing.")
    return data


def _text(value: Any, where: str, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DomainError(f"{where}: '{name}' should be text, found {_shown(value)}.")
    return str(value)


def _list(value: Any, where: str, name: str, most: int) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise DomainError(f"{where}: '{name}' should be a list ([a, b]), found {_shown(value)}.")
    if len(value) > most:
        raise DomainError(f"{where}: '{name}' has {len(value)} entries; the limit is {most}.")
    return value


def _whole(value: Any, where: str, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(f"{where}: '{name}' should be a whole number from {low} to {high}, found {_shown(value)}.")
    return value


def _severity(value: Any, where: str, name: str, policy: Policy) -> str:
    key = _text(value, where, name).strip().upper()
    if policy.find_severity(key) is None:
        known = ", ".join(s.key for s in policy.severities)
        raise DomainError(f"{where}: '{name}' {_shown(value)} is not a severity of the policy. Use one of: {known}.")
    return key


def _role(value: Any, where: str, name: str, policy: Policy) -> str:
    key = _text(value, where, name).strip()
    if policy.role(key) is None:
        known = ", ".join(r.key for r in policy.roles)
        raise DomainError(f"{where}: '{name}' names the role {_shown(key)}, which the policy lacks. Roles: {known}.")
    return key


def _services(value: Any, where: str) -> tuple[str, ...]:
    items = _list(value, where, "services", SERVICES_MAX)
    try:
        return tuple(clean_line(_text(i, where, "services"), field="service", limit=SERVICE_MAX) for i in items)
    except DomainError as problem:
        raise DomainError(f"{where}: {problem}") from None


def _labels(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or not value:
        raise DomainError(
            f"{where}: 'labels' should be name: value pairs ({{severity: critical}}), found {_shown(value)}."
        )
    if len(value) > LABELS_MAX:
        raise DomainError(f"{where}: 'labels' has {len(value)} entries; the limit is {LABELS_MAX}.")
    pairs = []
    for key, item in value.items():
        if not isinstance(key, str) or not 0 < len(key) <= LABEL_KEY_MAX:
            raise DomainError(
                f"{where}: the label name {_shown(key)} should be text of 1 to {LABEL_KEY_MAX} characters."
            )
        text = _text(item, where, f"labels.{key}")
        if len(text) > LABEL_VALUE_MAX:
            raise DomainError(f"{where}: label '{key}' is longer than {LABEL_VALUE_MAX} characters.")
        pairs.append((key, text))
    return tuple(sorted(pairs))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


# Each action's (required fields, optional fields), each field with its reader.
ACTIONS: dict[str, tuple[dict[str, Reader], dict[str, Reader]]] = {
    "declare": ({"severity": _severity, "title": _template(TITLE_MAX)}, {"services": _services_reader}),
    "create-channel": ({"via": _name, "name": _template(LINE_MAX)}, {"archive_on_close": _flag}),
    "invite": ({"via": _name, "who": _who_list}, {}),
    "start-bridge": ({"via": _name}, {}),
    "page": ({"policy": _name}, {}),
    "attach-runbook": ({}, {"by": _by, "runbook": _name}),
    "send-update": ({"template": _name, "to": _names}, {}),
    "start-timer": ({"label": _template(LINE_MAX), "minutes": _minutes}, {}),
    "assign-role": ({"role": _role, "who": _who}, {}),
    "post": ({"via": _name, "text": _template(TEXT_MAX, lines=True)}, {}),
}
