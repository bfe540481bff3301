"""Markdown runbooks in the shape teams keep in git, read line by line (pure functions, no I/O).

What becomes what (docs/runbooks.md says the same for people):

- optional YAML front matter between `---` lines (id, title, summary, services, alerts, tags, owner,
  reviewed, contacts, links); broken YAML is ignored with a note and the body imported anyway;
- the first `# Title` is the title (else the front matter's, else the file name); `##` headings are
  sections, deeper headings sub-sections named "Mitigation / Rollback";
- bullet and numbered items are steps, nested by indentation (at most MAX_DEPTH levels: deeper items
  join the deepest level, with a note); the first inline code span that looks like something to run
  is the step's command, a fenced block under or inside an item replaces it; the first link is the
  step's link and its label stays in the text;
- a fenced block on its own is a step: the paragraph before it when that ends with ':', else "Run:";
  output and data blocks (```text, ```yaml ...) on their own stay in the section's prose;
- prose paragraphs are the section's context, links written out as "label (url)";
- HTML is stripped to its text (script and style contents dropped): it is never rendered as HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from commander.domain.errors import DomainError
from commander.domain.runbook_front_matter import cut, front_matter, link_pairs, strings, web
from commander.domain.runbooks import (
    Runbook,
    Section,
    Step,
    clean_names,
    kind_for,
    moment,
    numbered,
)
from commander.domain.text import NOTE_MAX, SUMMARY_MAX, TITLE_MAX

MAX_DEPTH = 6
MAX_STEPS = 5_000  # a runbook is read in the middle of the night: far beyond any real one
RUN = "Run:"
_OUTPUT = {"text", "txt", "output", "log", "plaintext", "console-output"}
_DATA = _OUTPUT | {"yaml", "yml", "json", "toml", "xml", "ini", "csv"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:([ \t]+)(.*))?$")
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*([^`]*)$")
_REFERENCE = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*<?(\S+?)>?(?:[ \t]+.*)?$")
_CHECKBOX = re.compile(r"^\[[ xX]\][ \t]+")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_CODE_SPAN = re.compile(r"(`{1,10})(.{1,5000}?)\1")
_ALERT_NAME = re.compile(r"^[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*$")
_TRAILING = ".,;:!?"
_COMMAND_START = set("abcdefghijklmnopqrstuvwxyz0123456789./~$_")
_COMMAND_MARKS = set("-/|=;&>*$\"'{(")

# HTML: dropped with its content, stripped to its content, or (any tag with attributes) stripped too.
_DROPPED = ("script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "svg", "math")
_MARKUP = ("a", "abbr", "b", "big", "blockquote", "br", "center", "cite", "code", "dd", "del", "details", "div",
           "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
           "mark", "ol", "p", "pre", "s", "small", "span", "strike", "strong", "sub", "summary", "sup", "table",
           "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "form", "input", "button", "link",
           "meta", "video", "audio", "html", "head", "body", "base", "frame", "frameset", "marquee", "blink")
_DROPPED_NAMES = "|".join(_DROPPED)
_HIDDEN = re.compile(rf"<!--|<({_DROPPED_NAMES})\b", re.IGNORECASE)  # hidden up to "-->" or "</name>"
_ANCHOR = re.compile(r"""<a\b[^<>]{0,1000}?\bhref\s*=\s*["']?(https?://[^"'\s<>]{1,2000})["']?[^<>]{0,1000}>"""
                     r"([^<]{0,1000})</a\s*>", re.IGNORECASE)
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG_NAMES = "|".join(_MARKUP + _DROPPED)
_TAG = re.compile(rf"</?(?:(?:{_TAG_NAMES})\b[^<>]{{0,2000}}"
                  r"|[A-Za-z][\w-]{0,100}\s[^<>=]{0,2000}=[^<>]{0,2000})/?>", re.IGNORECASE)

# In text order: a code span (kept as written), image, inline link, reference link, autolink, bare URL.
# Every pattern here stops at the next bracket or angle bracket, or after a bounded length: a line of
# 5 MB of "[" or "<a b=" then takes linear time (with [^\]]+ one took minutes: each bracket scanned the
# rest of the line).
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`{1,10})(?P<span>.{1,5000}?)(?P=ticks))"
    r"|!\[(?P<alt>[^\[\]]{0,1000})\]\([^)]{0,2000}\)"
    r"|\[(?P<label>[^\[\]]{1,1000})\]\(\s*<?(?P<url>[^()\[\]\s<>]{0,2000})>?(?:\s+[\"'][^\"']{0,1000}[\"'])?\s*\)"
    r"|\[(?P<ref_label>[^\[\]]{1,1000})\]\[(?P<ref>[^\[\]]{0,1000})\]"
    r"|<(?P<auto>(?:https?://|mailto:)[^<>\s]{1,2000})>"
    r"|(?P<bare>https?://[^\s<>()\[\]\"'`]+)")


@dataclass(frozen=True)
class Parsed:
    """A runbook read from a file, before the library gives it an id."""

    runbook: Runbook
    key: str = ""  # the front matter's id, "" when it has none
    notes: tuple[str, ...] = ()  # what was imported differently from how it was written


# -- reading ----------------------------------------------------------------------------------------

def parse_markdown(text: str, *, name: str) -> Parsed:
    """Read a Markdown runbook; `name` is the file name (the title when there is no other)."""
    notes: list[str] = []
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    meta, body = front_matter(text, notes)
    reader = _Reader(notes)
    reader.read(body.split("\n"))
    fields = _metadata(meta, notes)
    title = fields.pop("title", None) or reader.title or _title_from(name)
    if "alerts" not in fields and reader.title and _ALERT_NAME.match(reader.title) \
            and reader.title.lower() == _stem(name).lower():
        fields["alerts"] = (reader.title,)  # the prometheus-operator shape: KubePodCrashLooping.md
    sections, summary = reader.sections()
    summary = fields.pop("summary", None) or summary
    if len(summary) > SUMMARY_MAX:
        summary = summary[:SUMMARY_MAX - 1] + "…"
        notes.append(f"The summary was longer than {SUMMARY_MAX:,} characters: cut.")
    key = str(fields.pop("key", "") or "")
    runbook = Runbook(id="", title=cut(title, TITLE_MAX), summary=summary, sections=numbered(sections), **fields)
    if not runbook.all_steps():
        notes.append("No list items or code blocks: the runbook has no steps, only text.")
    return Parsed(runbook, key, tuple(notes))


_META_NAMES = {
    "key": ("id",), "title": ("title", "name"), "summary": ("summary", "description"),
    "services": ("services", "service", "components", "component"),
    "alerts": ("alerts", "alert", "alertname", "alert_names", "alert_name"),
    "tags": ("tags", "tag", "labels", "categories"), "owner": ("owner", "owners", "team"),
    "reviewed_at": ("reviewed_at", "reviewed", "last_reviewed", "lastreviewed", "review_date", "reviewed_on"),
    "contacts": ("contacts", "contact", "escalation", "escalation_contacts", "escalations", "oncall"),
}
_LINK_FIELDS = ("links", "dashboards", "dashboard", "logs", "metrics", "docs", "playbook")


def _metadata(meta: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    """Runbook fields from the front matter's many spellings; a value that cannot be read is noted."""
    found: dict[str, Any] = {}
    for target, names in _META_NAMES.items():
        name = next((n for n in names if n in meta and meta[n] not in (None, "", [])), None)
        if name is None:
            if target == "alerts" and any(n in meta for n in names):
                found["alerts"] = ()  # an explicit empty list: no alert names, do not guess one
            continue
        value = meta[name]
        if target == "reviewed_at":
            try:
                found[target] = moment(value, name)
            except DomainError as error:
                notes.append(f"Front matter: {error}")
        elif target in ("services", "alerts", "tags", "contacts"):
            found[target] = clean_names(strings(value), field_name=name)
        else:
            text = value if isinstance(value, str) else ", ".join(strings(value))
            found[target] = " ".join(_inline(text, keep_urls=False)[0].split()) if target != "key" else text.strip()
    links = [link for name in _LINK_FIELDS if name in meta for link in link_pairs(name, meta[name], notes)]
    if links:
        found["links"] = tuple(dict.fromkeys(links))
    return found


