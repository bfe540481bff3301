"""Markdown runbooks in the shape teams keep in git (pure functions, no I/O).

What becomes what (docs/runbooks.md says the same for people):

- optional YAML front matter between `---` lines (id, title, summary, services, alerts, tags, owner,
  reviewed, contacts, links); broken YAML is ignored with a note and the body imported anyway;
- the body is read by markdown-it-py, the reference CommonMark parser (with GitHub's tables), and its
  tokens are mapped to sections and steps by runbook_reader (which says how);
- the first `# Title` is the title (else the front matter's, else the file name);
- the alert names are the front matter's, else the file name's when it is written like one
  (`etcdMembersDown.md`, `CPUThrottlingHigh.md`, `Watchdog.md`), else the title's; "[Deprecated]" and
  the like are dropped from the name and kept as the tag "deprecated".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commander.domain.core.errors import DomainError
from commander.domain.core.text import SUMMARY_MAX, TITLE_MAX
from commander.domain.runbooks.front_matter import cut, front_matter, link_pairs, strings
from commander.domain.runbooks.inline import Inline
from commander.domain.runbooks.library import Runbook, clean_names, moment, numbered
from commander.domain.runbooks.reader import _PARSER, MAX_DEPTH, MAX_STEPS, Reader

__all__ = ["MAX_DEPTH", "MAX_STEPS", "Parsed", "alert_name", "parse_markdown"]

MAX_BRACKETS = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# "KubeAPIDown [Deprecated]", "(deprecated)", "- DEPRECATED": said as a tag, not part of the name.
_RETIRED = re.compile(r"[\s\-–—:]*[\[(]?\b(deprecated|obsolete|removed|legacy)\b[\])]?[\s.]*$", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_CAMEL = re.compile(r"[a-z0-9][A-Z]|[A-Z]{2}[a-z]")
_NOT_ALERTS = frozenset(
    (
        "readme",
        "index",
        "owners",
        "changelog",
        "contributing",
        "license",
        "template",
        "summary",
        "overview",
        "introduction",
        "intro",
        "home",
        "toc",
        "glossary",
        "faq",
        "security",
        "codeowners",
        "authors",
        "notice",
        "runbook",
        "runbooks",
        "troubleshooting",
    )
)


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
    if body.count("[") > MAX_BRACKETS:
        # markdown-it-py tries each "[" as a link's start (~10 µs each): a hostile file of 600,000 took
        # 7 s. Past any real runbook's count, brackets are read as text.
        body = body.replace("[", "\\[")
        notes.append(f"More than {MAX_BRACKETS:,} '[' characters: they were read as text, not as links.")
    reader = Reader(notes)
    reader.read(body)
    fields = _metadata(meta, notes)
    title = fields.pop("title", None) or reader.title or _title_from(name)
    retired = any(_RETIRED.search(written) for written in (title, reader.title or "") if written)
    if "alerts" not in fields:
        stem, heading = alert_name(_stem(name)), alert_name(reader.title or "")
        # One capitalised word ("Watchdog", but also "Networking") is an alert name only when the heading
        # says the same; a CamelCase one (etcdMembersDown) is, whatever the heading.
        found = stem if stem and (_CAMEL.search(stem) or stem.lower() == heading.lower()) else heading
        if found:
            fields["alerts"] = (found,)
    if retired and "deprecated" not in [tag.lower() for tag in fields.get("tags", ())]:
        fields["tags"] = (*fields.get("tags", ()), "deprecated")
    sections, summary = reader.sections()
    summary = fields.pop("summary", None) or summary
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1] + "…"
        notes.append(f"The summary was longer than {SUMMARY_MAX:,} characters: cut.")
    key = str(fields.pop("key", "") or "")
    runbook = Runbook(id="", title=cut(title, TITLE_MAX), summary=summary, sections=numbered(sections), **fields)
    if not runbook.all_steps():
        notes.append("No list items or code blocks: the runbook has no steps, only text.")
    return Parsed(runbook, key, tuple(notes))


_META_NAMES = {
    "key": ("id",),
    "title": ("title", "name"),
    "summary": ("summary", "description"),
    "services": ("services", "service", "components", "component"),
    "alerts": ("alerts", "alert", "alertname", "alert_names", "alert_name"),
    "tags": ("tags", "tag", "labels", "categories"),
    "owner": ("owner", "owners", "team"),
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
            found[target] = _plain(text) if target != "key" else text.strip()
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


def _plain(text: str) -> str:
    """A front matter field as text: its inline Markdown read, links as their labels, on one line."""
    tokens = _PARSER.parseInline(text)
    return Inline(tokens[0].children if tokens else [], keep_urls=False).line()


def alert_name(written: str) -> str:
    """The alert name a file name or title is written as, or "": one word of letters and digits with a
    capital past its first letter, or a capitalised word (`etcdMembersDown`, `CPUThrottlingHigh`,
    `Watchdog`), "[Deprecated]" and the like left out. "Disk full", "disk-full" and "README" are not."""
    name = _RETIRED.sub("", written.strip()).strip()
    if not _IDENTIFIER.match(name) or name.lower() in _NOT_ALERTS or name.isupper() or name.islower():
        return ""
    return name
