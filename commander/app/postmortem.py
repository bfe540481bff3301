"""Postmortems: start one from the incident's log, edit it section by section, set its owner, review meeting
and status, turn draft action items into tracked ones, and export it.

The postmortem is read fresh from the store on every call (its stream is short), so two consoles sharing one
store see each other's sections as soon as they are written. A section edit names the text it started from;
see commander.domain.postmortem.record for how concurrent edits of one section are both kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commander.app.console import Console
from commander.app.setup.resources import resources_dir
from commander.app.updates import template_runner
from commander.domain.actions.items import DEFAULT_PRIORITY, DEFAULT_TYPE, NewAction, parse_due
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.core.ids import reference_for
from commander.domain.postmortem import record as pm_domain
from commander.domain.postmortem.document import PostmortemDocument, document, to_html, to_json, to_markdown
from commander.domain.postmortem.draft import (
    TEMPLATES_STREAM,
    PostmortemTemplate,
    RunbookChange,
    facts,
    fold_templates,
)
from commander.domain.postmortem.record import Postmortem, action_lines, fold_postmortem, mark_confirmed, stream
from commander.domain.updates.templates import TemplateProblem

if TYPE_CHECKING:
    from commander.domain.actions.items import ActionItem

DEFAULT_TEMPLATE = "default"
TEXT_FORMATS = ("md", "html", "json")


def shipped_templates(folder: Path | None = None) -> dict[str, PostmortemTemplate]:
    folder = folder or resources_dir() / "postmortem"
    try:
        body = (folder / "default.md.j2").read_text(encoding="utf-8")
    except OSError as error:
        raise DomainError(
            f"The postmortem template in {folder} cannot be read ({error.strerror or error}). Reinstall Commander."
        ) from error
    return {DEFAULT_TEMPLATE: PostmortemTemplate(DEFAULT_TEMPLATE, "Blameless postmortem", body)}


def templates(console: Console) -> dict[str, PostmortemTemplate]:
    return fold_templates(console.reads.stream(TEMPLATES_STREAM), shipped_templates())


def template(console: Console, key: str) -> PostmortemTemplate:
    found = templates(console)
    if key not in found:
        raise DomainError(f"No postmortem template '{key}'. Templates: {', '.join(found)}.")
    return found[key]


def save_template(console: Console, key: str, name: str, body: str) -> PostmortemTemplate:
    from commander.domain.postmortem.draft import save_template as decide

    console.record(decide(key, name, body))
    return templates(console)[key.strip().lower()]


def remove_template(console: Console, key: str) -> None:
    from commander.domain.postmortem.draft import remove_template as decide

    console.record(decide(templates(console), key))


# -- reading -----------------------------------------------------------------------------------------------


def current(console: Console, incident_id: str) -> Postmortem:
    return fold_postmortem(incident_id, console.reads.stream(stream(incident_id)))


def runbook_changes(console: Console, incident_id: str) -> list[RunbookChange]:
    """Changes to runbooks proposed from this incident's checklists (`runbook.suggested`, in the runbooks'
    own streams). Read tolerantly: a payload without the fields this version knows is left out."""
    found = []
    for event in console.reads.of_kinds(["runbook.suggested"]):
        p: Mapping[str, Any] = event.payload
        if p.get("incident") == incident_id and isinstance(p.get("text"), str):
            found.append(
                RunbookChange(
                    str(p.get("runbook", "")), str(p.get("step", "")), p["text"], event.actor.name, event.occurred_at
                )
            )
    return found


def draft(console: Console, incident_id: str, template_key: str = DEFAULT_TEMPLATE) -> dict[str, str]:
    """Each section as the template writes it from the log now; nothing is recorded."""
    view = console.view(incident_id)
    variables = facts(
        view,
        now=console.now(),
        zone=console.zone,
        author=console.me.name,
        runbook_changes=runbook_changes(console, incident_id),
    )
    try:
        return template_runner.render_postmortem(template(console, template_key).body, variables)
    except TemplateProblem as problem:
        said = str(problem).rstrip(".")
        raise DomainError(
            f"The postmortem template '{template_key}' cannot be used: {said}. Fix it with "
            f"`commander postmortem template save {template_key} --file PATH`."
        ) from None


def draft_document(console: Console, incident_id: str, template_key: str = DEFAULT_TEMPLATE) -> PostmortemDocument:
    """The draft as a document, without recording it (a dry run)."""
    sections = {key: pm_domain.Section(key, text) for key, text in draft(console, incident_id, template_key).items()}
    unsaved = Postmortem(incident_id, template=template_key, drafted_by=console.me.name, sections=sections)
    return document(unsaved, console.state(incident_id))


def listing(console: Console) -> list[Postmortem]:
    """Every postmortem in the store, by review meeting (none last)."""
    by_stream: dict[str, list[Event]] = {}
    for event in console.reads.of_kinds(pm_domain.KINDS):
        by_stream.setdefault(event.stream, []).append(event)
    found = [fold_postmortem(name.removeprefix("postmortem:"), events) for name, events in by_stream.items()]
    return sorted((pm for pm in found if pm.drafted), key=lambda pm: (pm.meeting or date.max, pm.incident_id))


def document_of(console: Console, incident_id: str, texts: dict[str, str] | None = None) -> PostmortemDocument:
    pm = current(console, incident_id)
    if not pm.drafted:
        reference = console.state(incident_id).reference
        raise DomainError(
            f"{reference} has no postmortem yet. Start it with `commander postmortem draft {reference}` "
            f"(or Incident > Postmortem… in the window)."
        )
    return document(pm, console.state(incident_id), texts)


def export(console: Console, incident_id: str, fmt: str) -> str:
    """The postmortem as Markdown, HTML or JSON (a PDF is made by the window's code: it needs Qt)."""
    doc = document_of(console, incident_id)
    if fmt == "md":
        return to_markdown(doc)
    if fmt == "html":
        return to_html(doc)
    if fmt == "json":
        return to_json(doc)
    raise DomainError(f"Unknown format '{fmt}'. Use md, html, json or pdf.")


# -- changing ----------------------------------------------------------------------------------------------


def start(
    console: Console, incident_id: str, template_key: str = DEFAULT_TEMPLATE, *, allow_open: bool = False
) -> Postmortem:
    """Write the first draft, owned by whoever starts it, with the review meeting MEETING_WITHIN business days
    after the resolution."""
    state = console.state(incident_id)
    sections = draft(console, incident_id, template_key)
    meeting = pm_domain.default_meeting(state, console.now(), console.zone)
    console.record(
        pm_domain.start(
            state,
            current(console, incident_id),
            sections,
            template=template_key,
            owner=console.me.name,
            meeting=meeting,
            allow_open=allow_open,
        )
    )
    return current(console, incident_id)


def edit(
    console: Console, incident_id: str, key: str, text: str, *, base: str | None = None, resolved: Iterable[str] = ()
) -> Postmortem:
    """Replace one section's text. `base` is the event the text was edited from (None: the current text,
    for an edit made without looking at anyone else's, such as `postmortem edit` from a file)."""
    pm = current(console, incident_id)
    head = pm.section(key).head if base is None else base
    console.record(pm_domain.edit_section(pm, key, text, base=head, resolved=resolved))
    return current(console, incident_id)


def set_meta(
    console: Console,
    incident_id: str,
    *,
    owner: str | None = None,
    meeting: date | None = None,
    clear_meeting: bool = False,
    status: str | None = None,
) -> Postmortem:
    console.record(
        pm_domain.set_meta(
            current(console, incident_id), owner=owner, meeting=meeting, clear_meeting=clear_meeting, status=status
        )
    )
    return current(console, incident_id)


@dataclass(frozen=True)
class Confirmed:
    item: ActionItem
    postmortem: Postmortem


def confirm_action(
    console: Console, incident_id: str, line: int, *, text: str | None = None, base: str | None = None
) -> Confirmed:
    """Turn the draft item on `line` of the action items section into a tracked action item (through
    commander.app.actions, like every other item), then mark the line with its reference. `text` and `base`
    are the editor's unsaved section and where it started; by default, the section as stored."""
    pm = current(console, incident_id)
    section = pm.section("action_items")
    source = section.text if text is None else text
    found = next((item for item in action_lines(source) if item.line == line), None)
    if found is None:
        raise DomainError("That line is not an action item. Write it as: - [ ] title — owner: Sam; due: 2026-12-05.")
    if found.confirmed:
        raise DomainError(f"That item is already tracked as {found.reference}.")
    today = console.now().astimezone(console.zone).date()
    form = NewAction(
        title=found.title.strip("_* "),
        owner=found.owner,
        due=parse_due(found.due, today) if found.due else None,
        priority=found.priority or DEFAULT_PRIORITY,
        type=found.type or DEFAULT_TYPE,
        source="postmortem",
        finding=found.finding,
    )
    from commander.app import actions  # brings in the trackers' HTTP code: only when an item is confirmed

    item = actions.create(console, incident_id, form)
    updated = edit(
        console,
        incident_id,
        "action_items",
        mark_confirmed(source, line, item.reference),
        base=section.head if base is None else base,
    )
    return Confirmed(item, updated)


# -- reminders ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    incident_id: str
    reference: str
    text: str


def reminders(console: Console) -> list[Reminder]:
    """Every unpublished postmortem whose review meeting is near or past, soonest first."""
    today = console.now().astimezone(console.zone).date()
    found = []
    for pm in listing(console):
        reference = reference_of(pm.incident_id)
        text = pm_domain.reminder(pm, reference, today)
        if text is not None:
            found.append(Reminder(pm.incident_id, reference, text))
    return found


def reference_of(incident_id: str) -> str:
    try:
        return reference_for(incident_id)
    except ValueError:
        return incident_id[:12]
