"""`commander pager …` (PagerDuty and chat mentions, the routing key read from standard input or a hidden
prompt, never from an argument) and `commander page …`: page a service's on-call or a person, list the
incident's pages, acknowledge one, run due escalations, resolve them all.

Paging sends to people's phones, so it asks first; `--yes` answers for scripts. Levels and rounds count
from 1, as people say them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING

from commander.cli.render import clean, json_text, local_time, table
from commander.cli.session import Refusal, Session
from commander.cli.setup import connection_secrets

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]
    from commander.app.console import Console
    from commander.app.paging import Dispatch
    from commander.domain.paging.pages import Page
    from commander.integrations.secrets import SecretStore

SHORT_ID = 13
PAGE_ACTIONS = ("ack", "list", "escalate", "resolve")


def register(commands: Parsers, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("pager", parents=[common], help="how people are paged: PagerDuty, chat mentions")
    actions = p.add_subparsers(dest="pager_action", metavar="ACTION", required=True)
    a = actions.add_parser(
        "add",
        parents=[common],
        help="add a pager; PagerDuty's routing key is read from stdin",
        description="pagerduty: one Events API v2 integration; its routing key is read from "
        "standard input or a hidden prompt. chat: a mention posted through an update "
        "destination, e.g. --option destination='#oncall' "
        "--option mention='Sam=<@U0123ABC>,Alex=@alex'.",
    )
    a.add_argument("kind", metavar="KIND", choices=("pagerduty", "chat"), help="pagerduty or chat")
    a.add_argument("name", metavar="NAME", help="a name people recognise, e.g. 'PagerDuty'")
    a.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="pagerduty: api_url, link (a web address; {reference} is the incident's), rest_url; "
        "chat: destination, mention",
    )
    a.set_defaults(func=add)
    s = actions.add_parser("list", parents=[common], help="the pagers")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=listing)
    r = actions.add_parser("remove", parents=[common], help="remove a pager")
    r.add_argument("name", metavar="NAME")
    r.set_defaults(func=remove)
    connection_secrets.register(actions, common, "pager", give=_set_key, trust=_trust)
    k = actions.add_parser(
        "api-key",
        parents=[common],
        help="give this computer a PagerDuty pager's read-only REST API key (read from stdin), "
        "so that acknowledgements made in PagerDuty are read back",
    )
    k.add_argument("name", metavar="NAME")
    k.set_defaults(func=api_key)
    actions.add_parser(
        "poll", parents=[common], help="read back acknowledgements made in PagerDuty for every open page"
    ).set_defaults(func=poll)

    g = commands.add_parser(
        "page",
        parents=[common],
        help="page someone for an incident; list, acknowledge, escalate, resolve pages",
        usage="commander page REF (--service S | --person P) [--pager NAME] [--yes]\n"
        "       commander page list REF [--json]\n"
        "       commander page ack REF PAGE [--by NAME]\n"
        "       commander page escalate REF\n"
        "       commander page resolve REF",
        description="Page the on-call of a service (its escalation policy's first level; the next level follows "
        "when nobody acknowledges within the level's delay) or one person. `list` shows the pages and "
        "their state, `ack` records that someone answered (escalation stops), `escalate` pages what "
        "is due now (and sends again pages this computer was interrupted sending), `resolve` resolves "
        "every open page.",
    )
    g.add_argument("words", nargs="+", metavar="REF | ACTION REF [PAGE]")
    whom = g.add_mutually_exclusive_group()
    whom.add_argument("--service", metavar="SERVICE", help="page the on-call for this service")
    whom.add_argument("--person", metavar="NAME", help="page this person")
    g.add_argument("--pager", metavar="NAME", help="which pager (needed when there are several)")
    g.add_argument("--yes", action="store_true", help="page without asking first")
    g.add_argument("--by", metavar="NAME", default="", help="ack: who answered (default: the person paged)")
    g.add_argument("--json", action="store_true", help="list: print JSON")
    g.set_defaults(func=page)


# -- pagers ------------------------------------------------------------------------------------------------


def api_key(session: Session, args: argparse.Namespace) -> int:
    from commander.app import paging
    from commander.cli.session import read_secret

    secret = read_secret("PagerDuty REST API key (a read-only key; not shown): ")
    kept = paging.set_api_key(session.console, args.name, secret, session.secrets)
    print(f"Kept the REST API key for {clean(args.name)}" + (" in the keyring." if kept else " for this session only."))
    if not kept:
        print(session.secrets.notice, file=sys.stderr)
    return 0


def poll(session: Session, args: argparse.Namespace) -> int:
    from commander.app import paging

    problems: dict[str, str] = {}
    count = paging.poll_acknowledgements(session.console, problems=problems)
    print(f"{count} acknowledgement{'s' if count != 1 else ''} read back from PagerDuty.")
    for page, why in problems.items():
        print(f"page {page[:SHORT_ID]}: {clean(why)}", file=sys.stderr)
    return 1 if problems else 0


def add(session: Session, args: argparse.Namespace) -> int:
    from commander.app import paging

    options = {}
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise Refusal(f"'{item}' is not KEY=VALUE.")
        options[key.strip()] = value.strip()
    secret = ""
    if args.kind == "pagerduty":
        if sys.stdin.isatty():
            secret = getpass.getpass("PagerDuty routing key (the Integration Key, 32 characters; not shown): ")
        else:
            secret = sys.stdin.readline().strip()
    secrets = session.secrets
    config, kept = paging.add_pager(session.console, args.kind, args.name, options, secret, secrets)
    print(f"Added {clean(config.label)}.")
    if not kept:
        print(secrets.notice, file=sys.stderr)
    return 0


def listing(session: Session, args: argparse.Namespace) -> int:
    from commander.app import pagers, paging
    from commander.app.setup import connections

    secrets = session.secrets
    found = paging.pagers(session.console)
    if args.json:
        print(
            json_text(
                json.dumps(
                    [
                        {
                            "name": c.name,
                            "kind": c.kind,
                            "options": c.options,
                            "secret_here": c.kind != "pagerduty" or secrets.get(c.secret_name) is not None,
                            "secret_held_back": c.kind == "pagerduty"
                            and connections.state_of(paging.guarded(session.console, c), secrets).state == "held",
                            "rest_key_here": c.kind == "pagerduty"
                            and connections.state_of(pagers.rest_guarded(c), secrets).state == "ready",
                        }
                        for c in found.values()
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
        )
        return 0
    if not found:
        print(
            "No pagers yet. Add PagerDuty with `commander pager add pagerduty PagerDuty` (the routing key is read "
            "from standard input), or a chat mention with `commander pager add chat NAME --option destination=…`."
        )
        return 0
    rows = []
    for config in found.values():
        if config.kind == "pagerduty":
            state = connections.state_of(paging.guarded(session.console, config), secrets).state
            here = {"ready": "routing key here", "held": "routing key held back: address changed"}.get(
                state, "no routing key on this computer"
            )
            rest = connections.state_of(pagers.rest_guarded(config), secrets).state
            here += {"ready": "; REST API key here", "held": "; REST API key held back: rest_url changed"}.get(rest, "")
        else:
            people = len(config.mentions())
            here = f"through {config.options.get('destination', '')}, {people} mention{'s' * (people != 1)}"
        rows.append([config.name, config.kind, here])
    for line in table(["NAME", "KIND", ""], rows):
        print(line)
    return 0


def _set_key(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
    from commander.app import paging

    return paging.set_key(console, name, secret, secrets)


def _trust(console: Console, name: str, secrets: SecretStore) -> tuple[str, str]:
    from commander.app import paging

    return paging.trust(console, name, secrets)


def remove(session: Session, args: argparse.Namespace) -> int:
    from commander.app import paging

    paging.remove_pager(session.console, args.name, session.secrets)
    print(f"Removed {clean(args.name)}.")
    return 0


# -- pages -------------------------------------------------------------------------------------------------


def page(session: Session, args: argparse.Namespace) -> int:
    first, rest = args.words[0], args.words[1:]
    if first in PAGE_ACTIONS:
        needed = 2 if first == "ack" else 1
        if len(rest) != needed:
            raise Refusal(
                f"`commander page {first}` takes {'REF PAGE' if needed == 2 else 'REF'}, e.g. "
                f"`commander page {first} INC-7K2M{' 01963f2a' if needed == 2 else ''}`."
            )
        if first == "ack":
            return acknowledge(session, args, rest[0], rest[1])
        if first == "list":
            return list_pages(session, args, rest[0])
        return escalate(session, args, rest[0]) if first == "escalate" else resolve(session, args, rest[0])
    if rest:
        raise Refusal(
            f"Unexpected {' '.join(rest)}: page one incident at a time, e.g. `commander page {first} "
            f"--service payments`."
        )
    return send(session, args, first)


def send(session: Session, args: argparse.Namespace, ref: str) -> int:
    from commander.app import paging
    from commander.domain.paging.pagers import choose

    if not args.service and not args.person:
        raise Refusal("Say whom to page: --service SERVICE (its on-call, by its escalation policy) or --person NAME.")
    console = session.console
    incident = session.resolve(ref)
    pager = choose(paging.pagers(console), args.pager)
    if args.service:
        whom = f"{args.service} through {pager.label} reaches {paging.plan_service(console, args.service).describe()}"
    else:
        whom = f"{args.person.strip()} through {pager.label}."
    _confirm(args, f"{incident.reference}: paging {whom}")
    secrets = session.secrets
    if args.service:
        dispatch = paging.page_service(console, incident.id, args.service, pager.name, secrets)
    else:
        dispatch = paging.page_person(console, incident.id, args.person, pager.name, secrets)
    return _send(session, dispatch)


def _confirm(args: argparse.Namespace, question: str) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise Refusal(
            f"{question} Paging reaches people's phones, so it asks first: add --yes to page without being asked."
        )
    print(clean(question), file=sys.stderr)
    answer = input("Page now? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise Refusal("Not paged.")


def _send(session: Session, dispatch: Dispatch) -> int:
    from commander.app import paging

    state = session.console.state(dispatch.incident_id)
    outcomes = paging.run(session.console, dispatch)
    failed = 0
    for job, outcome in zip(dispatch.jobs, outcomes, strict=True):
        found = state.paging.pages.get(job.page)
        who = found.target if found else job.page[:SHORT_ID]
        failed += outcome.state != "delivered"
        verb = {"trigger": "paged", "acknowledge": "acknowledged at", "resolve": "resolved at"}[job.action]
        print(
            f"  {clean(who)}: {verb} {clean(job.pager)}: {outcome.state}"
            + (f" — {clean(outcome.detail)}" if outcome.detail else "")
        )
    return 1 if failed else 0


def list_pages(session: Session, args: argparse.Namespace, ref: str) -> int:
    from commander.app import paging as app_paging
    from commander.domain.paging import pages as paging

    console = session.console
    incident = session.resolve(ref)
    found = app_paging.pages(console, incident.id)
    state = console.state(incident.id)
    due = paging.next_due(state)
    if args.json:
        data = {
            "reference": incident.reference,
            "next_escalation": due.isoformat() if due else None,
            "pages": [_page_json(p) for p in found],
        }
        print(json_text(json.dumps(data, ensure_ascii=False, indent=2)))
        return 0
    if not found:
        print(
            f"{incident.reference} has paged nobody. `commander page {incident.reference} --service SERVICE` pages "
            f"its on-call."
        )
        return 0
    rows = [
        [
            p.id[:SHORT_ID],
            p.target,
            p.pager,
            _level(p),
            local_time(p.sent_at, console.zone, date=False),
            p.state + (f": {p.detail}" if p.delivery == "failed" else "") + (f" ({p.problem})" if p.problem else ""),
        ]
        for p in found
    ]
    for line in table(["PAGE", "PERSON", "PAGER", "LEVEL", "SENT", "STATE"], rows, limit=160):
        print(line)
    if due is not None:
        print(f"Next escalation at {local_time(due, console.zone, date=False)}, unless someone acknowledges.")
    return 0


def _level(page: Page) -> str:
    if not page.service:
        return "-"
    return f"{page.level + 1}" + (f" (repeat {page.round})" if page.round else "")


def _page_json(page: Page) -> dict[str, object]:
    return {
        "id": page.id,
        "person": page.target,
        "via": page.via,
        "service": page.service,
        "pager": page.pager,
        "level": page.level + 1,
        "round": page.round + 1,
        "dedup_key": page.dedup_key,
        "sent_at": page.sent_at.isoformat(),
        "sent_by": page.sent_by,
        "state": page.state,
        "delivery": page.delivery,
        "detail": page.detail,
        "acknowledged_by": page.acknowledged_by or None,
        "resolved": page.resolved,
        "problem": page.problem or None,
    }


def acknowledge(session: Session, args: argparse.Namespace, ref: str, wanted: str) -> int:
    from commander.app import paging

    incident = session.resolve(ref)
    dispatch = paging.acknowledge(session.console, incident.id, wanted, session.secrets, by=args.by)
    found = session.console.state(incident.id).paging.find(wanted)
    print(
        f"{incident.reference}: {clean(found.acknowledged_by)} acknowledged the page to {clean(found.target)}; "
        f"escalation stopped."
    )
    return _send(session, dispatch) if dispatch else 0


def escalate(session: Session, args: argparse.Namespace, ref: str) -> int:
    from commander.app import paging as app_paging
    from commander.domain.paging import pages as paging

    console = session.console
    incident = session.resolve(ref)
    secrets = session.secrets
    interrupted = app_paging.resume_stuck(console, incident.id, secrets)
    if interrupted:
        print(f"{incident.reference}: sending again the pages this computer was interrupted sending.")
        _send(session, interrupted)
    dispatch = app_paging.escalate_due(console, incident.id, secrets)
    if not dispatch:
        due = paging.next_due(console.state(incident.id))
        print(
            f"{incident.reference}: no escalation is due"
            + (f"; the next is at {local_time(due, console.zone, date=False)}." if due else ".")
        )
        return 0
    return _send(session, dispatch)


def resolve(session: Session, args: argparse.Namespace, ref: str) -> int:
    from commander.app import paging

    incident = session.resolve(ref)
    if not session.console.state(incident.id).paging.open_pages():
        print(f"{incident.reference} has no open pages.")
        return 0
    dispatch = paging.resolve_pages(session.console, incident.id, session.secrets)
    print(f"{incident.reference}: every open page resolved.")
    return _send(session, dispatch) if dispatch else 0
