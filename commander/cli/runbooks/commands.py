"""`commander runbook …`: import, list, show, search, export, review and diff the runbook library."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from commander.app.console import Console
from commander.app.runbooks import library
from commander.cli.outfile import write_out
from commander.cli.render import clean, clean_lines, fit, json_text, rewrite_line, table, terminal_text
from commander.cli.runbooks.json_form import runbook_json
from commander.cli.session import Session
from commander.domain.core.when import iso
from commander.domain.runbooks.inline_markdown import plain
from commander.domain.runbooks.library import Runbook, RunbookRecord, Step

FORMATS = {"md": ".md", "yaml": ".yaml"}
NOT_RUNBOOKS_LISTED = 20  # files that are not runbooks listed by name after an import; the rest are counted


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "runbook",
        parents=[common],
        help="the runbook library: import, list, show, search",
        description="Runbooks every console holds locally. Import Markdown (the shape teams "
        "keep in git) or Commander's YAML; every change is a new version.",
    )
    actions = p.add_subparsers(dest="runbook_action", metavar="ACTION", required=True)
    s = actions.add_parser("import", parents=[common], help="import files and folders of .md / .yaml runbooks")
    s.add_argument("paths", metavar="PATH", nargs="+", help="a runbook file or a folder to read through")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(func=import_runbooks)
    s = actions.add_parser("list", parents=[common], help="every runbook, with its version and freshness")
    s.add_argument("--stale", action="store_true", help="only the ones due for a review")
    s.add_argument("--all", action="store_true", help="include retired runbooks")
    s.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    s.set_defaults(func=list_runbooks)
    s = actions.add_parser("show", parents=[common], help="a runbook's details and steps")
    s.add_argument("name", metavar="ID|NAME", help="the id (or its start), the title (or its start) or file name")
    s.add_argument("--version", type=int, metavar="N", help="an earlier version (default: the current one)")
    s.add_argument("--json", action="store_true", help="print the structured runbook (sections, steps, commands)")
    s.set_defaults(func=show)
    s = actions.add_parser("search", parents=[common], help="find runbooks by words, services or alert names")
    s.add_argument("text", metavar="TEXT", nargs="*", help="words from the title, steps or commands")
    s.add_argument("--service", action="append", default=[], metavar="NAME", help="fits this service (repeat)")
    s.add_argument("--alert", action="append", default=[], metavar="NAME", help="fits this alert name (repeat)")
    s.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    s.set_defaults(func=search)
    s = actions.add_parser("export", parents=[common], help="write a runbook as Markdown or Commander YAML")
    s.add_argument("name", metavar="ID|NAME")
    s.add_argument("--format", choices=sorted(FORMATS), help="md or yaml (default: from --out, else md)")
    s.add_argument("--version", type=int, metavar="N", help="an earlier version (default: the current one)")
    s.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    s.set_defaults(func=export)
    s = actions.add_parser("reviewed", parents=[common], help="record that a runbook was reviewed and is right")
    s.add_argument("name", metavar="ID|NAME")
    s.add_argument("--note", default="", help="what was checked")
    s.set_defaults(func=reviewed)
    s = actions.add_parser("diff", parents=[common], help="what changed between two versions")
    s.add_argument("name", metavar="ID|NAME")
    s.add_argument("old", metavar="V1", type=int)
    s.add_argument("new", metavar="V2", type=int)
    s.set_defaults(func=diff)


def import_runbooks(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    live = sys.stderr.isatty()

    def progress(done: int, total: int, path: str) -> None:
        if live:
            line = fit(f"Reading runbooks: {done}/{total}  {clean(Path(path).name)}", _columns() - 1)
            rewrite_line(sys.stderr, line, last=done >= total)

    report = library.import_paths(console, args.paths, progress=progress)
    print(f"Read {report.files} file{'s' if report.files != 1 else ''}.", file=sys.stderr)
    if args.json:
        print(json_text(json.dumps(_report_json(report), ensure_ascii=False, indent=2)))
    else:
        passed_over = sorted(report.not_runbooks)
        print(
            f"Imported {len(report.imported)} new, {len(report.updated)} new version"
            f"{'s' if len(report.updated) != 1 else ''}, {len(report.unchanged)} unchanged, "
            f"{len(report.skipped)} skipped" + (f" ({len(passed_over)} not runbooks)." if passed_over else ".")
        )
        for entry in report.imported + report.updated:
            print(f"  v{entry.version:<3} {clean(entry.title)}  ({clean(entry.path)})")
        for path, reason in report.problems + passed_over[:NOT_RUNBOOKS_LISTED]:
            print(f"  skipped {clean(path)}: {clean(reason)}")
        if len(passed_over) > NOT_RUNBOOKS_LISTED:  # a repository's code and images: hundreds of lines of nothing
            print(
                f"  skipped {len(passed_over) - NOT_RUNBOOKS_LISTED} more files that are not runbooks "
                f"(--json lists them all)"
            )
        for path, note in report.notes:
            print(f"  note    {clean(path)}: {clean(note)}")
    nothing = not (report.imported or report.updated or report.unchanged)
    return 1 if nothing and report.skipped else 0


def _report_json(report: library.ImportReport) -> dict[str, Any]:
    def files(entries: list[library.ImportedFile]) -> list[dict[str, Any]]:
        return [{"path": e.path, "id": e.runbook_id, "title": e.title, "version": e.version} for e in entries]

    return {
        "imported": files(report.imported),
        "updated": files(report.updated),
        "unchanged": files(report.unchanged),
        "skipped": [{"path": path, "reason": reason} for path, reason in report.skipped],
        "notes": [{"path": path, "note": note} for path, note in report.notes],
    }


def list_runbooks(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    records = sorted(library.library(console).values(), key=lambda r: r.current.title.lower())
    shown = [r for r in records if (args.all or not r.retired) and (not args.stale or library.is_stale(console, r))]
    if args.json:
        print(json_text(json.dumps([_record_json(console, r) for r in shown], ensure_ascii=False, indent=2)))
        return 0
    if not shown:
        print(
            f"No stale runbooks: every one was reviewed in the last {library.stale_days(console)} days."
            if args.stale and records
            else "No runbooks yet. `commander runbook import FOLDER` imports a folder of Markdown runbooks."
        )
        return 0
    rows = [
        (
            r.id[:8],
            f"v{r.current.version}",
            _reviewed(console, r),
            ", ".join(r.current.services[:3]),
            r.current.title + (" (retired)" if r.retired else ""),
        )
        for r in shown
    ]
    for line in table(("ID", "VER", "REVIEWED", "SERVICES", "TITLE"), rows, limit=_columns()):
        print(line)
    return 0


def _reviewed(console: Console, record: RunbookRecord) -> str:
    when = _last_review(record.current, console.zone)
    return f"{when} STALE" if library.is_stale(console, record) else when


def _last_review(runbook: Runbook, zone: tzinfo) -> str:
    if runbook.reviewed_at:
        return _date(runbook.reviewed_at, zone)
    return f"changed in git {_date(runbook.changed_at, zone)}" if runbook.changed_at else "never"


def _record_json(console: Console, record: RunbookRecord) -> dict[str, Any]:
    runbook = record.current
    return {
        "id": runbook.id,
        "title": runbook.title,
        "version": runbook.version,
        "version_id": runbook.version_id,
        "services": list(runbook.services),
        "alerts": list(runbook.alerts),
        "tags": list(runbook.tags),
        "owner": runbook.owner,
        "reviewed_at": iso(runbook.reviewed_at) if runbook.reviewed_at else None,
        "changed_in_git": iso(runbook.changed_at) if runbook.changed_at else None,
        "stale": library.is_stale(console, record),
        "retired": record.retired,
        "source": runbook.source,
        "steps": len(runbook.all_steps()),
        "open_suggestions": len(record.suggestions),
    }


def show(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    record = _find(console, args.name)
    runbook = record.version(args.version) if args.version else record.current
    if args.json:
        print(json_text(json.dumps(runbook_json(record, runbook), ensure_ascii=False, indent=2)))
        return 0
    lines = [
        plain(runbook.title),
        f"id {runbook.id}   version {runbook.version} of {len(record.versions)}"
        + ("   RETIRED" if record.retired else ""),
    ]
    reviewed = _reviewed(console, record) if runbook is record.current else _last_review(runbook, console.zone)
    if reviewed.endswith("STALE"):
        reviewed = reviewed[:-5] + f"(STALE: review it; the policy allows {library.stale_days(console)} days)"
    for label, value in (
        ("Services", ", ".join(runbook.services)),
        ("Alerts", ", ".join(runbook.alerts)),
        ("Tags", ", ".join(runbook.tags)),
        ("Owner", runbook.owner),
        ("Reviewed", reviewed),
        ("Contacts", "; ".join(runbook.contacts)),
        ("Source", runbook.source),
    ):
        if value:
            lines.append(f"{label + ':':<10}{value}")
    lines += [f"{'Link:':<10}{label}  {url}" for label, url in runbook.links]
    if runbook.summary:  # a runbook's Markdown as its plain words (domain/inline_markdown.py)
        lines += ["", *plain(runbook.summary, block=True).split("\n")]
    for section in runbook.sections:
        lines += ["", f"## {plain(section.title)}"]
        if section.context:
            lines += ["", *plain(section.context, block=True).split("\n")] + ([""] if section.steps else [])
        for step in section.steps:
            lines += _step_lines(step, 0)
    if record.suggestions and runbook is record.current:
        lines += ["", f"Open suggestions ({len(record.suggestions)}):"]
        lines += [f"  {s.reference} {s.by}, on {s.step or 'the runbook'}: {s.text}" for s in record.suggestions]
    for line in lines:
        print("\n".join(clean_lines(line)))
    return 0


def _step_lines(step: Step, depth: int) -> list[str]:
    pad = "  " * depth
    kind = f"[{step.kind}] " if step.kind else ""
    lines = [f"  {pad}{step.id:<8} {kind}{plain(step.text)}"]
    if step.command:  # "$ " once, where the command starts: its continuation lines are part of it
        prompt = f"{step.language or 'query'}> " if step.command_kind == "query" else "$ "
        first, *rest = step.command.split("\n")
        lines += [f"  {pad}{'':8}   {prompt}{first}", *(f"  {pad}{'':8}   {'':{len(prompt)}}{line}" for line in rest)]
    if step.output:  # what it shows, set off by a bar: read, never pasted
        lines += [f"  {pad}{'':8}   | {line}" for line in step.output.rstrip("\n").split("\n")]
    if step.link:
        lines.append(f"  {pad}{'':8}   -> {step.link}")
    for child in step.children:
        lines += _step_lines(child, depth + 1)
    return lines


def search(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    hits = library.search(console, " ".join(args.text), services=args.service, alerts=args.alert)
    if args.json:
        print(
            json_text(
                json.dumps(
                    [{**_record_json(console, hit.record), "score": hit.score, "why": list(hit.why)} for hit in hits],
                    ensure_ascii=False,
                    indent=2,
                )
            )
        )
        return 0
    if not hits:
        print("No runbook matches. Try fewer or shorter words; `commander runbook list` shows them all.")
        return 0
    rows = [
        (hit.record.id[:8], _reviewed(console, hit.record), ", ".join(hit.why) or "-", hit.runbook.title)
        for hit in hits
    ]
    for line in table(("ID", "REVIEWED", "FITS", "TITLE"), rows, limit=_columns()):
        print(line)
    return 0


def export(session: Session, args: argparse.Namespace) -> int:
    record = _find(session.console, args.name)
    suffix = Path(args.out).suffix.lower() if args.out else ""
    chosen = args.format or ("yaml" if suffix in (".yaml", ".yml") else "md")
    text = (
        library.export_yaml(record, args.version) if chosen == "yaml" else library.export_markdown(record, args.version)
    )
    if args.out:
        write_out(Path(args.out), text)
        print(f"Wrote {record.current.title} to {args.out}.", file=sys.stderr)
    else:
        sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)
    return 0


def reviewed(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    record = library.mark_reviewed(console, args.name, args.note)
    print(f"Marked '{clean(record.current.title)}' reviewed; it is due again in {library.stale_days(console)} days.")
    return 0


def diff(session: Session, args: argparse.Namespace) -> int:
    record = _find(session.console, args.name)
    old, new = record.version(args.old), record.version(args.new)
    lines = library.diff(old, new)
    if not lines:
        print(f"Versions {args.old} and {args.new} of '{clean(record.current.title)}' have the same content.")
    for line in lines:
        print("\n".join(clean_lines(line)))
    return 0


def _find(console: Console, name: str) -> RunbookRecord:
    """The runbook a name fits; when several fit, each is listed with its id and file, and the command
    stops (status 1) so that the person names one."""
    try:
        return library.find(console, name)
    except library.Ambiguous as many:
        print(
            f"commander: '{clean(name)}' matches {len(many.matches)} runbooks. Name one by its id or its file's path:",
            file=sys.stderr,
        )
        tails = library.where(many.matches)
        rows = [
            (r.id[:8], r.current.title + (" (retired)" if r.retired else ""), r.current.source or "-")
            for r in many.matches
        ]
        for line in table(("ID", "TITLE", "FILE"), rows):  # paths whole: they are what tells the two apart
            print("  " + line, file=sys.stderr)
        example = next((tails[r.id].removeprefix("…/") for r in many.matches if tails[r.id]), many.matches[0].id[:8])
        print(f"For example: commander runbook show {example}", file=sys.stderr)
        raise SystemExit(1) from None


def _date(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d")


def _columns() -> int:
    return shutil.get_terminal_size((120, 24)).columns
