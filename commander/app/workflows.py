"""Workflow rules: imported from YAML, listed, shown, removed, and planned in a dry run against an incident.

The rules are settings shared through the store (`settings:workflows`); importing a file is all or
nothing: every rule is checked before any event is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.workflows import kinds, matching
from commander.domain.workflows.kinds import SavedRule
from commander.domain.workflows.matching import PlannedAction
from commander.domain.workflows.rules import load_yaml, read_rules, rule_from_dict

if TYPE_CHECKING:
    from commander.domain.oncall.events import OnCallSettings


def rules(console: Console) -> list[SavedRule]:
    """Every rule in use, by name."""
    return list(_saved(console).values())


def rule(console: Console, name: str) -> SavedRule:
    return kinds.find(_saved(console), name)


def import_yaml(console: Console, text: str, *, source: str = "The file") -> list[str]:
    """Save every rule of a YAML file (a list of rules) in one transaction; returns the names of those that
    were new or changed. One rule that fails refuses the file, and nothing is written."""
    found = read_rules(load_yaml(text, source=source), console.policy, source=source)
    events = console.reads.stream(kinds.STREAM)
    drafts = kinds.save_rules(kinds.fold_rules(events, console.policy), found, kinds.versions_used(events))
    console.record(drafts)
    return [str(draft.payload["name"]) for draft in drafts]


def save(console: Console, data: object, *, replacing: str | None = None, new: bool = False) -> str:
    """Save one rule from plain data (the window's form or its YAML), checked whole first; returns its name
    as saved. Nothing is written when it equals the rule in use. `new`: a rule not saved before, refused if
    its name is taken; `replacing`: the name it was saved under, removed in the same transaction when the
    rule is saved under another name (a rename), which is refused too if that other name is taken."""
    found = rule_from_dict(data, console.policy)
    events = console.reads.stream(kinds.STREAM)
    existing = kinds.fold_rules(events, console.policy)
    renamed = replacing is not None and replacing.strip().casefold() != found.name.casefold()
    if (new or renamed) and found.name.casefold() in existing:
        raise DomainError(
            f"A workflow rule named '{existing[found.name.casefold()].rule.name}' exists already. Give this "
            f"rule another name, or open that one to change it."
        )
    drafts = kinds.save_rules(existing, [found], kinds.versions_used(events))
    if renamed and replacing is not None and replacing.strip().casefold() in existing:
        drafts += kinds.remove_rule(existing, replacing)
    console.record(drafts)
    return found.name


def remove(console: Console, name: str) -> str:
    """Remove a rule; returns its name as it was saved."""
    [draft] = kinds.remove_rule(_saved(console), name)
    console.record([draft])
    return str(draft.payload["name"])


def dry_run(console: Console, name: str, incident_id: str) -> list[PlannedAction]:
    """What the rule's actions would do for this incident, its templates filled in from the incident's
    state now. An alert rule uses the labels of the alert first attached to the incident, when it has one.
    Nothing is written."""
    return dry_run_planner(console, name, incident_id)()


def dry_run_planner(console: Console, name: str, incident_id: str) -> Callable[[], list[PlannedAction]]:
    """`dry_run` in two halves, for a window: the reads happen now, on the console's thread; the call
    returned fills the templates in (each under the template budget, seconds for a hostile one) and
    touches no store, so it may run on a worker thread."""
    saved = rule(console, name)
    state = console.state(incident_id)
    if not state.declared:
        raise DomainError("That incident has not been declared: there is nothing to plan against.")
    alerts = sorted(state.alerts.values(), key=lambda alert: alert.starts_at)
    trigger = alerts[0].fingerprint if saved.rule.when.event == "alert.firing" and alerts else state.id
    values = matching.variables(state, console.policy, labels=alerts[0].labels if alerts else None)
    return lambda: matching.plan(saved, trigger, values)


def _saved(console: Console) -> dict[str, SavedRule]:
    return kinds.fold_rules(console.reads.stream(kinds.STREAM), console.policy)


def unresolved(console: Console, found: list[SavedRule] | None = None) -> list[str]:
    """What the rules name that this team does not have yet: a chat or bridge connection, an update
    destination or template, an escalation policy, an on-call schedule, a runbook. A rule may be imported
    before what it names is added, so these are warnings: each such action fails, saying so, until then."""
    from commander.app import bridges, chat, oncall
    from commander.app.runbooks import library
    from commander.app.updates import publishing, templates

    have = {
        "chat": {name.casefold() for name in chat.connections(console)},
        "bridge": {name.casefold() for name in bridges.bridges(console)},
        "destination": {name.casefold() for name in publishing.destinations(console)},
        "template": {key.casefold() for key in templates.templates(console)},
    }
    settings = oncall.settings(console)
    runbooks = {record.current.title.casefold() for record in library.library(console).values()}
    said: list[str] = []
    for saved in found if found is not None else rules(console):
        for position, action in enumerate(saved.rule.actions, start=1):
            where = f"Rule '{saved.rule.name}', action {position} ({action.kind})"
            fields = action.fields
            chatting = action.kind in ("create-channel", "invite", "post")
            if chatting and str(fields["via"]).casefold() not in have["chat"]:
                said.append(f"{where}: no chat connection '{fields['via']}' yet (`commander chat add`).")
            if action.kind == "start-bridge" and str(fields["via"]).casefold() not in have["bridge"]:
                said.append(f"{where}: no bridge '{fields['via']}' yet (`commander bridge add`).")
            if action.kind == "send-update":
                if str(fields["template"]).casefold() not in have["template"]:
                    said.append(f"{where}: no update template '{fields['template']}' yet.")
                said += [
                    f"{where}: no update destination '{name}' yet (`commander destination add`)."
                    for name in fields["to"]
                    if str(name).casefold() not in have["destination"]
                ]
            if action.kind == "page" and not _known_policy(settings, str(fields["policy"])):
                said.append(f"{where}: no escalation policy or service '{fields['policy']}' yet.")
            named = str(fields.get("runbook") or "")
            if action.kind == "attach-runbook" and named and named.casefold() not in runbooks:
                said.append(f"{where}: no runbook titled '{fields['runbook']}' in the library yet.")
            who = list(fields.get("who") or []) if action.kind == "invite" else [str(fields.get("who", ""))]
            for item in who:
                kind, _, name = item.partition(":")
                if kind == "oncall" and not _known_schedule(settings, name):
                    said.append(f"{where}: no on-call schedule '{name}' yet (`commander schedule import`).")
    return said


def _known_policy(settings: OnCallSettings, name: str) -> bool:
    try:
        settings.policy(name)
    except DomainError:
        return name.strip().casefold() in settings.routes
    return True


def _known_schedule(settings: OnCallSettings, name: str) -> bool:
    try:
        settings.schedule(name)
    except DomainError:
        return False
    return True
