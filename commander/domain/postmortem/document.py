"""The postmortem as a document: Markdown, HTML (for reading, for the preview and for the PDF) and JSON.

Section texts are Markdown written by people (and by a template that may come from the store), so nothing
in them is ever passed through as HTML:

- The HTML comes from a small Markdown reader written for this: headings, paragraphs, lists and task lists,
  tables, quotes, code, emphasis, and links to http, https and mailto only. Every character a person typed
  is escaped first; there is no way to write a tag, an attribute or a script, and the page's
  Content-Security-Policy forbids loading anything.
- The Markdown keeps the text as written, except that `<` outside code becomes `&lt;`, so a Markdown viewer
  that passes HTML through shows the characters instead of running them.
- JSON carries every section with who last edited it, and the conflicts still open; `from_json` reads it
  back (`from_json(to_json(doc)) == doc`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from commander.domain.incident.state import IncidentState
from commander.domain.postmortem import blameless
from commander.domain.postmortem.record import STATUS_LABELS, Postmortem, action_lines, spec

FORMAT_NAME = "commander.postmortem"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class OpenConflict:
    by: str
    at: datetime
    text: str
    replaced_by: str


@dataclass(frozen=True)
class DocumentSection:
    key: str
    title: str
    text: str
    edited_by: str
    edited_at: datetime | None
    conflicts: tuple[OpenConflict, ...] = ()


@dataclass(frozen=True)
class PostmortemDocument:
    incident_id: str
    reference: str
    title: str
    severity: str
    people: tuple[str, ...]  # the incident's actors and role holders: the blameless check looks for them
    status: str
    owner: str
    meeting: date | None
    template: str
    drafted_by: str
    drafted_at: datetime | None
    published_by: str
    published_at: datetime | None
    sections: tuple[DocumentSection, ...]

    @property
    def heading(self) -> str:
        return f"Postmortem: {self.reference} {self.title}"


def document(pm: Postmortem, incident: IncidentState, texts: dict[str, str] | None = None) -> PostmortemDocument:
    """The postmortem as it reads now; `texts` replaces sections' text (the editor's unsaved changes)."""
    sections = tuple(
        DocumentSection(
            s.key,
            spec(s.key).title,
            (texts or {}).get(s.key, s.text),
            s.by,
            s.at,
            tuple(OpenConflict(c.by, c.at, c.text, c.replaced_by) for c in s.conflicts),
        )
        for s in pm.ordered()
    )
    return PostmortemDocument(
        incident.id,
        incident.reference,
        incident.title,
        incident.severity,
        tuple(incident.people()),
        pm.status,
        pm.owner,
        pm.meeting,
        pm.template,
        pm.drafted_by,
        pm.drafted_at,
        pm.published_by,
        pm.published_at,
        sections,
    )


def findings(doc: PostmortemDocument) -> list[tuple[str, blameless.Finding]]:
    """The blameless check over every section: (section key, finding)."""
    return [(s.key, found) for s in doc.sections for found in blameless.check(s.text, doc.people)]


# -- Markdown -------------------------------------------------------------------------------------------


def to_markdown(doc: PostmortemDocument) -> str:
    out = [f"# {_heading_text(doc.heading)}", "", _facts_line(doc), ""]
    for section in doc.sections:
        text = neutralise_html(section.text.strip()) if section.text.strip() else "_Nothing written yet._"
        out += [f"## {section.title}", "", text, ""]
    return "\n".join(out).rstrip() + "\n"


def _facts_line(doc: PostmortemDocument) -> str:
    parts = [
        f"**Status:** {STATUS_LABELS.get(doc.status, doc.status)}",
        f"**Owner:** {doc.owner or 'not set'}",
        f"**Review meeting:** {doc.meeting.isoformat() if doc.meeting else 'not set'}",
        f"**Severity:** {doc.severity}",
    ]
    if doc.published_at:
        parts.append(f"**Published:** {_utc(doc.published_at)} by {doc.published_by}")
    return neutralise_html(" · ".join(parts))


def _heading_text(text: str) -> str:
    return neutralise_html(re.sub(r"([\\`*_\[\]#|])", r"\\\1", " ".join(text.split())))


def neutralise_html(text: str) -> str:
    """`<` outside code spans and fences becomes `&lt;`: it reads the same, and no viewer runs it as HTML."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append(line)
            continue
        if fenced:
            out.append(line)
            continue
        parts = re.split(r"(`+[^`]*`+)", line)
        out.append("".join(part if index % 2 else part.replace("<", "&lt;") for index, part in enumerate(parts)))
    return "\n".join(out)


