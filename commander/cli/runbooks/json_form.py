"""`commander runbook show --json`: a runbook's structure as the reader made it, the form tests compare
against the source file (title, alerts, sections and their kind, steps with their exact commands)."""

from __future__ import annotations

from typing import Any

from commander.domain.core.when import iso
from commander.domain.runbooks.library import Runbook, RunbookRecord, Step


def runbook_json(record: RunbookRecord, runbook: Runbook) -> dict[str, Any]:
    return {
        "id": runbook.id,
        "title": runbook.title,
        "version": runbook.version,
        "versions": len(record.versions),
        "retired": record.retired,
        "alerts": list(runbook.alerts),
        "services": list(runbook.services),
        "tags": list(runbook.tags),
        "owner": runbook.owner,
        "source": runbook.source,
        "summary": runbook.summary,
        "reviewed_at": iso(runbook.reviewed_at) if runbook.reviewed_at else None,
        "contacts": list(runbook.contacts),
        "links": [{"label": label, "url": url} for label, url in runbook.links],
        "sections": [
            {
                "title": section.title,
                "kind": "steps" if section.steps else "prose",
                "context": section.context,
                "steps": [_step(step) for step in section.steps],
            }
            for section in runbook.sections
        ],
    }


def _step(step: Step) -> dict[str, Any]:
    commands: list[dict[str, str]] = []
    if step.command is not None:
        commands.append({"kind": step.command_kind or "command", "language": step.language, "text": step.command})
    if step.output:
        commands.append({"kind": "output", "language": "", "text": step.output})
    return {
        "id": step.id,
        "text": step.text,
        "kind": step.kind,
        "commands": commands,
        "links": [step.link] if step.link else [],
        "steps": [_step(child) for child in step.children],
    }
