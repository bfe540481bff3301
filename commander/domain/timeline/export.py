"""Exports of one incident: Markdown to read and share, JSON that loses nothing, CSV for spreadsheets.

Pure functions over an IncidentView: no files, no clock. The command line and the window both call them.

- Markdown is a document people paste into a postmortem or a chat, so everything a person typed is
  escaped: a note that reads `<script>`, `| a | b |` or `# heading` shows as those characters and
  cannot add a table cell, a heading or markup. A deleted note shows as deleted, without its text.
- JSON carries the facts, the timeline as shown, and every raw event, so nothing is lost.
- CSV is the timeline, one row per entry, written by the csv module (quotes and line breaks inside
  cells are handled). A cell that starts like a spreadsheet formula gets a leading apostrophe, so
  opening the file cannot run it (OWASP "CSV injection"); JSON keeps the exact text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any

from commander.domain.core.when import iso
from commander.domain.incident.state import MILESTONES, IncidentState, RoleSlot
from commander.domain.timeline.entries import CATEGORY_LABELS, IncidentView, TimelineEntry

FORMAT_NAME = "commander.incident"
FORMAT_VERSION = 1

# -- Markdown ----------------------------------------------------------------------------------------

# Backslash-escaped wherever they appear: they open emphasis, code, links, tables or headings.
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]#|!~])")
# Structural only at the start of a line: list items and setext underlines, ordered lists.
_MD_BULLET = re.compile(r"^([-+=])")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def markdown_text(text: str) -> str:
    """Text that renders as exactly these characters, on one line (safe inside a table cell)."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)].replace("\t", "    ")
        escaped = stripped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        escaped = _MD_PUNCTUATION.sub(r"\\\1", escaped)
        escaped = _MD_ORDERED.sub(r"\1\\\2", _MD_BULLET.sub(r"\\\1", escaped))
        # Leading spaces would start a code block; keep the indent visible instead.
        lines.append("&nbsp;" * len(indent) + escaped)
    return "<br>".join(lines)


def to_markdown(view: IncidentView, zone: tzinfo) -> str:
    state = view.state
    severity = view.policy.find_severity(state.severity)
    severity_text = f"{state.severity} ({severity.name})" if severity else state.severity
    out = [f"# {markdown_text(state.reference)}: {markdown_text(state.title)}", ""]
    out += _md_table(
        ("Fact", "Value"),
        [
            ("Reference", state.reference),
            ("Severity", severity_text),
            ("Status", state.status.value),
            ("Services", ", ".join(state.services) or "none"),
            ("Drill", "yes" if state.drill else "no"),
            ("Declared by", state.declared_by.name if state.declared_by else "unknown"),
        ],
    )
    out += ["", "## Impact summary", "", markdown_text(state.summary) if state.summary else "_None given._"]
    out += ["", "## Milestones", ""]
    out += _md_table(
        ("Milestone", "UTC", f"Local ({zone_name(zone)})"),
        [(name.capitalize(), iso(at), local_text(at, zone)) for name, at in _milestones(state)],
    )
    out += ["", "## Roles", ""]
    out += _md_table(
        ("Role", "Holder", "Since (local)", "History"),
        [
            (slot.name, _holder_text(view, slot), _local_or_blank(slot.since, zone), _history_text(slot, zone))
            for slot in state.roles.values()
        ],
    )
    out += [
        "",
        "## Timeline",
        "",
        f"Times are local ({markdown_text(zone_name(zone))}) with UTC alongside. Pinned entries are marked **pinned**.",
        "",
    ]
    out += _md_table(
        ("Local", "UTC", "Who", "What", "Entry"),
        [(local_text(e.at, zone), iso(e.at), e.actor, _category(e), _MdRaw(_entry_markdown(e))) for e in view.entries],
    )
    return "\n".join(out) + "\n"


class _MdRaw(str):
    """Cell content that is already escaped Markdown."""


