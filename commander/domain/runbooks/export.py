"""Runbooks written out, and Commander's own YAML form read back.

Markdown for people and for git (`to_markdown`: reading it back gives the same runbook), YAML for
runbooks written for Commander (`to_yaml` and `parse_yaml`: the content form of `runbooks.to_dict`,
plus an optional `id`; docs/runbooks.md describes it).
"""

from __future__ import annotations

from typing import Any

import yaml

from commander.domain.core.errors import DomainError
from commander.domain.core.when import iso
from commander.domain.runbooks.code import SESSIONS, as_session
from commander.domain.runbooks.front_matter import load_yaml
from commander.domain.runbooks.library import Runbook, Step, from_dict, to_dict
from commander.domain.runbooks.markdown import Parsed

MAX_NODES = 200_000  # values in a YAML runbook, aliases expanded: far beyond any real one


def _within(data: Any, limit: int) -> bool:
    """Whether the data holds at most `limit` values. YAML aliases can make a small file expand to
    billions ("billion laughs"): count without expanding, and stop at the limit."""
    pending, seen = [data], 0
    while pending:
        item = pending.pop()
        seen += 1
        if seen > limit:
            return False
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def to_yaml(runbook: Runbook, *, header: str = "") -> str:
    """The YAML form, with the runbook's id so that importing the file again makes a new version of
    this runbook rather than a second one."""
    data = {"id": runbook.id, **to_dict(runbook)} if runbook.id else to_dict(runbook)
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"# {line}\n" for line in header.splitlines()) + text


def parse_yaml(text: str, *, name: str) -> Parsed:
    """A runbook in the YAML form. Raises DomainError (naming the field) for YAML that is not one."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise DomainError(f"not valid YAML{where}") from None
    if not isinstance(data, dict) or "title" not in data or "sections" not in data:
        raise DomainError("YAML without title and sections: not a Commander runbook (see docs/runbooks.md)")
    if not _within(data, MAX_NODES):
        raise DomainError(f"more than {MAX_NODES:,} values once its aliases are expanded: too big to be a runbook")
    key = data.get("id")
    return Parsed(from_dict(data), str(key).strip() if key not in (None, "") else "")


def to_markdown(runbook: Runbook) -> str:
    """The runbook as Markdown in the shape runbook_markdown reads: reading it back gives the same
    content (a step's kind aside, which Markdown can only say through its section's title)."""
    front: dict[str, Any] = {}
    if runbook.id:
        front["id"] = runbook.id
    front.update({"services": list(runbook.services), "alerts": list(runbook.alerts), "tags": list(runbook.tags)})
    if runbook.owner:
        front["owner"] = runbook.owner
    if runbook.reviewed_at:
        front["reviewed"] = iso(runbook.reviewed_at)
    if runbook.contacts:
        front["contacts"] = list(runbook.contacts)
    if runbook.links:
        front["links"] = [{"label": label, "url": url} for label, url in runbook.links]
    out = [
        "---",
        yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000).rstrip(),
        "---",
        "",
        f"# {runbook.title}",
        "",
    ]
    if runbook.summary:
        out += [runbook.summary, ""]
    for section in runbook.sections:
        out += [f"## {section.title}", ""]
        if section.context:
            out += [section.context, ""]
        for step in section.steps:
            _write_step(step, 0, out)
        if section.steps:
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _write_step(step: Step, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    text = step.text
    if step.link and step.link not in text:
        text = f"[{text}]({step.link})" if "[" not in text and "]" not in text else f"{text} <{step.link}>"
    out.append(f"{pad}- {text}")
    if step.command and f"`{step.command}`" not in step.text:
        fence = "```" if "```" not in step.command else "~~~~"
        command = as_session(step.command) if step.language in SESSIONS else step.command
        out += [
            f"{pad}  {fence}{step.language}",
            *(f"{pad}  {line}" if line else "" for line in command.split("\n")),
            f"{pad}  {fence}",
        ]
    if step.output:  # read back as the output under the command
        fence = "```" if "```" not in step.output else "~~~~"
        out += [
            f"{pad}  {fence}text",
            *(f"{pad}  {line}" if line else "" for line in step.output.split("\n")),
            f"{pad}  {fence}",
        ]
    for child in step.children:
        _write_step(child, depth + 1, out)
