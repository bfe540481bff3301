"""Runbooks: the library every console holds, as events in `runbook:<id>` streams.

A runbook is data: sections of steps, plus what it applies to (services, alert names) and how fresh it
is. Every save is a whole new version (`runbook.saved` carries the content), so a checklist made from
version 3 can always be shown beside version 5. The library is a fold of those events; nothing here
reads files or the store (see commander/app/runbooks/library.py for that).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, payload_problem, well_formed
from commander.domain.core.text import NOTE_MAX, SUMMARY_MAX, clean_line, clean_multiline, clean_title
from commander.domain.core.when import iso

KINDS = ("diagnose", "mitigate", "escalate", "verify", "communicate")
_KNOWN_KINDS = frozenset((*KINDS, ""))
STALE_DAYS = 90  # the policy's runbook_stale_days overrides it
NAME_LIMIT = 200  # characters of a service, alert or tag name kept from an import
SAVED, REVIEWED, RETIRED = "runbook.saved", "runbook.reviewed", "runbook.retired"
SUGGESTED, SUGGESTION_CLOSED = "runbook.suggested", "runbook.suggestion_closed"
EVENT_KINDS = (SAVED, REVIEWED, RETIRED, SUGGESTED, SUGGESTION_CLOSED)
# Ids made from a front matter id, a file path or a title: the same input gives the same id on every
# console, so two people importing the same git checkout add versions to one runbook, not two.
_NAMESPACE = uuid.UUID("6f0f8d0e-5b7a-4c53-9a6e-2f4d1c8b7e31")

# Words in a section title that tell what its steps are for; the earliest one in the title wins.
_KIND_WORDS = {
    "diagnose": ("diagnos", "investigat", "triage", "troubleshoot", "debug", "identify", "check"),
    "mitigate": (
        "mitigat",
        "steps",
        "rollback",
        "roll back",
        "remediat",
        "resolution",
        "resolve",
        "fix",
        "recover",
        "workaround",
        "restore",
        "procedure",
        "actions",
        "what to do",
    ),
    "escalate": ("escalat", "who to page", "paging"),
    "verify": ("verif", "validat", "confirm", "after"),
    "communicate": ("communicat", "comms", "stakeholder", "status page", "announce"),
}


@dataclass(frozen=True)
class Step:
    """One instruction. `id` is its place ("s3.2.1": section 3, step 2, sub-step 1), stable within a
    version; `kind` is "" when the section's title does not tell."""

    id: str
    text: str
    kind: str = ""
    command: str | None = None
    link: str | None = None
    children: tuple[Step, ...] = ()
    # What the command is: "" a command to run (the form before these fields existed), "query" a query
    # to paste into a query tool, never run in a shell. `language` is its fence's ("bash", "promql").
    command_kind: str = ""
    language: str = ""
    output: str = ""  # what running it shows (or an example), preformatted: shown, never copied


@dataclass(frozen=True)
class Section:
    title: str
    steps: tuple[Step, ...] = ()
    context: str = ""  # the prose around the steps, as text


class StepAt(NamedTuple):
    """A step in reading order with how deep it sits (0: a section's own step)."""

    step: Step
    depth: int


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    summary: str = ""
    services: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    owner: str = ""
    reviewed_at: datetime | None = None
    # The file's last commit in git, kept only when it has no `reviewed` date: a team that keeps its
    # runbooks in git reviews them by changing them, so that date says how fresh the runbook is.
    changed_at: datetime | None = None
    contacts: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (label, url)
    sections: tuple[Section, ...] = ()
    version: int = 0  # 1 for the first saved version; 0 before it is saved
    version_id: str = ""  # the id of the runbook.saved event of this version
    digest: str = ""
    source: str = ""  # the file it was imported from, "" when written in Commander

    @property
    def last_review(self) -> datetime | None:
        """When someone last looked at it: a review, else the file's last change in git."""
        return self.reviewed_at or self.changed_at

    def stale(self, now: datetime, days: int = STALE_DAYS) -> bool:
        """An outdated runbook is more dangerous than none: never reviewed counts as stale."""
        last = self.last_review
        return last is None or now - last > timedelta(days=days)

    def all_steps(self) -> list[StepAt]:
        return [found for section in self.sections for found in _walk(section.steps, 0)]

    def step(self, step_id: str) -> Step | None:
        return next((found.step for found in self.all_steps() if found.step.id == step_id), None)


