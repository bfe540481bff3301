"""What each workflow action does (the engine, app/automation.py, decides when and claims it first).

`execute` returns the attempt's outcome and its words: (DONE, what it made), (FAILED, the service's
reason or what is missing, in words a person can act on), or (SKIPPED, why it had nothing to do). It never
raises for a refusal from outside: one action's failure does not stop the next.

Actions that only write events (declare, attach-runbook, start-timer, assign-role) use the console's use
cases; the others reach a service: a chat connection (app/chat.py: create-channel, invite, post), a
bridge (app/bridges.py: start-bridge), a pager (app/paging.py: page) or update destinations
(app/updates/publishing.py: send-update). Templates are filled in at the moment the action runs, so a
`post` after `start-bridge` sees the bridge's link.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from commander.app.console import Console
from commander.domain.alerts import triage
from commander.domain.alerts.alerts import Alert
from commander.domain.chat import heard
from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft
from commander.domain.incident import decisions
from commander.domain.incident.decisions import Declaration
from commander.domain.incident.state import IncidentState
from commander.domain.workflows import matching
from commander.domain.workflows.kinds import SavedRule
from commander.domain.workflows.matching import Happened
from commander.domain.workflows.rules import Action
from commander.domain.workflows.runs import DONE, FAILED, SKIPPED
from commander.store.errors import StoreError

if TYPE_CHECKING:
    from commander.integrations.chat.base import ChatService

_log = logging.getLogger(__name__)
_INCIDENTS = uuid.UUID("7d3f51e2-1c0b-4b8e-a6c5-92e4f0d8b317")  # incident ids a `declare` action makes
TIMEOUT = 15.0  # seconds per request to a pager or an update destination (chat and bridges keep their own)
TOPIC_MAX = 250  # characters: Slack's limit on a channel topic, the smallest of the three services


@dataclass
class Context:
    console: Console
    saved: SavedRule
    happened: Happened
    incident_id: str | None  # set by `declare` for an alert rule
    alert: Alert | None
    log: Callable[[str], None] = _log.info


Outcome = tuple[str, str]


def execute(context: Context, position: int, action: Action) -> Outcome:
    handler = _HANDLERS[action.kind]
    if context.incident_id is None and action.kind != "declare":
        return SKIPPED, "there is no incident: the rule's declare did not run"
    try:
        fields = _filled(context, position)
        return handler(context, fields)
    except _Missing as missing:
        return FAILED, str(missing)
    except (DomainError, StoreError) as problem:
        return FAILED, str(problem)
    except Exception as problem:  # a service's refusal (ChatProblem, BridgeProblem), the network, or a bug
        return FAILED, described(problem)


def described(problem: Exception) -> str:
    """A failure in words: a service's refusal says itself; the network is named; anything else is a bug,
    logged with its traceback."""
    import httpx

    from commander.integrations.bridges.base import BridgeProblem
    from commander.integrations.chat.base import ChatProblem

    if isinstance(problem, ChatProblem | BridgeProblem):
        return str(problem)
    if isinstance(problem, httpx.TimeoutException):
        return "the service did not answer in time: try again when it does"
    if isinstance(problem, httpx.HTTPError):
        return f"the service could not be reached ({type(problem).__name__}): check the network and try again"
    _log.exception("workflow action failed unexpectedly")
    return f"Commander failed unexpectedly ({type(problem).__name__}); it is logged: report it as a bug"


class _Missing(Exception):
    """What an action needs is not there (no channel yet, a template that cannot be filled in)."""


def _filled(context: Context, position: int) -> Mapping[str, Any]:
    planned = matching.plan(context.saved, context.happened.id, variables(context))[position - 1]
    if planned.problem:
        raise _Missing(f"a template could not be filled in: {planned.problem}")
    return planned.fields


def variables(context: Context) -> dict[str, Any]:
    """What templates see: the incident (once there is one), its roles, its bridge and channel links, and
    the alert's labels."""
    labels = dict(context.alert.labels) if context.alert is not None else {}
    if context.incident_id is None:
        return {"incident": {}, "roles": {}, "bridge": {"url": ""}, "channel": {}, "alert": {"labels": labels}}
    state = context.console.state(context.incident_id)
    values = matching.variables(state, context.console.policy, labels=labels)
    values["bridge"] = {"url": state.bridges[-1].url if state.bridges else ""}
    channel = next(iter(state.channels.values()), None)
    values["channel"] = {"name": channel.name, "url": channel.url} if channel else {}
    return values


