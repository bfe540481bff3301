"""Stakeholder updates: the templates (shipped, and the team's own from the store) and filling one in for an
incident, or for a made-up sample incident when none is open."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from commander.app.console import Console, Decision
from commander.app.setup.resources import resources_dir
from commander.app.updates import template_runner
from commander.domain.core.clock import pack, to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Actor, Event
from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentState, fold
from commander.domain.updates import team_templates, timers
from commander.domain.updates.templates import Template, TemplateProblem, context

SAMPLE_ID = "6d1f3c2a-8e4b-4f7a-9c51-2b7e0a9d4c3f"


def shipped_templates(folder: Path | None = None) -> dict[str, Template]:
    folder = folder or resources_dir() / "templates"
    try:
        index = tomllib.loads((folder / "index.toml").read_text(encoding="utf-8"))
        return {
            entry["key"]: Template(
                entry["key"],
                entry["name"],
                entry["stage"],
                entry["audience"],
                (folder / entry["file"]).read_text(encoding="utf-8"),
            )
            for entry in index.get("template", [])
        }
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise DomainError(f"The update templates in {folder} cannot be read ({error}). Reinstall Commander.") from error


def templates(console: Console) -> dict[str, Template]:
    """Every template in use: the shipped ones (or the team's versions of them), then the team's own."""
    return team_templates.merge(
        shipped_templates(), team_templates.fold_templates(console.reads.stream(team_templates.STREAM))
    )


def template(console: Console, key: str) -> Template:
    found = templates(console)
    if key not in found:
        raise DomainError(f"No update template '{key}'. Templates: {', '.join(found)}.")
    return found[key]


def save_template(
    console: Console, key: str, *, name: str, stage: str = "", audience: str = "", body: str, new: bool = False
) -> Template:
    """Save the team's template under `key` (shared with every console); returns it as now in use."""
    console.record(
        team_templates.save_template(
            templates(console), key, name=name, stage=stage, audience=audience, body=body, new=new
        )
    )
    return templates(console)[team_templates.clean_key(key)]


def remove_template(console: Console, key: str) -> Template | None:
    """Remove the team's template; returns the shipped one it brings back, if any."""
    console.record(team_templates.remove_template(templates(console), key))
    return shipped_templates().get(key.strip())


def variables(console: Console, incident_id: str | None) -> dict[str, Any]:
    """What a template sees for this incident now; None: the sample incident."""
    now = console.now()
    state = console.state(incident_id) if incident_id else sample_incident(console.policy, now, console.me.name)
    return context(state, console.policy, now=now, author=console.me.name, time_format=console.time_format)


def preview(console: Console, incident_id: str | None, key: str) -> str:
    """The update as it would go out now (None: for the sample incident). A template problem is a
    DomainError naming its line."""
    return preview_later(console, incident_id, key)()


def preview_later(console: Console, incident_id: str | None, key: str) -> Callable[[], str]:
    """`preview` in two halves: the store is read now, on the calling thread; the rendering it returns
    may run on another (the window's UI thread never waits on a template: see ui/template_rendering)."""
    text, filled = template(console, key).source, variables(console, incident_id)

    def rendered() -> str:
        try:
            return template_runner.render_update(text, filled)
        except TemplateProblem as problem:
            raise DomainError(f"The template '{key}' cannot be used: {problem}") from None

    return rendered


def problems(
    console: Console, incident_id: str | None, found: Mapping[str, Template] | None = None
) -> dict[str, TemplateProblem]:
    """The templates that cannot be filled in for this incident (None: the sample), each with its problem.
    One broken template is reported here; the others stay usable."""
    return template_runner.problems(templates(console) if found is None else found, variables(console, incident_id))


def sample_incident(policy: Policy, now: datetime, commander: str) -> IncidentState:
    """A made-up incident forty minutes in, for previewing a template when none is open. It is decided by
    the real decisions and folded like any incident, so it has every field a real one has."""
    events: list[Event] = []
    you, lead = Actor("sample:you", commander), Actor("sample:lead", "Sam Okafor")

    def act(person: Actor, minutes_ago: int, decide: Decision) -> None:
        at = now - timedelta(minutes=minutes_ago)
        for draft in decide(fold(SAMPLE_ID, events, policy)):
            number = len(events) + 1
            events.append(
                Event(
                    f"sample-{number}",
                    draft.stream,
                    draft.kind,
                    dict(draft.payload),
                    person,
                    pack(to_ms(at), number),
                    draft.occurred_at or at,
                    at,
                    "sample",
                )
            )

    severity = policy.severities[min(1, len(policy.severities) - 1)].key
    form = decisions.Declaration(
        title="Card payments failing for some EU customers",
        severity=severity,
        services=("checkout", "payments"),
        summary="About one in five card payments in the EU fails at checkout; other regions are unaffected.",
        detected_at=now - timedelta(minutes=44),
        commander=commander,
    )
    declared = now - timedelta(minutes=40)
    act(you, 40, lambda _: decisions.declare(SAMPLE_ID, form, me=commander, policy=policy, now=declared))
    lead_role = policy.role_key_for("Technical Lead")
    if lead_role in fold(SAMPLE_ID, events, policy).roles:
        act(you, 37, lambda s: decisions.assign_role(s, lead_role, lead.name, policy=policy))
    act(lead, 35, lambda s: decisions.add_note(s, "Gateway 5xx rate above 20% in eu-west-1", now=now))
    act(you, 30, lambda s: timers.record_update(s, "#incidents", "Investigating", now=now))
    act(lead, 22, lambda s: decisions.change_status(s, "identified", now=now - timedelta(minutes=22)))
    act(
        lead,
        20,
        lambda s: decisions.add_note(
            s, "Cause: the EU gateway's upstream certificate had expired", now=now, pinned=True
        ),
    )
    act(
        lead,
        8,
        lambda s: decisions.add_note(s, "Certificate renewed; failures falling, now under 2%", now=now, pinned=True),
    )
    return fold(SAMPLE_ID, events, policy)