def _walk(steps: Iterable[Step], depth: int) -> Iterator[StepAt]:
    for step in steps:
        yield StepAt(step, depth)
        yield from _walk(step.children, depth + 1)


@dataclass(frozen=True)
class Suggestion:
    """A change proposed from an incident's checklist, open until the owner accepts or declines it."""

    id: str  # the runbook.suggested event's id
    runbook: str
    version_id: str
    step: str  # a step id, or "" for the runbook as a whole
    text: str
    incident: str
    reference: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Review:
    at: datetime
    by: str
    note: str


@dataclass
class RunbookRecord:
    """A runbook as the library holds it: every version, open suggestions, reviews."""

    current: Runbook
    versions: list[Runbook] = field(default_factory=list)  # oldest first
    suggestions: list[Suggestion] = field(default_factory=list)  # open ones, oldest first
    retired: bool = False
    reviews: list[Review] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.current.id

    def version(self, number: int) -> Runbook:
        if not 1 <= number <= len(self.versions):
            raise DomainError(
                f"'{self.current.title}' has versions 1 to {len(self.versions)}; there is no version {number}."
            )
        return self.versions[number - 1]


def stream(runbook_id: str) -> str:
    return f"runbook:{runbook_id}"


def runbook_id_for(*, key: str = "", path: str = "", title: str = "") -> str:
    """A runbook's id: a front matter id (taken as it is when it is a UUID), else the file's path (within
    its git repository, else within the folder imported: see commander/app/runbooks/library.py), else its title;
    the same input gives the same id everywhere."""
    if key:
        try:
            return str(uuid.UUID(key))
        except ValueError:
            return str(uuid.uuid5(_NAMESPACE, "id:" + key.strip().lower()))
    if path:
        return str(uuid.uuid5(_NAMESPACE, "path:" + path))
    return str(uuid.uuid5(_NAMESPACE, "title:" + " ".join(title.lower().split())))


def kind_for(section_title: str) -> str:
    """What a section's steps are for, from its title: "Mitigation / Rollback" -> mitigate. The deepest
    part of a combined title that tells wins."""
    for part in reversed(section_title.lower().split(" / ")):
        found = [(part.find(word), kind) for kind, words in _KIND_WORDS.items() for word in words if word in part]
        if found:
            return min(found)[1]
    return ""


def numbered(sections: Sequence[Section]) -> tuple[Section, ...]:
    """The same sections with every step's id set from its place."""
    return tuple(
        Section(section.title, _numbered(section.steps, f"s{index}"), section.context)
        for index, section in enumerate(sections, start=1)
    )


def _numbered(steps: Sequence[Step], prefix: str) -> tuple[Step, ...]:
    # The constructor, not dataclasses.replace: this runs for every step of every version in the library.
    return tuple(
        Step(
            f"{prefix}.{n}",
            s.text,
            s.kind,
            s.command,
            s.link,
            _numbered(s.children, f"{prefix}.{n}"),
            s.command_kind,
            s.language,
            s.output,
        )
        for n, s in enumerate(steps, start=1)
    )


# -- the content form: what runbook.saved carries and what Commander's YAML files hold ----------------


def to_dict(runbook: Runbook) -> dict[str, Any]:
    """The content of a version as plain JSON-able data (no id, version or source: those are the
    event's). The YAML form in docs/runbooks.md is this plus an optional `id`."""
    return {
        "title": runbook.title,
        "summary": runbook.summary,
        "services": list(runbook.services),
        "alerts": list(runbook.alerts),
        "tags": list(runbook.tags),
        "owner": runbook.owner,
        "reviewed_at": iso(runbook.reviewed_at) if runbook.reviewed_at else None,
        "contacts": list(runbook.contacts),
        "links": [{"label": label, "url": url} for label, url in runbook.links],
        "sections": [
            {"title": s.title, "context": s.context, "steps": [_step_dict(step) for step in s.steps]}
            for s in runbook.sections
        ],
    } | _changed_dict(runbook)


