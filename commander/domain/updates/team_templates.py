"""The team's own update templates, as events in the `settings:templates` stream (shared through the store
like everything else). A team template with a shipped template's key takes its place ("edited");
removing it brings the shipped one back.

Saving checks that the body parses; whether every variable exists is only known when it is rendered
against an incident, so a saved template can still fail there, and the others must not suffer for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, well_formed
from commander.domain.core.text import NOTE_MAX, clean_line, clean_multiline
from commander.domain.updates.templates import Template, TemplateProblem, check

STREAM = "settings:templates"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LABEL_MAX = 80


def fold_templates(events: Iterable[Event]) -> dict[str, Template]:
    """The team templates now: the last save of each key wins, a removal drops it."""
    found: dict[str, Template] = {}
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        p: Any = event.payload
        if event.kind == "template.saved":
            found[p["key"]] = Template(p["key"], p["name"], p["stage"], p["audience"], p["body"], "team")
        elif event.kind == "template.removed":
            found.pop(p["key"], None)
    return found


def merge(shipped: Mapping[str, Template], team: Mapping[str, Template]) -> dict[str, Template]:
    """Shipped templates in their order, each replaced by the team's version when there is one, then
    the team's own templates by name."""
    merged = {key: replace(team[key], origin="edited") if key in team else found for key, found in shipped.items()}
    merged.update((t.key, t) for t in sorted(team.values(), key=lambda t: t.name.casefold()) if t.key not in shipped)
    return merged


def save_template(
    existing: Mapping[str, Template],
    key: str,
    *,
    name: str,
    stage: str = "",
    audience: str = "",
    body: str,
    new: bool = False,
) -> list[EventDraft]:
    """Save a template under `key` (replacing the one there, unless `new` says it must not exist yet).
    Nothing is written when it is the same as the template in use."""
    key = clean_key(key)
    if new and key in existing:
        raise DomainError(
            f"There is already a template '{key}' ({existing[key].name}). Choose another key, "
            f"or open that template to change it."
        )
    payload = {
        "key": key,
        "name": clean_line(name, field="template's name", limit=_LABEL_MAX),
        "stage": clean_line(stage, field="stage", limit=_LABEL_MAX, required=False),
        "audience": clean_line(audience, field="audience", limit=_LABEL_MAX, required=False),
        "body": clean_multiline(body, field="template's text", limit=NOTE_MAX),
    }
    try:
        check(payload["body"])
    except TemplateProblem as problem:
        raise DomainError(f"The template cannot be saved: {problem}. Fix it and save again.") from None
    current = existing.get(key)
    # Shipped files end with a newline that saving trims: the same text is the same template.
    if current is not None and (current.name, current.stage, current.audience, current.source.strip()) == (
        payload["name"],
        payload["stage"],
        payload["audience"],
        payload["body"],
    ):
        return []
    return [EventDraft(STREAM, "template.saved", payload)]


def remove_template(existing: Mapping[str, Template], key: str) -> list[EventDraft]:
    """Remove a team template; for an edited shipped one, that restores the shipped version."""
    found = existing.get(key.strip())
    if found is None:
        raise DomainError(f"No update template '{key}'. `commander update templates` lists them.")
    if found.origin == "shipped":
        raise DomainError(
            f"'{found.key}' is a shipped template: it cannot be removed. Save your own version "
            f"under its key to replace it."
        )
    return [EventDraft(STREAM, "template.removed", {"key": found.key})]


def clean_key(key: str) -> str:
    cleaned = key.strip().lower()
    if not _KEY.match(cleaned):
        raise DomainError(
            f"'{key}' cannot be a template key: use up to 40 lowercase letters, digits, - or _, "
            f"starting with a letter or digit (e.g. 'db_outage')."
        )
    return cleaned


def key_for(name: str, existing: Mapping[str, Template]) -> str:
    """A free key made from a template's name: "DB outage (EU)" becomes db_outage_eu, then db_outage_eu_2."""
    base = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:36].strip("_") or "template"
    key, number = base, 1
    while key in existing:
        number += 1
        key = f"{base}_{number}"
    return key


def variable_reference(variables: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Each variable a template can use, as (an expression to write between {{ and }}, its value here),
    read from a context `templates.context` built, so the list cannot fall behind it."""
    found: list[tuple[str, str]] = []
    for name, value in variables.items():
        path = f"{prefix}{name}"
        if isinstance(value, Mapping) and not prefix:
            found += variable_reference(value, f"{path}.")
        elif isinstance(value, Mapping):  # e.g. the roles: one entry per name, whoever holds it
            found += [(f'{path}.get("{key}")', str(held or "")) for key, held in value.items()]
        elif isinstance(value, list):
            found.append((f'{path} | join(", ")', ", ".join(map(str, value))))
        else:
            found.append((path, str(value)))
    return found
