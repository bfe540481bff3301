"""`commander alerts …`: alert sources, what is firing, declaring and attaching from alerts, noise,
silences for an incident, and alerts pushed as JSON from a file or standard input.

A source's secret (a password, a token) is read from standard input or a hidden prompt, never from an
argument. A silence is shown before it is created and needs a yes (typed, or `--yes`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from commander.cli.render import clean, json_text, local_time, table
from commander.cli.session import Refusal, Session, read_input, read_options, read_secret
from commander.domain.alerts.alerts import PUSHED_MAX_BYTES, Alert, known_time
from commander.domain.core.when import iso

SOURCE_HELP = "a name people recognise, e.g. prod or eu-west"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "alerts",
        parents=[common],
        help="alert triage: sources, firing alerts, silences",
        description="Read what fires in Prometheus Alertmanager, declare or attach from it, "
        "mark noise, and silence it for an incident.",
    )
    actions = p.add_subparsers(dest="alerts_action", metavar="ACTION", required=True)

    source = actions.add_parser("source", parents=[common], help="the team's alert sources")
    source_actions = source.add_subparsers(dest="source_action", metavar="ACTION", required=True)
    a = source_actions.add_parser("add", parents=[common], help="add an Alertmanager; a secret is read from stdin")
    a.add_argument("kind", metavar="KIND", choices=["alertmanager"], help="alertmanager")
    a.add_argument("name", metavar="NAME", help=SOURCE_HELP)
    a.add_argument("--url", required=True, help="Alertmanager's own address, e.g. http://alertmanager:9093")
    a.add_argument("--auth", choices=["basic", "bearer"], help="the password or token is then read from stdin")
    a.add_argument("--user", help="the user name, with --auth basic")
    a.add_argument("--filter", metavar="MATCHERS", help="only these alerts, e.g. 'team=\"payments\"'")
    a.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="severity_label=severity, severity_map=critical=SEV1,warning=SEV3, service_labels=app,job",
    )
    a.set_defaults(func=add_source)
    source_actions.add_parser("list", parents=[common], help="the sources").set_defaults(func=list_sources)
    r = source_actions.add_parser("remove", parents=[common], help="remove a source (for the whole team)")
    r.add_argument("name", metavar="NAME")
    r.set_defaults(func=remove_source)
    s = source_actions.add_parser(
        "secret", parents=[common], help="give this computer a source's password or token (read from stdin)"
    )
    s.add_argument("name", metavar="NAME")
    s.set_defaults(func=give_secret)
    t = source_actions.add_parser(
        "trust",
        parents=[common],
        help="confirm the new address of a source whose settings changed: its secret is sent there",
    )
    t.add_argument("name", metavar="NAME")
    t.set_defaults(func=trust_source)

    listing = actions.add_parser("list", parents=[common], help="firing alerts, grouped; down sources say why")
    listing.add_argument("--source", metavar="NAME", help="only this source ('file': ingested alerts)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=list_alerts)

    d = actions.add_parser("declare", parents=[common], help="declare an incident from alerts; prints its reference")
    d.add_argument("fingerprints", metavar="FINGERPRINT", nargs="+", help="as `alerts list` shows, or a start of one")
    d.add_argument("--severity", help="instead of the one proposed from the alerts' labels")
    d.add_argument("--title", help="instead of the alert name and summary")
    d.set_defaults(func=declare)

    t = actions.add_parser("attach", parents=[common], help="attach firing alerts to an incident")
    t.add_argument("ref", metavar="REF")
    t.add_argument("fingerprints", metavar="FINGERPRINT", nargs="+")
    t.set_defaults(func=attach)

    n = actions.add_parser("noise", parents=[common], help="mark alerts as noise, with the reason")
    n.add_argument("fingerprints", metavar="FINGERPRINT", nargs="+")
    n.add_argument("--reason", required=True, help="why nothing needed doing, e.g. 'threshold too low'")
    n.add_argument("--incident", metavar="REF", help="put the mark on this incident's timeline")
    n.set_defaults(func=noise)

    v = actions.add_parser(
        "silence", parents=[common], help="silence an incident's alerts in Alertmanager (shown first; asks to confirm)"
    )
    v.add_argument("ref", metavar="REF")
    v.add_argument("fingerprints", metavar="FINGERPRINT", nargs="*", help="default: the incident's attached alerts")
    v.add_argument("--minutes", type=int, default=60, help="how long (default 60; at most a week)")
    v.add_argument("--comment", default="", help="why; the incident's reference is put before it")
    v.add_argument("--yes", action="store_true", help="create it without asking")
    v.set_defaults(func=silence)

    ls = actions.add_parser("silences", parents=[common], help="silences in every source")
    ls.add_argument("--source", metavar="NAME")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=list_silences)

    e = actions.add_parser("expire", parents=[common], help="expire a silence now")
    e.add_argument("silence_id", metavar="ID")
    e.add_argument("--source", metavar="NAME", help="needed when Commander did not create the silence")
    e.set_defaults(func=expire)

    i = actions.add_parser(
        "ingest", parents=[common], help="store alerts pushed as Alertmanager webhook or PagerDuty Events v2 JSON"
    )
    i.add_argument("file", metavar="FILE", help="a JSON file, or - for standard input")
    i.set_defaults(func=ingest)


# -- sources -----------------------------------------------------------------------------------------


def add_source(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts

    options = read_options(args.option)
    for key in ("auth", "user", "filter"):
        if getattr(args, key):
            options[key] = getattr(args, key)
    secret = ""
    if args.auth:
        secret = read_secret("Password (not shown): " if args.auth == "basic" else "Token (not shown): ")
    secrets = session.secrets
    source, kept = alerts.add_source(session.console, args.kind, args.name, args.url, options, secret, secrets)
    print(f"Added {clean(source.name)} ({source.kind}, {clean(source.url)}).")
    if not kept:
        print(secrets.notice, file=sys.stderr)
    return 0


def list_sources(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts
    from commander.app.setup import connections

    secrets = session.secrets
    found = alerts.sources(session.console)
    if not found:
        print("No alert sources yet. Add one with `commander alerts source add alertmanager prod --url …`.")
        return 0
    rows = []
    for source in found.values():
        state = connections.state_text(connections.state_of(alerts.guarded(session.console, source), secrets))
        auth = source.auth if source.auth == "none" else f"{source.auth}, {state}"
        rows.append([source.name, source.url, auth, source.options.get("filter", "")])
    print("\n".join(table(["NAME", "URL", "AUTH", "FILTER"], rows)))
    return 0


def remove_source(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts

    alerts.remove_source(session.console, args.name, session.secrets)
    print(f"Removed {clean(args.name)}.")
    return 0


def give_secret(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts

    secrets = session.secrets
    kept = alerts.set_secret(session.console, args.name, read_secret("Password or token (not shown): "), secrets)
    print(f"Kept the secret for {clean(args.name)}" + (" in the keyring." if kept else " for this session only."))
    if not kept:
        print(secrets.notice, file=sys.stderr)
    return 0


def trust_source(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts
    from commander.cli.setup.connection_secrets import confirm

    return confirm(session, args, alerts.trust)


# -- reading -----------------------------------------------------------------------------------------


def list_alerts(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts
    from commander.domain.alerts.alerts import group_alerts

    console = session.console
    results = alerts.fetch_all(console, session.secrets, only=args.source)
    mapping = alerts.mapping_for(console)
    groups = group_alerts(alerts.firing(results), mapping, console.policy)
    down = [r for r in results if not r.up]
    if args.json:
        document = {
            "sources": [
                {"name": r.source, "state": r.state, "error": r.error, "read_at": iso(r.at), "firing": len(r.alerts)}
                for r in results
            ],
            "alerts": [
                {**_alert_json(alert), "service": g.service, "proposed_severity": g.severity}
                for g in groups
                for alert in g.alerts
            ],
        }
        print(json_text(json.dumps(document, ensure_ascii=False, indent=2)))
    elif not results:
        print(
            "No alert sources yet. Add one with `commander alerts source add alertmanager prod --url …`, or "
            "ingest pushed alerts with `commander alerts ingest FILE`."
        )
    else:
        for result in results:
            print(
                f"{clean(result.source)}: {clean(result.describe())}"
                + (f", {len(result.alerts)} firing" if result.up else ""),
                file=sys.stdout if result.up else sys.stderr,
            )
        rows = [
            [alert.fingerprint, _started(alert, session), alert.labels.get("severity", ""), alert.source, alert.summary]
            for group in groups
            for alert in group.alerts
        ]
        lines = iter(table(["FINGERPRINT", "STARTED", "SEVERITY", "SOURCE", "SUMMARY"], rows, limit=114)[1:])
        if groups:
            print()
        for group in groups:  # a heading per group, its alerts under it in columns shared by all
            print(
                f"{group.severity or '    '}  {clean(group.name)}"
                + (f" · {clean(group.service)}" if group.service else "")
                + f"  ({len(group.alerts)} firing)"
            )
            for _ in group.alerts:
                print("      " + next(lines))
        if not groups and not down:
            print("Nothing is firing.")
    return 1 if down else 0


def _started(alert: Alert, session: Session) -> str:
    return local_time(alert.starts_at, session.console.zone)[:16] if known_time(alert.starts_at) else "unknown"


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {**alert.to_payload(), "summary": alert.summary, "runbook_url": alert.runbook_url}


def _firing(session: Session, fingerprints: list[str], extra: list[Alert] | None = None) -> list[Alert]:
    """The alerts named, among everything firing now (and `extra`); a source that is down is named if
    nothing was found."""
    from commander.app import alerts
    from commander.domain.alerts.alerts import find
    from commander.domain.core.errors import DomainError

    results = alerts.fetch_all(session.console, session.secrets)
    try:
        return find(alerts.firing(results) + (extra or []), fingerprints)
    except DomainError as problem:
        down = [f"{r.source} is {r.describe()}" for r in results if not r.up]
        raise Refusal(str(problem) + (" " + " ".join(down) if down else "")) from None


# -- triage actions ----------------------------------------------------------------------------------


def declare(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts
    from commander.domain.incident.decisions import Declaration

    console = session.console
    chosen = _firing(session, args.fingerprints)
    offer = alerts.proposal(console, chosen)
    form = Declaration(
        title=args.title or offer.title,
        severity=args.severity or offer.severity,
        services=offer.services,
        summary=offer.summary,
        detected_at=offer.detected_at,
    )
    state = alerts.declare_from_alerts(console, chosen, form=form)
    print(state.reference)
    print(
        f"{state.severity} declared: {clean(state.title)} ({len(chosen)} alert{'s' if len(chosen) > 1 else ''} "
        f"attached)",
        file=sys.stderr,
    )
    return 0


def attach(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts

    incident = session.resolve(args.ref)
    chosen = _firing(session, args.fingerprints)
    attached = alerts.attach_alerts(session.console, incident.id, chosen)
    print(f"{incident.reference}  {len(attached)} alert{'s' if len(attached) != 1 else ''} attached")
    return 0


def noise(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts
    from commander.domain.alerts.triage import attached_alerts

    incident = session.resolve(args.incident) if args.incident else None
    extra = attached_alerts(session.console.state(incident.id)) if incident else []
    chosen = _firing(session, args.fingerprints, extra)
    alerts.mark_noise(session.console, chosen, args.reason, incident.id if incident else None)
    where = f" on {incident.reference}" if incident else ""
    print(f"Marked {len(chosen)} alert{'s' if len(chosen) != 1 else ''} as noise{where}.")
    return 0


def silence(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts

    console = session.console
    incident = session.resolve(args.ref)
    chosen = _firing(session, args.fingerprints) if args.fingerprints else None
    plans = alerts.plan_silences(console, incident.id, chosen, args.minutes, args.comment)
    for plan in plans:
        print(clean_block(plan.describe(lambda moment: local_time(moment, console.zone))), file=sys.stderr)
    if not args.yes:
        if not sys.stdin.isatty():
            raise Refusal("Nothing was created. Add --yes to create this silence without being asked.")
        if input("Create it? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing was created.", file=sys.stderr)
            return 1
    created = alerts.silence_for(console, incident.id, plans, session.secrets)
    for silence_id, plan in zip(created, plans, strict=False):
        print(f"{incident.reference}  silence {silence_id} created in {clean(plan.source)}")
    return 0


def clean_block(text: str) -> str:
    return "\n".join(clean(line) for line in text.splitlines())


def list_silences(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts

    found, down = alerts.list_silences(session.console, session.secrets, only=args.source)
    if args.json:
        print(
            json_text(
                json.dumps(
                    {
                        "silences": [vars(s) for s in found],
                        "down": [{"source": k, "error": v} for k, v in down.items()],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        )
    else:
        for name, reason in down.items():
            print(f"{clean(name)}: down: {clean(reason)}", file=sys.stderr)
        if found:
            print(
                "\n".join(
                    table(
                        ["ID", "SOURCE", "STATE", "ENDS", "INCIDENT", "MATCHERS"],
                        [
                            [
                                s.silence_id,
                                s.source,
                                s.state,
                                s.ends_at[:16].replace("T", " "),
                                s.incident,
                                ", ".join(s.matchers),
                            ]
                            for s in found
                        ],
                        limit=160,
                    )
                )
            )
        elif not down:
            print(
                "No silences."
                if alerts.sources(session.console)
                else "No alert sources yet. Add one with `commander alerts source add alertmanager prod --url …`."
            )
    return 1 if down else 0


def expire(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts

    where = alerts.expire(session.console, args.silence_id, session.secrets, source=args.source)
    print(f"Expired silence {clean(args.silence_id)} in {clean(where)}.")
    return 0


def ingest(session: Session, args: argparse.Namespace) -> int:
    from commander.app import alerts

    report = alerts.ingest(session.console, read_input(args.file, limit=PUSHED_MAX_BYTES))
    print(
        f"Ingested {report.firing} firing and {report.resolved} resolved alert"
        f"{'s' if report.firing + report.resolved != 1 else ''} (source: file)."
    )
    return 0