def _title_from(name: str) -> str:
    stem = re.sub(r"[-_]+", " ", _stem(name)).strip() or "Untitled runbook"
    return stem[0].upper() + stem[1:] if stem.islower() else stem


def _stem(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


@dataclass
class _Item:
    indent: int  # the marker's column
    content: int = 0  # the text's column
    parts: list[str] = field(default_factory=list)
    command: str | None = None
    fenced: bool = False  # the command came from a fenced block (not an inline span)
    children: list[_Item] = field(default_factory=list)


@dataclass
class _Section:
    title: str | None  # None: what comes before the first heading
    items: list[_Item] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)


@dataclass
class _Block:
    """A fenced or indented code block being read."""

    fence: str  # "" for an indented block
    indent: int
    info: str
    owner: _Item | None
    lines: list[str] = field(default_factory=list)


class _Reader:
    """One pass over the body's lines, keeping the open list items, paragraph and code block."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.title: str | None = None
        self.current = _Section(None)
        self.all = [self.current]
        self.headings: list[tuple[int, str]] = []
        self.open: list[_Item] = []  # the list items still open, outermost first
        self.paragraph: list[str] = []
        self.block: _Block | None = None
        self.blank = False  # a blank line since the last item line
        self.after_item = False  # nothing but blank lines since the last item line
        self.lead: str | None = None  # the last paragraph, while nothing else followed it
        self.skip_until: str | None = None  # inside an HTML comment or a dropped element
        self.references: dict[str, str] = {}
        self.flattened = False
        self.steps = 0
        self.full = False  # MAX_STEPS read: the rest of the file is left out

    def read(self, lines: list[str]) -> None:
        body = []
        for line in lines:  # reference definitions apply wherever they are: take them first
            found = _REFERENCE.match(line)
            if found and not line.startswith("    "):
                self.references[found[1].strip().lower()] = found[2]
            else:
                body.append(line)
        for line in body:
            self._line(line.expandtabs(4))
            if self.full:
                self.notes.append(f"More than {MAX_STEPS:,} steps: the rest of the file was left out.")
                break
        self._end_block()
        self._flush()

    def _line(self, line: str) -> None:
        if self.block is not None and self._in_block(line):
            return
        if self.skip_until is not None:
            end = _end_of(line, self.skip_until, 0)
            if end < 0:
                return
            line = line[end:]
            self.skip_until = None
        if "<" in line:
            line, self.skip_until = _without_hidden(line)
        stripped = line.strip()
        if not stripped:
            self._flush()
            self.blank = True
            return
        indent = len(line) - len(line.lstrip(" "))
        fence = _FENCE.match(line)
        if fence:
            self._open_fence(indent, fence[2], fence[3].strip().split(" ")[0].lower())
            return
        if indent >= 4 and not self.open and not self.paragraph:
            self.block = _Block("", 4, "", None, [line[4:]])
            return
        heading = _ATX.match(line)
        if heading:
            self._heading(len(heading[1]), heading[2] or "")
            return
        if self.paragraph and not self.open and _SETEXT.match(line):
            text = " ".join(part.strip() for part in self.paragraph)
            self.paragraph = []
            self._heading(1 if stripped.startswith("=") else 2, text)
            return
        if _BREAK.match(line):
            self._flush()
            return
        item = _ITEM.match(line)
        if item:
            self._item(len(item[1]), len(item[2]), item[4] or "")
            return
        self._text(indent, line, _QUOTE.sub("", stripped) if stripped.startswith(">") else stripped)

    # -- blocks -------------------------------------------------------------------------------------

    def _heading(self, level: int, raw: str) -> None:
        self._flush()
        self.open = []
        self.after_item = False
        self.lead = None
        text = cut(_inline(raw.strip(), keep_urls=False)[0].strip(), TITLE_MAX)
        if level == 1 and self.title is None and not self.headings and text:
            self.title = text
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, text or "Untitled"))
        self.current = _Section(" / ".join(title for _, title in self.headings))
        self.all.append(self.current)

    def _item(self, indent: int, marker: int, rest: str) -> None:
        self.full = self.steps >= MAX_STEPS
        if self.full:
            return
        self._flush()
        while self.open and self.open[-1].indent >= indent:
            self.open.pop()
        parent = self.open[-1] if self.open else None
        if len(self.open) >= MAX_DEPTH:
            parent = self.open[MAX_DEPTH - 2]
            if not self.flattened:
                self.flattened = True
                self.notes.append(f"Lists nested deeper than {MAX_DEPTH} levels: the deeper items were kept "
                                  f"at level {MAX_DEPTH}.")
        item = _Item(indent, indent + marker + 1)
        text = _CHECKBOX.sub("", rest.strip())
        if text:
            item.parts.append(text)
        (parent.children if parent else self.current.items).append(item)
        self.open.append(item)
        self.steps += 1
        self.blank = False
        self.after_item = True
        self.lead = None

    def _text(self, indent: int, line: str, text: str) -> None:
        if self.open and self.blank and indent >= self.open[-1].content + 4:
            self.block = _Block("", self.open[-1].content + 4, "", self.open[-1], [line[self.open[-1].content + 4:]])
            return
        if self.open and not self.blank:
            self.open[-1].parts.append(text)  # a continuation of the item's line
            return
        if self.open and indent > 0:
            owners = [item for item in self.open if item.indent < indent]
            if owners:  # a paragraph inside an item
                self.open = self.open[:self.open.index(owners[-1]) + 1]
                owners[-1].parts.append(text)
                self.blank = False
                return
        self.open = []
        self.after_item = False
        self.paragraph.append(text)

    def _flush(self) -> None:
        """End the paragraph being read: it becomes prose of the current section."""
        if not self.paragraph:
            return
        text = _inline("\n".join(self.paragraph), keep_urls=True, references=self.references)[0].strip()
        self.paragraph = []
        if text:
            self.current.prose.append(text)
            self.lead = text

    def _open_fence(self, indent: int, fence: str, info: str) -> None:
        owner = None
        if self.open:
            inside = [item for item in self.open if item.indent < indent]
            owner = inside[-1] if inside else self.open[-1] if self.after_item and not self.paragraph else None
        self._flush()
        lead = self.lead if not self.paragraph and owner is None else None
        self.block = _Block(fence, indent, info, owner)
        self.lead = lead

    def _in_block(self, line: str) -> bool:
        """Feed a line to the open code block; False when the line ended an indented block."""
        block = self.block
        assert block is not None
        if not block.fence:
            if line.strip() and len(line) - len(line.lstrip(" ")) < block.indent:
                self._end_block()
                return False
            block.lines.append(line[block.indent:])
            return True
        stripped = line.strip()
        if stripped.startswith(block.fence) and not stripped.strip(block.fence[0]):
            self._end_block()
            return True
        cut = min(block.indent, len(line) - len(line.lstrip(" ")))
        block.lines.append(line[cut:])
        return True

    def _end_block(self) -> None:
        block, self.block = self.block, None
        if block is None:
            return
        lines = block.lines
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            return
        code = "\n".join(lines)
        owner = block.owner
        if owner is not None and block.info not in _OUTPUT:
            command = _command(code)
            owner.command = f"{owner.command}\n\n{command}" if owner.fenced and owner.command else command
            owner.fenced = True
            self.blank = False
            return
        if block.info in _DATA or owner is not None:
            mark = block.fence or "```"
            self.current.prose.append(f"{mark}{block.info}\n{code}\n{mark}")
            self.lead = None
            return
        lead = self.lead
        if lead is not None and lead.endswith(":") and self.current.prose and self.current.prose[-1] == lead:
            self.current.prose.pop()
        else:
            lead = None
        step = _Item(0, parts=[lead or RUN], command=_command(code), fenced=True)
        self.current.items.append(step)
        self.open = []
        self.lead = None

    # -- the result ---------------------------------------------------------------------------------

    def sections(self) -> tuple[list[Section], str]:
        """The sections with content, and the summary: the first paragraph before any heading, else the
        first of a section that says what the runbook is about (Meaning, Overview, Summary...)."""
        first = self.all[0]
        summary = ""
        if first.prose and not first.prose[0].startswith(("```", "~~~")):
            summary = " ".join(first.prose.pop(0).split())
        else:
            about = next((s for s in self.all[1:] if s.prose and (s.title or "").lower().split(" / ")[0] in
                          ("meaning", "overview", "summary", "description", "about", "what it means")), None)
            if about is not None:
                summary = " ".join(about.prose[0].split())
        kept = [s for s in self.all if s.items or s.prose]
        result = []
        for section in kept:
            title = section.title if section.title is not None else "Steps" if len(kept) == 1 else "Overview"
            kind = kind_for(title)
            result.append(Section(title, tuple(_step(item, kind, self.references) for item in section.items),
                                  "\n\n".join(section.prose)))
        return result, summary


def _step(item: _Item, kind: str, references: Mapping[str, str]) -> Step:
    text, links, spans = _inline(" ".join(item.parts), keep_urls=False, references=references)
    command = item.command
    if command is None:
        command = next((_command(span) for span in spans if _looks_like_command(span)), None)
    text = " ".join(text.split()) or RUN
    return Step("", cut(text, NOTE_MAX), kind, command, links[0] if links else None,
                tuple(_step(child, kind, references) for child in item.children))


def _looks_like_command(span: str) -> bool:
    """`kubectl get pods` or `SELECT * FROM t` is something to run; `Last State` or `OOMKilled` is a name."""
    span = span.strip()
    return " " in span and (span[0] in _COMMAND_START or any(char in span for char in _COMMAND_MARKS))


def _command(code: str) -> str:
    """What to copy: with shell prompts in the block, only the lines after a `$ ` (not the output)."""
    lines = code.strip("\n").split("\n")
    prompted = [line.lstrip()[2:] for line in lines if line.lstrip().startswith("$ ")]
    return "\n".join(prompted) if prompted else "\n".join(lines).strip()


def _inline(text: str, *, keep_urls: bool,
            references: Mapping[str, str] | None = None) -> tuple[str, list[str], list[str]]:
    """Text with HTML stripped and links turned into their labels (with the URL after it when
    `keep_urls`); also the web links and the inline code spans, in order. Code spans stay as written."""
    pieces, last = [], 0
    for found in _CODE_SPAN.finditer(text):  # HTML is stripped outside code spans only
        pieces += [_strip_html(text[last:found.start()]), found[0]]
        last = found.end()
    text = "".join(pieces) + _strip_html(text[last:])
    links: list[str] = []
    spans: list[str] = []
    known = references or {}

    def replace(found: re.Match[str]) -> str:
        if found["code"] is not None:
            spans.append(found["span"].strip())
            return found["code"]
        if found["alt"] is not None:
            return found["alt"]
        if found["bare"] is not None or found["auto"] is not None:
            url = found["bare"] or found["auto"]
            tail = ""
            while url and url[-1] in _TRAILING:
                url, tail = url[:-1], url[-1] + tail
            if web(url):
                links.append(url)
            return url + tail
        label = found["label"] if found["label"] is not None else found["ref_label"]
        spans.extend(span[2].strip() for span in _CODE_SPAN.finditer(label))
        url = found["url"] if found["label"] is not None else known.get((found["ref"] or label).lower(), "")
        if not web(url or ""):
            return label
        links.append(url)
        return f"{label} ({url})" if keep_urls and label != url else label

    return _INLINE.sub(replace, text), links, spans


def _strip_html(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    text = _ANCHOR.sub(lambda m: f"[{m[2]}]({m[1]})", _without_hidden(text)[0])
    text = _TAG.sub("", _BREAK_TAG.sub(" ", text))
    if "&" in text:
        # Entities become characters, and whatever markup they spelt is stripped in turn.
        text = _TAG.sub("", _without_hidden(html.unescape(text))[0])
    return text


def _without_hidden(text: str) -> tuple[str, str | None]:
    """The text without HTML comments and dropped elements (script, style...), and what an unclosed one
    waits for ("-->", "</script"), or None. One pass: each search starts where the last one ended."""
    kept, position = [], 0
    while (found := _HIDDEN.search(text, position)) is not None:
        kept.append(text[position:found.start()])
        closing = "-->" if found[1] is None else f"</{found[1].lower()}"
        position = _end_of(text, closing, found.end())
        if position < 0:
            return "".join(kept), closing
    kept.append(text[position:])
    return "".join(kept), None


def _end_of(text: str, closing: str, start: int) -> int:
    """Where the text goes on after `closing` ("-->", or "</script" up to its ">"), or -1."""
    if closing == "-->":
        end = text.find(closing, start)
        return end + 3 if end >= 0 else -1
    found = re.compile(re.escape(closing) + r"[^<>]{0,100}>", re.IGNORECASE).search(text, start)
    return found.end() if found is not None else -1
