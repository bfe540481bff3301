"""`commander record-past FILE`: write down an incident that is over, from a short YAML (or JSON) file.

After an outage handled without the console, the responder types what happened once: its times, the
severity it had from when, and who held which role from when to when. Every value is read as text (no
YAML guessing turns 10:20 into a number), times as the other commands read them, in the local zone unless
they say otherwise. The whole account is checked before anything is written; the new reference is printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from commander.app import incident as app_incident
from commander.cli.session import Refusal, Session, read_input
from commander.domain.incident.past import PastIncident, RoleSpan, SeveritySpan

FILE_BYTES = 256 * 1024
_TIMES = ("detected", "declared", "acknowledged", "mitigated", "resolved", "closed")
_FIELDS = {"title", "services", "summary", "drill", "severities", "roles", *_TIMES}
_EXAMPLE = """\
example (times in the local zone unless they say otherwise):
  title: Checkout API returning 502s
  services: [checkout]
  detected: 2026-11-24 10:00
  declared: 2026-11-24 10:10
  acknowledged: 2026-11-24 10:05
  mitigated: 2026-11-24 11:00
  resolved: 2026-11-24 11:30
  severities:                       # the first is the one it was declared with
    - {severity: SEV3, from: 2026-11-24 10:10}
    - {severity: SEV2, from: 2026-11-24 10:20}
  roles:                            # 'until' left out: to the end of the incident
    - {role: IC, person: Alice, from: 2026-11-24 10:10}
    - {role: TL, person: Bob, from: 2026-11-24 10:15, until: 2026-11-24 11:00}
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "record-past",
        parents=[common],
        help="record an incident that is over, with its real times, severities and roles; prints its reference",
        description="Record an incident after the fact, so the report counts it as it really happened. "
        "Required: title, declared, resolved, severities. Optional: services, summary, drill, detected, "
        "acknowledged, mitigated, closed, roles.",
        epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE.yaml", help="the account, in YAML or JSON; '-' reads standard input")
    p.set_defaults(func=record_past)


def record_past(session: Session, args: argparse.Namespace) -> int:
    source = "Standard input" if args.file == "-" else args.file
    document = _load(read_input(args.file, limit=FILE_BYTES), source)
    state = app_incident.record_past(session.console, _form(session, document, source))
    print(state.reference)
    return 0


def _load(text: str, source: str) -> Mapping[str, Any]:
    import yaml

    try:
        document = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar stays text
    except yaml.YAMLError as error:
        raise Refusal(f"{source} is not valid YAML: {str(error).splitlines()[0]}. Check the file.") from None
    if not isinstance(document, dict):
        raise Refusal(f"{source} must be a mapping of fields (title, declared, resolved, severities ...).")
    unknown = sorted(set(document) - _FIELDS)
    if unknown:
        raise Refusal(f"{source} has an unknown field '{unknown[0]}'. Fields: {', '.join(sorted(_FIELDS))}.")
    return document


def _form(session: Session, document: Mapping[str, Any], source: str) -> PastIncident:
    def text(value: Any, field: str) -> str:
        if not isinstance(value, str):
            raise Refusal(f"In {source}, '{field}' must be text.")
        return value

    def when(value: Any, field: str) -> datetime:
        return session.when(text(value, field))

    def listed(field: str) -> list[Any]:
        value = document.get(field, [])
        if not isinstance(value, list):
            raise Refusal(f"In {source}, '{field}' must be a list.")
        return value

    def entry(item: Any, field: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Mapping[str, Any]:
        if not isinstance(item, dict) or set(required) - set(item) or set(item) - {*required, *optional}:
            wording = ", ".join(required) + "".join(f" and optionally {name}" for name in optional)
            raise Refusal(f"In {source}, each entry of '{field}' has {wording}.")
        return item

    for required in ("title", "declared", "resolved", "severities"):
        if required not in document:
            raise Refusal(
                f"{source} does not say '{required}'. Give it: commander record-past --help shows an example."
            )
    times = {name: when(document[name], name) for name in _TIMES if name in document}
    severities = [entry(item, "severities", ("severity", "from")) for item in listed("severities")]
    roles = [entry(item, "roles", ("role", "person", "from"), ("until",)) for item in listed("roles")]
    drill = text(document.get("drill", "false"), "drill").strip().lower()
    if drill not in ("true", "false", "yes", "no"):
        raise Refusal(f"In {source}, 'drill' is true or false.")
    return PastIncident(
        title=text(document["title"], "title"),
        services=tuple(text(s, "services") for s in listed("services")),
        summary=text(document.get("summary", ""), "summary"),
        drill=drill in ("true", "yes"),
        declared=times["declared"],
        resolved=times["resolved"],
        detected=times.get("detected"),
        acknowledged=times.get("acknowledged"),
        mitigated=times.get("mitigated"),
        closed=times.get("closed"),
        severities=tuple(
            SeveritySpan(text(item["severity"], "severity"), when(item["from"], "from")) for item in severities
        ),
        roles=tuple(
            RoleSpan(
                text(item["role"], "role"),
                text(item["person"], "person"),
                when(item["from"], "from"),
                when(item["until"], "until") if "until" in item else None,
            )
            for item in roles
        ),
    )
