"""Stakeholder updates: the shipped templates, and rendering one for an incident."""

from __future__ import annotations

import tomllib
from pathlib import Path

from commander.app.console import Console
from commander.app.resources import resources_dir
from commander.domain.errors import DomainError
from commander.domain.templates import Template, TemplateProblem, context, render


def shipped_templates(folder: Path | None = None) -> dict[str, Template]:
    folder = folder or resources_dir() / "templates"
    try:
        index = tomllib.loads((folder / "index.toml").read_text(encoding="utf-8"))
        return {entry["key"]: Template(entry["key"], entry["name"], entry["stage"], entry["audience"],
                                       (folder / entry["file"]).read_text(encoding="utf-8"))
                for entry in index.get("template", [])}
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise DomainError(f"The update templates in {folder} cannot be read ({error}). Reinstall Commander.") \
            from error


def template(key: str) -> Template:
    templates = shipped_templates()
    if key not in templates:
        raise DomainError(f"No update template '{key}'. Templates: {', '.join(templates)}.")
    return templates[key]


def preview(console: Console, incident_id: str, key_or_source: str, *, source: bool = False) -> str:
    """The update as it would go out now. A template problem is a DomainError naming its line."""
    text = key_or_source if source else template(key_or_source).source
    variables = context(console.state(incident_id), console.policy, now=console.now(), author=console.me.name,
                        time_format=console.time_format)
    try:
        return render(text, variables)
    except TemplateProblem as problem:
        raise DomainError(f"The template cannot be used: {problem}") from None
