"""A checklist as Markdown, for the postmortem or a ticket: `- [x]` per step, who and when, findings, reasons.

What a person typed (names, findings, reasons) is escaped (see commander.domain.timeline.export.markdown_text). A
runbook's titles and steps are Markdown already: they are written again from their tokens
(commander.domain.runbooks.inline_markdown.markdown), so `**bold**` and `code` stay formatting, escaped once, and a
step reading `# Drain` or `<b>` still cannot add a heading or markup. Commands go in code spans or fences
long enough for the backticks they hold. Skipped steps are ticked and struck through, with the reason: GitHub's
task lists know only two states.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from commander.domain.checklists.checklists import Checklist, ChecklistStep
from commander.domain.runbooks.inline_markdown import code_span, markdown
from commander.domain.timeline.export import markdown_text, zone_name

_BACKTICKS = re.compile(r"`+")


def to_markdown(checklist: Checklist, zone: tzinfo, *, reference: str = "") -> str:
    done, total = checklist.progress
    origin = {"role duties": "Duty checklist", "checklist": "Checklist"}.get(
        checklist.source, f"Runbook version {checklist.version}"
    )
    on = f" on {markdown_text(reference)}" if reference else ""
    out = [
        f"## Checklist: {markdown(checklist.title)}",
        "",
        f"{origin}, attached{on} by {markdown_text(checklist.attached_by)} at "
        f"{_when(checklist.attached_at, zone, None)} ({markdown_text(zone_name(zone))}). "
        f"{done} of {total} steps done or skipped.",
    ]
    if not checklist.attached and checklist.detached_at is not None:
        why = f": {markdown_text(checklist.detach_reason)}" if checklist.detach_reason else ""
        out += [
            "",
            f"_Detached by {markdown_text(checklist.detached_by or '')} at "
            f"{_when(checklist.detached_at, zone, checklist.attached_at)}{why}._",
        ]
    section: str | None = None
    for step in checklist.steps.values():
        if step.section != section:  # the first step always starts a block
            section = step.section
            out += ["", f"### {markdown(section)}", ""] if section else [""]
        out += _step(step, zone, checklist.attached_at)
    return "\n".join(out) + "\n"


def _step(step: ChecklistStep, zone: tzinfo, day: datetime) -> list[str]:
    indent = "  " * step.depth
    inner = indent + "  "  # continuation lines line up with the item's text
    text = markdown(step.text)
    notes = []
    if step.state == "done":
        box = "[x]"
        notes.append(f"done by {markdown_text(step.by or '')} at {_when(step.at, zone, day)}")
    elif step.state == "skipped":
        box, text = "[x]", f"~~{text}~~"
        notes.append(
            f"skipped by {markdown_text(step.by or '')} at {_when(step.at, zone, day)} because "
            f"{markdown_text(step.reason)}"
        )
    else:
        box = "[ ]"
    if step.assigned:
        notes.append(f"assigned to {markdown_text(step.assigned)}")
    lines = [f"{indent}- {box} {text}" + (f" — {'; '.join(notes)}" if notes else "")]
    if step.command:
        lines += _command(step.command, inner)
    if step.link:
        lines.append(f"{inner}{_link(step.link)}")
    for finding in step.findings:
        lines.append(
            f"{inner}- Finding by {markdown_text(finding.by)} at {_when(finding.at, zone, day)}: "
            f"{markdown_text(finding.text)}"
        )
    return lines


def _command(command: str, indent: str) -> list[str]:
    if "\n" not in command:
        return [f"{indent}{code_span(command)}"]
    longest = max((len(run) for run in _BACKTICKS.findall(command)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{indent}{fence}sh", *(f"{indent}{line}" for line in command.splitlines()), f"{indent}{fence}"]


def _link(url: str) -> str:
    if url.startswith(("http://", "https://")) and not any(c in url for c in " <>\n"):
        return f"<{url}>"
    return markdown_text(url)


def _when(moment: datetime | None, zone: tzinfo, day: datetime | None) -> str:
    """The clock time on the checklist's day, the date as well on another day."""
    if moment is None:
        return "an unknown time"
    local = moment.astimezone(zone)
    if day is not None and local.date() == day.astimezone(zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")