def _changed_dict(runbook: Runbook) -> dict[str, Any]:
    # Only when known: the content (and digest) of a runbook without a git date stays as it was before
    # this field existed, so re-importing such a library writes nothing new.
    return {"changed_at": iso(runbook.changed_at)} if runbook.changed_at else {}


def _step_dict(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = {"text": step.text, "kind": step.kind}
    if step.command is not None:
        data["command"] = step.command
    if step.link is not None:
        data["link"] = step.link
    # Only when set: a runbook without them keeps the content (and digest) it had before they existed.
    for name, value in (("command_kind", step.command_kind), ("language", step.language), ("output", step.output)):
        if value:
            data[name] = value
    if step.children:
        data["steps"] = [_step_dict(child) for child in step.children]
    return data


def from_dict(
    data: Mapping[str, Any],
    *,
    id: str = "",
    version: int = 0,
    version_id: str = "",  # noqa: A002
    digest: str = "",
    source: str = "",
) -> Runbook:
    """A runbook from its content form. A mistake names the field ("sections[2].steps[1].text"), so a
    person fixing a YAML file knows where to look. Unknown fields are ignored (a newer console may
    write more)."""
    if not isinstance(data, Mapping):
        raise DomainError("A runbook must be a mapping of fields (title, sections, ...).")
    title = clean_title(_text(data, "title", "title"))
    sections = []
    for number, raw in enumerate(_list(data, "sections"), start=1):
        where = f"sections[{number}]"
        if not isinstance(raw, Mapping):
            raise DomainError(f"{where} must be a mapping with a title and steps.")
        section_title = _text(raw, "title", f"{where}.title").strip()
        kind = kind_for(section_title)
        steps = tuple(_step_from(item, f"s{number}.{n}", kind) for n, item in enumerate(_list(raw, "steps", where), 1))
        sections.append(Section(section_title, steps, _text(raw, "context", f"{where}.context").strip()))
    return Runbook(
        id=id,
        title=title,
        summary=_text(data, "summary", "summary").strip(),
        services=_texts(data, "services"),
        alerts=_texts(data, "alerts"),
        tags=_texts(data, "tags"),
        owner=_text(data, "owner", "owner").strip(),
        reviewed_at=moment(data.get("reviewed_at"), "reviewed_at"),
        changed_at=moment(data.get("changed_at"), "changed_at"),
        contacts=_texts(data, "contacts"),
        links=_links(data.get("links")),
        sections=tuple(sections),
        version=version,
        version_id=version_id,
        digest=digest,
        source=source,
    )


def _step_from(raw: Any, step_id: str, section_kind: str) -> Step:
    """One step and its sub-steps, numbered as it goes; the place in a message is made only for a mistake
    (this runs for every step of every version in the library)."""
    if isinstance(raw, str) and raw.strip():  # the short form a person writes: "- Check the pods"
        return Step(step_id, raw.strip(), section_kind)
    if not isinstance(raw, Mapping):
        raise DomainError(f"{_place(step_id)} must be a text or a mapping with a text.")
    kind = raw.get("kind") or section_kind
    if not isinstance(kind, str) or kind not in _KNOWN_KINDS:
        kind = _text(raw, "kind", f"{_place(step_id)}.kind").strip().lower() or section_kind
        if kind not in _KNOWN_KINDS:
            raise DomainError(f"{_place(step_id)}.kind is '{kind}'; use one of: {', '.join(KINDS)}.")
    command, link, text = raw.get("command"), raw.get("link"), raw.get("text")
    command_kind, language, output = raw.get("command_kind") or "", raw.get("language") or "", raw.get("output") or ""
    for name, value in (
        ("command", command),
        ("link", link),
        ("command_kind", command_kind or None),
        ("language", language or None),
        ("output", output or None),
    ):
        if value is not None and not isinstance(value, str):
            raise DomainError(f"{_place(step_id)}.{name} must be text.")
    if not isinstance(text, str) or not text.strip():
        raise DomainError(f"{_place(step_id)}.text is empty: say what to do in a few words.")
    children = raw.get("steps") or ()
    if not isinstance(children, list | tuple):
        raise DomainError(f"{_place(step_id)}.steps must be a list.")
    return Step(
        step_id,
        text.strip(),
        kind,
        command or None,
        link or None,
        tuple(_step_from(item, f"{step_id}.{n}", kind) for n, item in enumerate(children, 1)),
        command_kind,
        language,
        output,
    )


def _place(step_id: str) -> str:
    """Where a step sits, as a person finds it in the YAML: s2.3.1 -> sections[2].steps[3].steps[1]."""
    section, *steps = step_id[1:].split(".")
    return f"sections[{section}]" + "".join(f".steps[{n}]" for n in steps)


def _text(data: Mapping[str, Any], name: str, where: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(f"{where} must be text, not {type(value).__name__}.")
    return value


def _list(data: Mapping[str, Any], name: str, where: str = "") -> list[Any]:
    value = data.get(name) or []
    if not isinstance(value, list):
        raise DomainError(f"{where + '.' if where else ''}{name} must be a list.")
    return value


def _texts(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = _list(data, name)
    if not all(isinstance(value, str) for value in values):
        raise DomainError(f"{name} must be a list of text.")
    return tuple(value.strip() for value in values if value.strip())


def _links(raw: Any) -> tuple[tuple[str, str], ...]:
    links = []
    for number, item in enumerate(raw or [], start=1):
        if not isinstance(item, Mapping) or not isinstance(item.get("url"), str):
            raise DomainError(f"links[{number}] must be a mapping with a label and a url.")
        url = item["url"].strip()
        links.append((str(item.get("label") or url).strip(), url))
    return tuple(links)


def moment(value: Any, where: str) -> datetime | None:
    """A review date as people write it: an ISO time, or a plain date (read as midnight UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return moment(datetime.fromisoformat(value.strip().replace("Z", "+00:00")), where)
        except ValueError:
            pass
    raise DomainError(f"{where} '{value}' is not a date; write it as 2026-01-31.")


def digest_of(runbook: Runbook) -> str:
    """A hash of the content: an unchanged file re-imported has the same one, so nothing is written."""
    text = json.dumps(to_dict(runbook), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# -- the fold ---------------------------------------------------------------------------------------


def fold_library(
    events: Iterable[Event], *, read: dict[tuple[str, int], Runbook] | None = None
) -> dict[str, RunbookRecord]:
    """Every runbook with its versions, reviews and open suggestions, in log order. A save after a
    retirement brings the runbook back: someone is still keeping it up.

    `read` keeps versions already read, by (event id, version number), across folds: events never
    change, so after one import only the new versions are read again (2,000 runbooks: ~0.5 s saved)."""
    records: dict[str, RunbookRecord] = {}
    reviews: dict[str, list[Review]] = {}
    retired: dict[str, bool] = {}
    suggested: dict[str, Suggestion] = {}
    closed: set[str] = set()
    for event in sorted(events, key=lambda e: e.order):
        p: Any = event.payload
        if event.kind not in EVENT_KINDS:
            continue
        if event.kind == SAVED:
            runbook = p.get("runbook") if isinstance(p, Mapping) else None
            record = records.get(runbook) if isinstance(runbook, str) else None
            number = len(record.versions) + 1 if record else 1
            version = read.get((event.id, number)) if read is not None else None
            if version is None:
                if not well_formed(event):  # checked once: a version read before was well formed
                    continue
                try:
                    version = from_dict(
                        p["content"],
                        id=p["runbook"],
                        version=number,
                        version_id=event.id,
                        digest=p["digest"],
                        source=p["source"],
                    )
                except DomainError:
                    continue  # content a newer console wrote in a shape this one cannot read: keep the last
                if read is not None:
                    read[(event.id, number)] = version
            if record is None:
                records[p["runbook"]] = RunbookRecord(version, [version])
            else:
                record.current = version
                record.versions.append(version)
            retired[p["runbook"]] = False
        elif not well_formed(event):
            continue
        elif event.kind == REVIEWED:
            reviews.setdefault(p["runbook"], []).append(Review(event.occurred_at, event.actor.name, p["note"]))
        elif event.kind == RETIRED:
            retired[p["runbook"]] = True
        elif event.kind == SUGGESTED:
            suggested[event.id] = Suggestion(
                event.id,
                p["runbook"],
                p["version_id"],
                p["step"],
                p["text"],
                p["incident"],
                p["reference"],
                event.actor.name,
                event.occurred_at,
            )
        elif event.kind == SUGGESTION_CLOSED:
            closed.add(p["suggestion"])
    for runbook_id, record in records.items():
        record.retired = retired.get(runbook_id, False)
        record.reviews = reviews.get(runbook_id, [])
        if record.reviews:
            latest = max(review.at for review in record.reviews)
            if record.current.reviewed_at is None or latest > record.current.reviewed_at:
                record.current = replace(record.current, reviewed_at=latest)
    for suggestion in suggested.values():
        if suggestion.id not in closed and suggestion.runbook in records:
            records[suggestion.runbook].suggestions.append(suggestion)
    return records


# -- decisions --------------------------------------------------------------------------------------


def save(records: Mapping[str, RunbookRecord], runbook: Runbook, *, source: str | None = None) -> list[EventDraft]:
    """A new version when the content changed; nothing when it did not (an unchanged re-import)."""
    if not runbook.id:
        raise DomainError("The runbook has no id. Give it one with runbook_id_for.")
    if not runbook.title.strip():
        raise DomainError("The runbook has no title. Give it a `# Title` line or a title field.")
    digest = digest_of(runbook)
    record = records.get(runbook.id)
    if record is not None and record.current.digest == digest:
        return []
    where = runbook.source if source is None else source
    payload = {"runbook": runbook.id, "content": to_dict(runbook), "digest": digest, "source": where}
    problem = payload_problem(SAVED, payload)
    if problem is not None:  # refused here, naming the part, rather than when the whole import is written
        field, _, why = problem.removeprefix("'").partition("' ")
        raise DomainError(
            f"The runbook “{runbook.title[:80]}” is too large to share: its {field} {why}. Shorten "
            f"it, or split it into several runbooks."
        )
    return [EventDraft(stream(runbook.id), SAVED, payload)]


def mark_reviewed(record: RunbookRecord, note: str = "") -> list[EventDraft]:
    cleaned = clean_multiline(note, field="review note", limit=SUMMARY_MAX, required=False)
    return [EventDraft(stream(record.id), REVIEWED, {"runbook": record.id, "note": cleaned})]


def retire(record: RunbookRecord) -> list[EventDraft]:
    if record.retired:
        raise DomainError(f"'{record.current.title}' is already retired.")
    return [EventDraft(stream(record.id), RETIRED, {"runbook": record.id})]


def close_suggestion(record: RunbookRecord, suggestion_id: str, *, accepted: bool, note: str = "") -> list[EventDraft]:
    if not any(s.id == suggestion_id for s in record.suggestions):
        raise DomainError(
            f"'{record.current.title}' has no open suggestion {suggestion_id}. It may have been "
            f"closed on another console."
        )
    cleaned = clean_multiline(note, field="note", limit=NOTE_MAX, required=False)
    return [
        EventDraft(
            stream(record.id), SUGGESTION_CLOSED, {"suggestion": suggestion_id, "accepted": accepted, "note": cleaned}
        )
    ]


# -- matching an incident ---------------------------------------------------------------------------

_WORD = re.compile(r"[\W_]+")


def same_name(name: str) -> str:
    """A service or alert name as compared: no case, no punctuation (kube_pod_crash = KubePodCrash)."""
    return _WORD.sub("", name.lower())


def matches(runbook: Runbook, *, services: Iterable[str] = (), alerts: Iterable[str] = ()) -> list[str]:
    """Why this runbook fits an incident: its alert names and services that the incident has
    ("alert KubePodCrashLooping", "service checkout"). Names compare without case or punctuation."""
    wanted_alerts = {same_name(a) for a in alerts if a.strip()}
    wanted_services = {same_name(s) for s in services if s.strip()}
    return [f"alert {a}" for a in runbook.alerts if same_name(a) in wanted_alerts] + [
        f"service {s}" for s in runbook.services if same_name(s) in wanted_services
    ]


def clean_names(values: Iterable[str], *, field_name: str) -> tuple[str, ...]:
    """Service, alert and tag names from an import: trimmed, one line each, no duplicates."""
    seen: dict[str, str] = {}
    for value in values:
        name = clean_line(value, field=field_name, limit=len(value) + 1, required=False)[:NAME_LIMIT]
        if name and same_name(name) not in seen:
            seen[same_name(name)] = name
    return tuple(seen.values())