# -- HTML -----------------------------------------------------------------------------------------------

STYLE = """
body { font-family: sans-serif; font-size: 11pt; line-height: 1.45; color: #1b1f26; max-width: 52em; margin: 2em auto; }
h1 { font-size: 20pt; margin-bottom: 0.2em; }
h2 { font-size: 14pt; margin-top: 1.4em; border-bottom: 1px solid #d5d9e0; padding-bottom: 0.15em; }
h3, h4, h5, h6 { font-size: 12pt; }
p.facts { color: #59606c; }
p.empty { color: #8a909b; font-style: italic; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #d5d9e0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f5f6f8; }
code, pre { font-family: monospace; background: #f5f6f8; }
pre { padding: 6px 8px; white-space: pre-wrap; }
blockquote { color: #59606c; margin-left: 1em; padding-left: 0.8em; border-left: 3px solid #d5d9e0; }
"""


def to_html(doc: PostmortemDocument, *, style: str = STYLE, standalone: bool = True) -> str:
    """The document as HTML; `standalone` wraps it in a page with its title, style and security policy."""
    body = [f"<h1>{_esc(doc.heading)}</h1>", f'<p class="facts">{_facts_html(doc)}</p>']
    for section in doc.sections:
        body.append(f'<h2 id="{_esc(section.key)}"><a name="{_esc(section.key)}"></a>{_esc(section.title)}</h2>')
        text = section.text.strip()
        body.append(markdown_html(text) if text else '<p class="empty">Nothing written yet.</p>')
    inner = "\n".join(body)
    if not standalone:
        return inner
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<title>{_esc(doc.heading)}</title>\n<style>{style}</style>\n</head>\n<body>\n{inner}\n</body>\n</html>\n"
    )


def _facts_html(doc: PostmortemDocument) -> str:
    parts = [
        ("Status", STATUS_LABELS.get(doc.status, doc.status)),
        ("Owner", doc.owner or "not set"),
        ("Review meeting", doc.meeting.isoformat() if doc.meeting else "not set"),
        ("Severity", doc.severity),
    ]
    if doc.published_at:
        parts.append(("Published", f"{_utc(doc.published_at)} by {doc.published_by}"))
    return " · ".join(f"<b>{_esc(name)}:</b> {_esc(value)}" for name, value in parts)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(?P<indent>\s*)(?P<mark>[-*+]|\d{1,9}[.)])\s+(?P<text>.*)$")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