def _md_table(headers: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> list[str]:
    def cell(value: str) -> str:
        return value if isinstance(value, _MdRaw) else markdown_text(value)

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def _entry_markdown(entry: TimelineEntry) -> str:
    if entry.deleted_by:
        # The person who deleted it meant it gone from what people read; the JSON export keeps it.
        return f"_Note deleted by {markdown_text(entry.deleted_by)}._"
    flags = []
    if entry.pinned:
        flags.append("**pinned**")
    if entry.backdated:
        flags.append("_backdated_")
    if entry.edited_by:
        flags.append(f"_edited by {markdown_text(entry.edited_by)}_")
    text = markdown_text(entry.text)
    return f"{text} ({', '.join(flags)})" if flags else text


# -- JSON --------------------------------------------------------------------------------------------


def to_json(view: IncidentView) -> str:
    state = view.state
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "incident": {
            "id": state.id,
            "reference": state.reference,
            "title": state.title,
            "severity": state.severity,
            "status": state.status.value,
            "services": list(state.services),
            "drill": state.drill,
            "summary": state.summary,
            "declared_by": _actor(state.declared_by),
            "reopened": state.reopened,
            "milestones": {name: iso(at) for name, at in _milestones(state)},
        },
        "roles": [_role_json(view, slot) for slot in state.roles.values()],
        "timeline": [_entry_json(entry) for entry in view.entries],
        "events": [
            {
                "id": e.id,
                "stream": e.stream,
                "kind": e.kind,
                "payload": dict(e.payload),
                "actor": _actor(e.actor),
                "hlc": e.hlc,
                "occurred_at": iso_ms(e.occurred_at),
                "recorded_at": iso_ms(e.recorded_at),
                "origin": e.origin,
            }
            for e in view.events
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _role_json(view: IncidentView, slot: RoleSlot) -> dict[str, Any]:
    return {
        "key": slot.key,
        "name": slot.name,
        "duty": slot.duty,
        "custom": slot.custom,
        "holder": slot.holder,
        "since": iso(slot.since) if slot.since else None,
        "key_role": view.policy.is_key_role(slot.key, view.state.severity),
        "history": [
            {"person": t.person, "since": iso(t.since), "until": iso(t.until) if t.until else None}
            for t in slot.history
        ],
    }


def _entry_json(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "event_id": entry.event_id,
        "at": iso(entry.at),
        "actor": entry.actor,
        "category": entry.category,
        "kind": entry.kind,
        "text": entry.text,
        "pinned": entry.pinned,
        "backdated": entry.backdated,
        "edited_by": entry.edited_by,
        "deleted_by": entry.deleted_by,
        "history": list(entry.history),
    }


def _actor(actor: Any) -> dict[str, str] | None:
    return {"id": actor.id, "name": actor.name} if actor is not None else None


def iso_ms(moment: datetime) -> str:
    """UTC with milliseconds: the precision the store keeps, so raw event times round-trip exactly."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- CSV ---------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "reference",
    "time_utc",
    "time_local",
    "actor",
    "category",
    "kind",
    "text",
    "pinned",
    "backdated",
    "edited_by",
    "deleted_by",
    "event_id",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_csv(view: IncidentView, zone: tzinfo) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the default dialect: RFC 4180 quoting, \r\n between records
    writer.writerow(CSV_COLUMNS)
    reference = view.state.reference
    for e in view.entries:
        writer.writerow(
            [
                reference,
                iso(e.at),
                local_text(e.at, zone),
                _cell(e.actor),
                e.category,
                e.kind,
                _cell(e.text),
                _flag(e.pinned),
                _flag(e.backdated),
                _cell(e.edited_by or ""),
                _cell(e.deleted_by or ""),
                e.event_id,
            ]
        )
    return buffer.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _flag(value: bool) -> str:
    return "true" if value else "false"


# -- shared ------------------------------------------------------------------------------------------


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or zone.tzname(None) or str(zone)


def local_text(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or local.strftime("%z"))


def _local_or_blank(moment: datetime | None, zone: tzinfo) -> str:
    return local_text(moment, zone) if moment else ""


def _category(entry: TimelineEntry) -> str:
    return CATEGORY_LABELS.get(entry.category, entry.category)


def _milestones(state: IncidentState) -> list[tuple[str, datetime]]:
    return [(name, state.milestones[name]) for name in MILESTONES if name in state.milestones]


def _holder_text(view: IncidentView, slot: RoleSlot) -> str:
    if slot.holder:
        return slot.holder
    return "unfilled (key role)" if view.policy.is_key_role(slot.key, view.state.severity) else "unfilled"


def _history_text(slot: RoleSlot, zone: tzinfo) -> str:
    parts = []
    for tenure in slot.history:
        until = local_text(tenure.until, zone) if tenure.until else "now"
        parts.append(f"{tenure.person} {local_text(tenure.since, zone)} to {until}")
    return "; ".join(parts)