# -- writing events ------------------------------------------------------------------------------------


def _declare(context: Context, fields: Mapping[str, Any]) -> Outcome:
    if context.incident_id is not None:
        return SKIPPED, f"the rule already works on {context.console.state(context.incident_id).reference}"
    console = context.console
    incident_id = declared_id(context.saved, context.happened)
    labels = context.alert.labels if context.alert else {}
    services = tuple(fields.get("services") or ((labels["service"],) if labels.get("service") else ()))
    form = Declaration(title=str(fields["title"]), severity=str(fields["severity"]), services=services)
    drafts = decisions.declare(incident_id, form, me=console.me.name, policy=console.policy, now=console.now())
    if context.alert is not None:
        drafts += triage.attached(incident_id, [context.alert])
    console.record(drafts)
    context.incident_id = incident_id
    state = console.state(incident_id)
    return DONE, f"{state.reference} declared: {state.severity} {state.title}"


def declared_id(saved: SavedRule, happened: Happened) -> str:
    """The id of the incident a rule's `declare` makes for a trigger: the same on every console."""
    return str(uuid.uuid5(_INCIDENTS, matching.action_id(saved.rule.name, saved.version, happened.id, 1)))


def _attach_runbook(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app import checklists
    from commander.app.runbooks import library as runbooks
    from commander.domain.runbooks.library import matches

    state = _state(context)
    records = runbooks.library(context.console)
    if fields.get("runbook"):
        record = runbooks.find(context.console, str(fields["runbook"]), records=records)
        chosen = [record]
    else:
        by = fields.get("by", "alertname")
        alerts = [alert.name for alert in state.alerts.values()] if by == "alertname" else []
        services = list(state.services) if by == "service" else []
        chosen = [
            record
            for record in records.values()
            if not record.retired and matches(record.current, services=services, alerts=alerts)
        ]
        if not chosen:
            wanted = ", ".join(alerts or services) or "nothing"
            return SKIPPED, f"no runbook in the library names {wanted}"
    attached = {checklist.runbook for checklist in state.checklists.values() if checklist.detached_at is None}
    fresh = [record for record in chosen if record.id not in attached][:3]
    for record in fresh:
        checklists.attach_checklist(context.console, state.id, record.current)
    if not fresh:
        return SKIPPED, "its runbook is already attached"
    return DONE, ", ".join(record.current.title for record in fresh)


def _start_timer(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app.updates import timers

    timers.set_timer(context.console, _state(context).id, str(fields["label"]), float(fields["minutes"]))
    return DONE, f"{fields['label']} in {fields['minutes']} min"


def _assign_role(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app import roles

    state = _state(context)
    found = people_for(context, [str(fields["who"])])
    person = found[0] if found else None
    if person is None:
        return SKIPPED, f"nobody is {fields['who']} now"
    roles.assign(context.console, state.id, str(fields["role"]), person)
    role = context.console.policy.role(str(fields["role"]))
    return DONE, f"{person} is {role.name if role else fields['role']}"


def people_for(context: Context, who: list[str]) -> list[str]:
    """Names for `who` entries: "oncall:SCHEDULE" is whoever is on call there now, "role:KEY" the role's
    holder, anything else a person's name. Entries that name nobody now are left out."""
    from commander.app import oncall

    state = _state(context)
    found: list[str] = []
    for item in who:
        kind, _, name = item.partition(":")
        if kind == "oncall" and name:
            found += [now.person for now in oncall.now(context.console, name) if now.person]
        elif kind == "role" and name:
            slot = state.roles.get(name)
            if slot is not None and slot.holder:
                found.append(slot.holder)
        elif item.strip():
            found.append(item.strip())
    return list(dict.fromkeys(found))


# -- reaching services ---------------------------------------------------------------------------------


def _create_channel(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app import chat

    state, via = _state(context), str(fields["via"])
    if via in state.channels and not state.channels[via].archived:
        return SKIPPED, f"the incident already has a channel in {via}: #{state.channels[via].name}"
    service = chat.service(context.console, via)
    made = chat.call(
        context.console, lambda client: service.create_channel(client, str(fields["name"]), topic=topic(state))
    )
    _record(context, heard.channel_created(state.id, via, service.kind, made.id, made.name, made.url))
    return DONE, f"#{made.name}" + (f" {made.url}" if made.url else "")


def _invite(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app import chat, people

    state, via = _state(context), str(fields["via"])
    channel = _channel(state, via)
    service = chat.service(context.console, via)
    names = people_for(context, list(fields["who"]))
    ids: dict[str, str] = {}
    unknown: list[str] = []
    for name in names:
        user = people.chat_user(context.console, name, via, service)
        if user:
            ids[user] = name
        else:
            unknown.append(name)
    failed = chat.call(context.console, lambda client: service.invite(client, channel, list(ids))) if ids else []
    invited = [name for user, name in ids.items() if user not in failed]
    missing = unknown + [ids[user] for user in failed if user in ids]
    said = f"invited {', '.join(invited) or 'nobody'}"
    if missing:
        said += f"; not invited: {', '.join(missing)} (no chat account found: `commander person set NAME --email …`)"
    return (DONE if invited or not names else FAILED), said


def _post(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app import chat

    state, via = _state(context), str(fields["via"])
    channel = _channel(state, via)
    service = chat.service(context.console, via)
    run = matching.action_id(context.saved.rule.name, context.saved.version, context.happened.id, 0)
    key = str(uuid.uuid5(_INCIDENTS, f"{run}/{fields['text']}"))  # the same post of the same run: one message
    chat.call(context.console, lambda client: service.post(client, channel, str(fields["text"]), key=key))
    return DONE, f"posted in #{state.channels[via].name}"


def _start_bridge(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app import bridges

    state, via = _state(context), str(fields["via"])
    bridge = bridges.start(context.console, via, f"{state.reference} {state.severity} {state.title}")
    kind = bridges.bridges(context.console)[via].kind
    _record(context, heard.bridge_started(state.id, via, kind, bridge.url, bridge.id, bridge.details))
    return DONE, bridge.url


def _page(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app import paging

    state = _state(context)
    service = service_for_policy(context.console, str(fields["policy"]), state.services)
    dispatch = paging.page_service(context.console, state.id, service, None, context.console.secrets)
    outcomes = paging.run(context.console, dispatch, timeout=TIMEOUT)
    failed = [outcome.detail for outcome in outcomes if outcome.state == "failed"]
    if failed:
        return FAILED, "; ".join(failed)
    return DONE, f"paged {service} through {fields['policy']}"


def service_for_policy(console: Console, name: str, services: Sequence[str]) -> str:
    """The service to page through the escalation policy `name` (a page's run escalates by its service's
    route): the incident's own service routed to it first, then any service routed to it. A rule may name
    a service instead of a policy; that works too."""
    from commander.app import oncall

    found = oncall.settings(console)
    policy = None
    try:
        policy = found.policy(name)
    except DomainError:
        if name.strip().casefold() in found.routes:
            return found.routes[name.strip().casefold()][0]
        raise
    routed = [svc for svc, wanted in found.routes.values() if wanted.casefold() == policy.name.casefold()]
    mine = [svc for svc in routed if svc.casefold() in {s.casefold() for s in services}]
    if mine or routed:
        return (mine or routed)[0]
    raise _Missing(
        f"no service is routed to the escalation policy {policy.name}, and a page escalates by its service: "
        f"add one under services: in the on-call file (`commander escalation route SERVICE '{policy.name}'`)"
    )


def _send_update(context: Context, fields: Mapping[str, Any]) -> Outcome:
    from commander.app.updates import publishing

    state = _state(context)
    names = list(fields["to"])
    outcomes = publishing.send_update(
        context.console, state.id, str(fields["template"]), names, context.console.secrets, timeout=TIMEOUT
    )
    failed = {name: outcome.detail for name, outcome in outcomes.items() if outcome.state != "delivered"}
    if failed:
        return FAILED, "; ".join(f"{name}: {detail or 'not delivered'}" for name, detail in failed.items())
    return DONE, f"sent to {', '.join(names)}"


_HANDLERS: dict[str, Callable[[Context, Mapping[str, Any]], Outcome]] = {
    "declare": _declare,
    "attach-runbook": _attach_runbook,
    "start-timer": _start_timer,
    "assign-role": _assign_role,
    "create-channel": _create_channel,
    "invite": _invite,
    "post": _post,
    "start-bridge": _start_bridge,
    "page": _page,
    "send-update": _send_update,
}


# -- keeping the incident's channels current ------------------------------------------------------------

_KEEPING = uuid.UUID("3e9a7c10-8b2d-4f61-a0d4-5c7e2b9f1a63")
KEEPING_KINDS = frozenset({"severity.changed", "status.changed", "incident.edited"})


def keep_channels(console: Console, event: EventLike, *, log: Callable[[str], None] = _log.info) -> None:
    """After a change of severity, status or title, set each open channel's topic to the incident as it now
    is; when the incident is closed, archive the channels whose workflow asked for it (`archive_on_close`).
    Each is done once across consoles (a claim on the event and the channel); an unreachable shared store
    or service leaves it, logged: the next change sets the topic again."""
    from commander.app import chat, claims

    state = console.state(event.incident_id)
    closing = event.kind == "status.changed" and state.status.value == "closed"
    archiving = _archive_on_close(console) if closing else set()
    for via, channel in list(state.channels.items()):
        if channel.archived:
            continue
        job = "archive" if via in archiving else "topic"
        key = f"{job}:" + str(uuid.uuid5(_KEEPING, f"{event.id}/{via}"))
        try:
            if not claims.claim(console, key).won:
                continue
            service = chat.service(console, via)
            if job == "archive":
                _archive(console, state.id, via, service, channel.channel)
            else:
                _set_topic(console, service, channel.channel, topic(state))
            log(f"channel {job}: incident={state.reference} via={via} channel={channel.name}")
        except claims.Offline as offline:
            log(f"channel {job} left: the shared store is out of reach ({offline})")
        except Exception as problem:  # the service's refusal or the network: the next change tries again
            log(f"channel {job} failed: incident={state.reference} via={via}: {described(problem)}")


def _archive(console: Console, incident_id: str, via: str, service: ChatService, channel: str) -> None:
    from commander.app import chat

    async def go(client: Any) -> None:
        await service.archive(client, channel)

    chat.call(console, go)
    draft = heard.channel_archived(incident_id, via, channel)
    console.perform(incident_id, lambda _state: [draft])


def _set_topic(console: Console, service: ChatService, channel: str, text: str) -> None:
    from commander.app import chat

    async def go(client: Any) -> None:
        await service.set_topic(client, channel, text)

    chat.call(console, go)


@dataclass(frozen=True)
class EventLike:
    id: str
    kind: str
    incident_id: str


def _archive_on_close(console: Console) -> set[str]:
    from commander.domain.workflows import kinds as rule_kinds

    rules = rule_kinds.fold_rules(console.reads.stream(rule_kinds.STREAM), console.policy).values()
    return {
        str(action.fields["via"])
        for saved in rules
        for action in saved.rule.actions
        if action.kind == "create-channel" and action.fields.get("archive_on_close")
    }


# -- shared pieces -------------------------------------------------------------------------------------


def topic(state: IncidentState) -> str:
    """A channel's topic: the incident's reference, severity, status and title, within Slack's limit."""
    text = f"{state.reference} · {state.severity} · {state.status.value} · {state.title}"
    return text if len(text) <= TOPIC_MAX else text[: TOPIC_MAX - 1] + "…"


def _state(context: Context) -> IncidentState:
    assert context.incident_id is not None
    return context.console.state(context.incident_id)


def _channel(state: IncidentState, via: str) -> str:
    found = state.channels.get(via)
    if found is None or found.archived:
        raise _Missing(f"the incident has no channel in {via} yet: a create-channel action must come first")
    return found.channel


def _record(context: Context, draft: EventDraft) -> None:
    assert context.incident_id is not None
    context.console.perform(context.incident_id, lambda _state: [draft])