@lru_cache(maxsize=64)  # the live preview renders every section on each pause in typing; most did not change
def markdown_html(text: str) -> str:
    """Markdown to HTML in which every character of the input is text: nothing passes through as markup."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    paragraph: list[str] = []
    index = 0

    def flush() -> None:
        if paragraph:
            out.append("<p>" + "<br>".join(_inline(line.strip()) for line in paragraph) + "</p>")
            paragraph.clear()

    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence:
            flush()
            closing = fence.group(1)[0] * 3
            body = []
            index += 1
            while index < len(lines) and not lines[index].lstrip().startswith(closing):
                body.append(lines[index])
                index += 1
            out.append(f"<pre><code>{_esc(chr(10).join(body))}</code></pre>")
            index += 1
            continue
        if not line.strip():
            flush()
            index += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = min(6, len(heading.group(1)) + 2)  # the document's own headings are h1 and h2
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            index += 1
            continue
        if _RULE.match(line):
            flush()
            out.append("<hr>")
            index += 1
            continue
        if line.lstrip().startswith("|") and index + 1 < len(lines) and _TABLE_RULE.match(lines[index + 1]):
            flush()
            rows = [lines[index]]
            index += 2
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                rows.append(lines[index])
                index += 1
            out.append(_table(rows))
            continue
        if line.lstrip().startswith(">"):
            flush()
            quoted = []
            while index < len(lines) and lines[index].lstrip().startswith(">"):
                quoted.append(re.sub(r"^\s*>\s?", "", lines[index]))
                index += 1
            out.append(f"<blockquote>{markdown_html(chr(10).join(quoted))}</blockquote>")
            continue
        if _ITEM.match(line):
            flush()
            items: list[str] = []
            while index < len(lines) and (
                _ITEM.match(lines[index]) or (lines[index].startswith("  ") and items and lines[index].strip())
            ):
                items.append(lines[index])
                index += 1
            out.append(_list(items))
            continue
        paragraph.append(line)
        index += 1
    flush()
    return "\n".join(out)


def _list(lines: Sequence[str]) -> str:
    """A list, with items indented deeper than the first nested under the item before them."""
    first = _ITEM.match(lines[0])
    assert first is not None
    depth = len(first["indent"].replace("\t", "    "))
    tag = "ol" if first["mark"][0].isdigit() else "ul"
    parts: list[str] = []
    index = 0
    while index < len(lines):
        match = _ITEM.match(lines[index])
        indent = len(match["indent"].replace("\t", "    ")) if match else depth + 2
        if match is None or indent > depth:
            nested = []
            while index < len(lines):
                deeper = _ITEM.match(lines[index])
                if deeper is not None and len(deeper["indent"].replace("\t", "    ")) <= depth:
                    break
                nested.append(lines[index])
                index += 1
            if parts and _ITEM.match(nested[0]):
                parts[-1] = parts[-1].removesuffix("</li>") + _list(nested) + "</li>"
            elif parts:
                parts[-1] = (
                    parts[-1].removesuffix("</li>") + "<br>" + "<br>".join(_inline(n.strip()) for n in nested) + "</li>"
                )
            continue
        parts.append(f"<li>{_task(match['text'])}</li>")
        index += 1
    tasks = all(re.match(r"^\[[ xX]\]\s", item["text"]) for line in lines if (item := _ITEM.match(line)))
    opening = f'<{tag} style="list-style-type: none">' if tasks else f"<{tag}>"  # the box is the bullet
    return opening + "".join(parts) + f"</{tag}>"


def _task(text: str) -> str:
    box = re.match(r"^\[([ xX])\]\s+(.*)$", text)
    if box is None:
        return _inline(text)
    return ("\u2611 " if box.group(1) != " " else "\u2610 ") + _inline(box.group(2))


def _table(rows: Sequence[str]) -> str:
    def cells(row: str) -> list[str]:
        inner = row.strip().removeprefix("|").removesuffix("|").replace("\\|", "\ue002")
        return [_inline(cell.strip().replace("\ue002", "\\|")) for cell in inner.split("|")]

    head = "".join(f"<th>{cell}</th>" for cell in cells(rows[0]))
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells(row)) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CODE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>&])")
_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^\s)]+)\)")
_BARE_URL = re.compile(r"(?<![\w/\"'=])https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")
_EMPHASIS = (
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), "strong"),
    (re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"), "strong"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"), "em"),
    (re.compile(r"(?<!\w)_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)"), "em"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), "s"),
)
_HOLE = re.compile("\ue000(\\d+)\ue001")


def _inline(text: str) -> str:
    """One line of inline Markdown. Code, escapes and links are set aside first (as numbered holes), so
    emphasis never reaches into a URL or a code span, and every piece is escaped on its own."""
    held: list[str] = []

    def hold(fragment: str) -> str:
        held.append(fragment)
        return f"\ue000{len(held) - 1}\ue001"

    text = text.replace("\ue000", "").replace("\ue001", "")
    text = _CODE.sub(lambda m: hold(f"<code>{_esc(m.group(2).strip())}</code>"), text)
    text = _ESCAPED.sub(lambda m: hold(_esc(m.group(1))), text)
    text = _LINK.sub(lambda m: hold(f'<a href="{_esc(m.group(2))}">{_esc(m.group(1))}</a>'), text)
    text = _BARE_URL.sub(lambda m: hold(f'<a href="{_esc(m.group())}">{_esc(m.group())}</a>'), text)
    text = _esc(text)
    for pattern, tag in _EMPHASIS:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    while _HOLE.search(text):
        text = _HOLE.sub(lambda m: held[int(m.group(1))], text)
    return text


# -- JSON -----------------------------------------------------------------------------------------------


def to_json(doc: PostmortemDocument) -> str:
    action_items = [
        {
            "section": s.key,
            "line": item.line,
            "title": item.title,
            "owner": item.owner,
            "due": item.due,
            "type": item.type,
            "priority": item.priority,
            "finding": item.finding,
            "reference": item.reference or None,
        }
        for s in doc.sections
        if s.key == "action_items"
        for item in action_lines(s.text)
    ]
    document_ = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "incident": {
            "id": doc.incident_id,
            "reference": doc.reference,
            "title": doc.title,
            "severity": doc.severity,
            "people": list(doc.people),
        },
        "postmortem": {
            "status": doc.status,
            "owner": doc.owner,
            "meeting": doc.meeting.isoformat() if doc.meeting else None,
            "template": doc.template,
            "drafted_by": doc.drafted_by,
            "drafted_at": _iso(doc.drafted_at),
            "published_by": doc.published_by,
            "published_at": _iso(doc.published_at),
        },
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "text": s.text,
                "edited_by": s.edited_by,
                "edited_at": _iso(s.edited_at),
                "conflicts": [
                    {"by": c.by, "at": _iso(c.at), "text": c.text, "replaced_by": c.replaced_by} for c in s.conflicts
                ],
            }
            for s in doc.sections
        ],
        "action_items": action_items,
        "blameless": [
            {"section": key, "start": f.start, "end": f.end, "text": f.text, "suggestion": f.suggestion}
            for key, f in findings(doc)
        ],
    }
    return json.dumps(document_, ensure_ascii=False, indent=2) + "\n"


def from_json(text: str) -> PostmortemDocument:
    """A document read back from `to_json`; ValueError when the text is not one."""
    data: Any = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ValueError(f"not a {FORMAT_NAME} document")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"a {FORMAT_NAME} document of version {data.get('version')}; this Commander reads version {FORMAT_VERSION}"
        )
    incident, meta = data["incident"], data["postmortem"]
    return PostmortemDocument(
        incident["id"],
        incident["reference"],
        incident["title"],
        incident["severity"],
        tuple(incident["people"]),
        meta["status"],
        meta["owner"],
        date.fromisoformat(meta["meeting"]) if meta["meeting"] else None,
        meta["template"],
        meta["drafted_by"],
        _from_iso(meta["drafted_at"]),
        meta["published_by"],
        _from_iso(meta["published_at"]),
        tuple(
            DocumentSection(
                s["key"],
                s["title"],
                s["text"],
                s["edited_by"],
                _from_iso(s["edited_at"]),
                tuple(OpenConflict(c["by"], _parsed(c["at"]), c["text"], c["replaced_by"]) for c in s["conflicts"]),
            )
            for s in data["sections"]
        ),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def _from_iso(text: str | None) -> datetime | None:
    return _parsed(text) if text else None


def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
