"""What the workflow editor's widgets need to know about a rule's plain data: how each action field is
edited (its caption, its widget, an example), the trigger in words, and where a refusal points.

The fields themselves come from `commander.domain.workflows.rules.ACTIONS`: an action kind or field added
there shows up in the editor as a text field until it is given a better widget here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commander.domain.core.policy import Policy
from commander.domain.workflows import rules
from commander.domain.workflows.matching import TEMPLATED

LINE, LIST, LINES, SEVERITY, ROLE, MINUTES, CHOICE = "line", "list", "lines", "severity", "role", "minutes", "choice"


@dataclass(frozen=True)
class FieldLook:
    caption: str
    widget: str  # LINE, LIST (comma separated on one line), LINES (multi-line text), SEVERITY, ROLE, MINUTES, CHOICE
    hint: str = ""
    choices: tuple[str, ...] = ()


# By (action kind, field), then by field alone.
_LOOKS: dict[tuple[str, str] | str, FieldLook] = {
    ("invite", "who"): FieldLook("Who", LIST, "oncall:payments-primary, role:incident_commander, Alex"),
    ("assign-role", "who"): FieldLook("Who", LINE, "Alex, or oncall:<schedule>, or role:<role key>"),
    ("send-update", "to"): FieldLook("Destinations", LIST, "status-page, exec-email (names, comma separated)"),
    ("send-update", "template"): FieldLook("Template", LINE, "the update template's key, e.g. initial"),
    ("create-channel", "name"): FieldLook("Channel name", LINE, "inc-{{ incident.reference | lower }}"),
    ("attach-runbook", "runbook"): FieldLook("Runbook", LINE, "a runbook's name (or leave it and choose By)"),
    "via": FieldLook("Via", LINE, "the connection's name, e.g. team-slack or jitsi"),
    "severity": FieldLook("Severity", SEVERITY),
    "title": FieldLook("Title", LINE, "{{ alert.labels.alertname }} on {{ alert.labels.service }}"),
    "services": FieldLook("Services", LIST, "checkout, payments"),
    "policy": FieldLook("Escalation policy", LINE, "the escalation policy's name"),
    "by": FieldLook("By", CHOICE, "the alert's label that names the runbook", ("", "alertname", "service")),
    "label": FieldLook("Label", LINE, "Check customer impact"),
    "minutes": FieldLook("Minutes", MINUTES),
    "role": FieldLook("Role", ROLE),
    "text": FieldLook("Text", LINES, "Bridge: {{ bridge.url }}. IC: {{ roles.incident_commander }}"),
}

ACTION_WORDS = {
    "declare": "Declare an incident from the alert",
    "create-channel": "Create the incident's chat channel",
    "invite": "Invite people to the channel",
    "start-bridge": "Start a meeting bridge",
    "page": "Page through an escalation policy",
    "attach-runbook": "Attach a runbook",
    "send-update": "Send a stakeholder update",
    "start-timer": "Start a timer",
    "assign-role": "Assign a role",
    "post": "Post in the incident's channel",
}


def action_fields(kind: str) -> list[tuple[str, FieldLook, bool]]:
    """The fields of an action kind, required first: (name, look, required)."""
    required, optional = rules.ACTIONS.get(kind, ({}, {}))
    found = [(name, look(kind, name), True) for name in required]
    return found + [(name, look(kind, name), False) for name in optional]


def look(kind: str, name: str) -> FieldLook:
    return _LOOKS.get((kind, name)) or _LOOKS.get(name) or FieldLook(name.replace("_", " ").capitalize(), LINE)


def is_template(kind: str, name: str) -> bool:
    return name in TEMPLATED.get(kind, ())


# -- text in the widgets and plain data ----------------------------------------------------------------


def list_from_text(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def text_from_list(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def labels_from_text(text: str) -> dict[str, str]:
    """`key=value` lines (or `key: value`); blank lines are skipped."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, _, value = line.partition("=") if "=" in line else line.partition(":")
        found[key.strip()] = value.strip()
    return found


def text_from_labels(value: Any) -> str:
    if not isinstance(value, Mapping):
        return ""
    return "\n".join(f"{key}={item}" for key, item in value.items())


# -- words -----------------------------------------------------------------------------------------------


def trigger_words(when: Mapping[str, Any], policy: Policy) -> str:
    """The trigger and its conditions as a person says them: "an incident is declared, SEV2 or worse"."""
    event = when.get("event")
    at_least = when.get("severity_at_least")
    worse = f"{at_least} or worse" if at_least else ""
    if event == "incident.declared":
        words = "an incident is declared"
    elif event == "severity.raised":
        words, worse = f"severity is raised to {worse or 'a level'}", ""
    elif event == "status.changed":
        words = f"status changes to {when.get('to', '…')}"
    elif event == "role.unfilled":
        role = policy.role(str(when.get("role", "")))
        words = f"{role.name if role else when.get('role', 'a role')} is unfilled for {when.get('minutes', '…')} min"
    elif event == "alert.firing":
        labels = when.get("labels")
        pairs = ", ".join(f"{k}={v}" for k, v in labels.items()) if isinstance(labels, Mapping) else ""
        return f"an alert fires with {pairs}" if pairs else "an alert fires"
    elif event == "timer":
        words = f"{when.get('minutes', '…')} min after the declaration"
    else:
        return str(event or "no trigger")
    extra = [worse] if worse else []
    services = when.get("services")
    if isinstance(services, list | tuple) and services:
        extra.append("on " + ", ".join(str(s) for s in services))
    if when.get("drill") is True:
        extra.append("drills only")
    elif when.get("drill") is False:
        extra.append("not drills")
    return ", ".join([words, *extra])


# -- where a refusal points ---------------------------------------------------------------------------

_ACTION = re.compile(r"action (\d+)")
_FIELD = re.compile(r"'([a-z_]+)'")


@dataclass(frozen=True)
class Place:
    """Where a DomainError from `rule_from_dict` points: the action (from 1) and the field, when it says."""

    action: int | None
    field: str | None
    trigger: bool


def place_of(message: str) -> Place:
    head = message.split(":", 1)[0]
    action = _ACTION.search(head)
    trigger = ", when" in head
    field = _FIELD.search(message[len(head) :])
    return Place(int(action.group(1)) if action else None, field.group(1) if field else None, trigger)


_UNRESOLVED = re.compile(r"^action (\d+) \(([a-z-]+)\): (.*)$")


def missing_lines(rule: str, said: list[str]) -> list[str]:
    """app.workflows.unresolved's sentences for one rule, one line per missing thing with the actions that
    name it: "Actions 1, 2, 4: no chat connection 'team-slack' yet (`commander chat add`)."."""
    grouped: dict[str, list[str]] = {}
    for sentence in said:
        found = _UNRESOLVED.match(sentence.removeprefix(f"Rule '{rule}', "))
        what, where = (found.group(3), found.group(1)) if found else (sentence, "")
        grouped.setdefault(what, []).append(where)
    lines = []
    for what, positions in grouped.items():
        named = [p for p in positions if p]
        head = f"Action{'s' if len(named) > 1 else ''} {', '.join(named)}: " if named else ""
        lines.append(head + (what[:1].upper() + what[1:] if not head else what))
    return lines
