"""`commander postmortem …`: start the blameless postmortem of a resolved incident, read it, change its owner,
review meeting and status, replace a section from a file, track its draft action items, and export it as
Markdown, HTML, PDF (through Qt, no browser) or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commander.cli.outfile import write_out
from commander.cli.render import clean, json_text, table, terminal_text
from commander.cli.session import Refusal, Session, typed_day
from commander.domain.postmortem.document import findings, to_html, to_json, to_markdown
from commander.domain.postmortem.record import SECTION_KEYS, STATUS_LABELS, action_lines, reminder, spec

FORMATS = {"md": ".md", "html": ".html", "pdf": ".pdf", "json": ".json"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "postmortem",
        parents=[common],
        help="the blameless postmortem of an incident",
        description="A first draft written from the incident's log, edited section by section "
        "by anyone sharing the store, then exported.",
    )
    verbs = p.add_subparsers(dest="postmortem_verb", metavar="VERB", required=True)
    s = verbs.add_parser("draft", parents=[common], help="start the postmortem of a resolved incident and print it")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--template", default="default", metavar="KEY", help="the template (default: default)")
    s.add_argument("--dry-run", action="store_true", help="print a fresh draft without saving it (any incident)")
    s.set_defaults(func=draft)
    s = verbs.add_parser("show", parents=[common], help="status, owner, meeting, and each section's state")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--json", action="store_true", help="the whole postmortem as JSON")
    s.set_defaults(func=show)
    s = verbs.add_parser("list", parents=[common], help="every postmortem, by review meeting")
    s.set_defaults(func=listing)
    s = verbs.add_parser("set", parents=[common], help="change the owner, the review meeting or the status")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--owner", metavar="NAME")
    s.add_argument("--meeting", metavar="DATE", help="2026-12-04, or 3d / 1w from today; 'none' clears it")
    s.add_argument("--status", metavar="STATUS", help="draft, in_review or published")
    s.set_defaults(func=set_meta)
    s = verbs.add_parser("edit", parents=[common], help="replace one section's text (Markdown) from a file")
    s.add_argument("ref", metavar="REF")
    s.add_argument("section", metavar="SECTION", choices=SECTION_KEYS, help=", ".join(SECTION_KEYS))
    s.add_argument("--file", required=True, metavar="PATH|-", help="the new text; - reads standard input")
    s.set_defaults(func=edit)
    s = verbs.add_parser(
        "track", parents=[common], help="turn the draft lines of the action items section into tracked action items"
    )
    s.add_argument("ref", metavar="REF")
    s.set_defaults(func=track)
    s = verbs.add_parser("export", parents=[common], help="write the postmortem as Markdown, HTML, PDF or JSON")
    s.add_argument("ref", metavar="REF")
    s.add_argument(
        "--format",
        choices=sorted(FORMATS),
        help="md, html, pdf or json (default: from the --out file's extension, else md)",
    )
    s.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    s.set_defaults(func=export)
    s = verbs.add_parser("template", parents=[common], help="show, save or remove the team's postmortem template")
    s.add_argument("template_verb", choices=("show", "save", "remove"))
    s.add_argument("key", metavar="KEY", nargs="?", default="default")
    s.add_argument("--file", metavar="PATH|-", help="save: the template's text (Jinja2, one block per section)")
    s.add_argument("--name", default="", help="save: what people see in the list")
    s.set_defaults(func=template)


def draft(session: Session, args: argparse.Namespace) -> int:
    from commander.app import postmortem

    incident = session.resolve(args.ref)
    if args.dry_run:
        doc = postmortem.draft_document(session.console, incident.id, args.template)
    else:
        postmortem.start(session.console, incident.id, args.template)
        doc = postmortem.document_of(session.console, incident.id)
    _print(to_markdown(doc))
    if not args.dry_run:
        print(
            f"Started the postmortem of {incident.reference}. Edit it in the window (Incident > Postmortem…) or "
            f"with `commander postmortem edit {incident.reference} SECTION --file PATH`.",
            file=sys.stderr,
        )
    return 0


def show(session: Session, args: argparse.Namespace) -> int:
    from commander.app import postmortem

    console = session.console
    incident = session.resolve(args.ref)
    doc = postmortem.document_of(console, incident.id)
    if args.json:
        sys.stdout.write(json_text(to_json(doc)))
        return 0
    pm = postmortem.current(console, incident.id)
    meeting = f"{pm.meeting:%a %d %b %Y}" if pm.meeting else "not set"
    print(clean(f"{incident.reference}  {incident.title}"))
    print(
        clean(
            f"Postmortem: {pm.status_label} · owner {pm.owner or 'not set'} · review meeting {meeting} · "
            f"started by {pm.drafted_by}"
        )
    )
    today = console.now().astimezone(console.zone).date()
    note = reminder(pm, incident.reference, today)
    if note:
        print(clean(note))
    rows = []
    for section in pm.ordered():
        edited = f"{section.by} {console.time_format(section.at)}" if section.edited and section.at else "as drafted"
        notes = []
        if not section.text.strip():
            notes.append("empty")
        notes += [f"conflict: {c.by}'s version is kept beside {c.replaced_by}'s" for c in section.conflicts]
        if section.key == "action_items":
            items = action_lines(section.text)
            tracked = sum(1 for item in items if item.confirmed)
            notes.append(f"{len(items) - tracked} draft, {tracked} tracked")
        rows.append((spec(section.key).title, edited, "; ".join(notes)))
    print()
    for line in table(("SECTION", "LAST EDIT", "NOTES"), rows):
        print(line)
    found = findings(doc)
    if found:
        print("\nWording that may read as blame (a suggestion, never a block):")
        for key, finding in found:
            print(clean(f"  {spec(key).title}: “{finding.text}” — {finding.suggestion}"))
    return 0


def listing(session: Session, args: argparse.Namespace) -> int:
    from commander.app import postmortem

    console = session.console
    titles = {summary.id: summary for summary in console.incidents()}
    rows = []
    for pm in postmortem.listing(console):
        summary = titles.get(pm.incident_id)
        rows.append(
            (
                summary.reference if summary else postmortem.reference_of(pm.incident_id),
                STATUS_LABELS.get(pm.status, pm.status),
                pm.owner or "-",
                pm.meeting.isoformat() if pm.meeting else "-",
                summary.title if summary else "",
            )
        )
    if not rows:
        print("No postmortems yet. Start one with `commander postmortem draft REF` once an incident is resolved.")
        return 0
    for line in table(("REFERENCE", "STATUS", "OWNER", "MEETING", "TITLE"), rows):
        print(line)
    return 0


def set_meta(session: Session, args: argparse.Namespace) -> int:
    from commander.app import postmortem

    if args.owner is None and args.meeting is None and args.status is None:
        raise Refusal("Nothing to change: give --owner, --meeting or --status.")
    console = session.console
    incident = session.resolve(args.ref)
    clear = args.meeting is not None and args.meeting.strip().lower() == "none"
    meeting = (
        None
        if args.meeting is None or clear
        else typed_day(args.meeting, console.now().astimezone(console.zone).date())
    )
    pm = postmortem.set_meta(
        console, incident.id, owner=args.owner, meeting=meeting, clear_meeting=clear, status=args.status
    )
    shown = pm.meeting.isoformat() if pm.meeting else "not set"
    print(
        clean(
            f"{incident.reference} postmortem: {pm.status_label}, owner {pm.owner or 'not set'}, review "
            f"meeting {shown}."
        )
    )
    return 0


def edit(session: Session, args: argparse.Namespace) -> int:
    from commander.app import postmortem

    incident = session.resolve(args.ref)
    text = _read_text(args.file)
    postmortem.edit(session.console, incident.id, args.section, text)
    print(f"Saved the {spec(args.section).title} section of {incident.reference}'s postmortem.")
    return 0


def track(session: Session, args: argparse.Namespace) -> int:
    from commander.app import postmortem

    console = session.console
    incident = session.resolve(args.ref)
    pending = [
        item.line
        for item in action_lines(postmortem.current(console, incident.id).section("action_items").text)
        if not item.confirmed
    ]
    if not pending:
        print(f"No draft action items in {incident.reference}'s postmortem: every task line is tracked already.")
        return 0
    for line in pending:  # each confirmation rewrites only its own line, so the others keep their numbers
        confirmed = postmortem.confirm_action(console, incident.id, line)
        item = confirmed.item
        print(
            clean(
                f"{item.reference}  {item.title} (owner {item.owner or 'not set'}, due {item.due.isoformat()}, "
                f"{item.priority}, {item.type})"
            )
        )
    return 0


def export(session: Session, args: argparse.Namespace) -> int:
    from commander.app import postmortem

    console = session.console
    incident = session.resolve(args.ref)
    chosen = args.format or _format_of(args.out)
    if chosen == "pdf":
        doc = postmortem.document_of(console, incident.id)
        data = _pdf(to_html(doc), doc.heading)
        if args.out:
            write_out(Path(args.out), data)
        elif sys.stdout.isatty():
            raise Refusal("A PDF does not belong in a terminal: give --out FILE, or redirect standard output.")
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        return 0
    text = postmortem.export(console, incident.id, chosen)
    if args.out:
        write_out(Path(args.out), text)
    elif chosen == "json":
        sys.stdout.write(json_text(text))
    else:
        _print(text)
    return 0


def template(session: Session, args: argparse.Namespace) -> int:
    from commander.app import postmortem

    if args.template_verb == "show":
        body = postmortem.template(session.console, args.key).body
        print(terminal_text(body), end="" if body.endswith("\n") else "\n")
    elif args.template_verb == "save":
        if not args.file:
            raise Refusal("Give the template's text with --file PATH (or --file - for standard input).")
        saved = postmortem.save_template(session.console, args.key, args.name, _read_text(args.file))
        print(clean(f"Saved the postmortem template {saved.key} ({saved.origin}): {saved.name}."))
    else:
        postmortem.remove_template(session.console, args.key)
        print(clean(f"Removed the team's postmortem template {args.key}."))
    return 0


def _print(text: str) -> None:
    sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)


def _format_of(out: str | None) -> str:
    suffix = Path(out).suffix.lower() if out else ""
    return next((name for name, extension in FORMATS.items() if extension == suffix), "md")


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refusal(
            f"Cannot read {path}: {getattr(error, 'strerror', None) or error}. Check the path (or use "
            f"--file - to read standard input)."
        ) from error


def _pdf(html: str, title: str) -> bytes:
    try:
        from commander.ui.postmortem.pdf import pdf_bytes
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith(("PySide6", "shiboken6")):
            raise
        raise Refusal(
            f"A PDF is made with Qt, and {error.name} is not installed. Reinstall Commander with its "
            f"dependencies, or export HTML (--format html) and print that."
        ) from error
    return pdf_bytes(html, title)
