"""The demo: a believable SEV1 in progress, a quieter SEV3 beside it, and a resolved SEV2 in history.

Every change goes through the real decisions (commander.domain.incident.decisions), so the demo obeys the same
rules as a person at the keyboard. Each change is stamped as the person who made it, from their own
console, at the moment it happened in the story: the timeline then reads like several people wrote it
over forty minutes instead of one script in one second. The whole demo is appended in one transaction
(all of it or none of it), through Console.ingest, the path events from other consoles take.
Running it again adds another set of incidents with new ids and references.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commander.app.console import Console
from commander.domain.core.clock import HybridClock, to_ms
from commander.domain.core.events import Actor, Event, EventDraft, validate_payload
from commander.domain.core.ids import new_id
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentState
from commander.domain.timeline.entries import IncidentView
from commander.domain.updates import timers

_NAMESPACE = uuid.UUID("6f1c7e52-1d1b-4c55-9a38-3d6f0a0e4b21")  # stable ids for the demo's people
_CAST = ("Priya Shah", "Sam Okafor", "Kim Larsen", "Jordan Reyes", "Dana Novak", "Lee Chen")
_STAND_IN = "Morgan Diaz"  # takes the console user's part when their name is already in the cast

Decide = Callable[[IncidentState], list[EventDraft]]


@dataclass
class _Scene:
    """One incident's history being written: decisions run against a private view of it."""

    console: Console
    view: IncidentView
    at: datetime
    origins: dict[str, str]  # actor id -> the console they write from
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The story's clock: stamps follow the story's times, so the log order matches the timeline.
        self.clock = HybridClock(physical=lambda: to_ms(self.at))

    def act(self, person: Actor, at: datetime, decide: Decide) -> list[Event]:
        self.at = at
        stamped = []
        for draft in decide(self.view.state):
            validate_payload(draft.kind, draft.payload)
            stamped.append(
                Event(
                    id=new_id(to_ms(at)),
                    stream=draft.stream,
                    kind=draft.kind,
                    payload=dict(draft.payload),
                    actor=person,
                    hlc=self.clock.now(),
                    occurred_at=draft.occurred_at or at,
                    recorded_at=at,
                    origin=self.origins[person.id],
                )
            )
        self.view.apply(stamped)
        self.events += stamped
        return stamped

    def note(self, person: Actor, at: datetime, text: str, *, pinned: bool = False) -> str:
        return self.act(person, at, lambda s: decisions.add_note(s, text, now=at, pinned=pinned))[0].id


def demo_incidents(console: Console, now: datetime | None = None) -> list[IncidentState]:
    """Write the demo incidents; returns them as [SEV1 in progress, SEV3 open, SEV2 resolved]."""
    now = now or console.now()
    people = {name: _person(name) for name in _CAST}
    # The console's user takes over as Incident Commander in the SEV1, writing from this console.
    in_cast = console.me.name.casefold() in {name.casefold() for name in _CAST}
    you = _person(_STAND_IN) if in_cast else console.me
    origins = {p.id: str(uuid.uuid5(_NAMESPACE, "console:" + p.id)) for p in [*people.values(), you]}
    if you is console.me:
        origins[you.id] = console.console_id
    scenes = [
        _checkout(console, now, origins, people, you),
        _search(console, now, origins, people),
        _email(console, now, origins, people),
    ]
    console.ingest([event for scene in scenes for event in scene.events])
    return [console.state(scene.view.incident_id) for scene in scenes]


def _person(name: str) -> Actor:
    return Actor(str(uuid.uuid5(_NAMESPACE, name)), name)


def _story_time(base: datetime, minutes: float) -> datetime:
    """`base` moved by whole minutes plus a few seconds, so times do not all share one seconds value.

    The extra seconds (under 30) keep the story's order: its steps are at least 30 seconds apart.
    """
    seconds = round(minutes * 60)
    return base + timedelta(seconds=seconds - 29 + (seconds * 7919) % 29)


def _start(console: Console, at: datetime, origins: dict[str, str]) -> _Scene:
    return _Scene(console, IncidentView(new_id(to_ms(at)), console.policy), at, origins)


def _checkout(console: Console, now: datetime, origins: dict[str, str], people: dict[str, Actor], you: Actor) -> _Scene:
    priya, sam, kim, jordan = (people[n] for n in ("Priya Shah", "Sam Okafor", "Kim Larsen", "Jordan Reyes"))

    def t(minutes: float) -> datetime:
        return _story_time(now, -minutes)

    def clock(moment: datetime) -> str:
        return moment.astimezone(console.zone).strftime("%H:%M")

    policy = console.policy
    detected = t(40)
    scene = _start(console, t(37), origins)
    form = decisions.Declaration(
        title="Checkout API returning 502s",
        severity="SEV2",
        services=("checkout-api", "payments-gateway", "ingress"),
        summary="About 30% of checkout requests fail with 502 Bad Gateway in every region; "
        "customers cannot complete payment.",
        detected_at=detected,
        commander=priya.name,
    )
    incident_id = scene.view.incident_id
    scene.act(priya, t(37), lambda _: decisions.declare(incident_id, form, me=priya.name, policy=policy, now=t(37)))
    scene.note(
        priya,
        t(36),
        "Paged by checkout-api-5xx: 502 rate 31%, error budget burning at 14x. "
        "Dashboard: https://grafana.example.com/d/checkout-api/overview?orgId=1&from=now-1h",
    )
    scene.act(priya, t(35), lambda s: decisions.assign_role(s, "TL", sam.name, policy=policy))
    scene.note(
        sam, t(34), "Ingress logs show upstream connection resets; checkout-api pods are restarting with OOMKilled."
    )
    scene.act(
        priya,
        t(33),
        lambda s: decisions.change_severity(
            s, "SEV1", policy=policy, reason="502s on 45% of checkouts in every region; payments are failing."
        ),
    )
    scene.act(priya, t(32), lambda s: decisions.assign_role(s, "comms", kim.name, policy=policy))
    scene.act(priya, t(31), lambda s: decisions.assign_role(s, "scribe", jordan.name, policy=policy))
    scene.act(
        kim,
        t(30),
        lambda s: timers.record_update(s, "status page, #inc-checkout", "Investigating errors at checkout.", now=t(30)),
    )
    deployed = clock(detected - timedelta(minutes=4))
    deploy = scene.note(
        sam,
        t(28),
        f"checkout-api v2.31 finished deploying at {deployed}, "
        f"four minutes before the first 502s. v2.31 doubles the cart cache size.",
    )
    scene.act(jordan, t(27), lambda s: decisions.pin(s, deploy, True))
    scene.note(priya, t(26.5), f"Handing IC to {you.name}; I am pairing with Sam on the rollback.")
    scene.act(priya, t(26), lambda s: decisions.assign_role(s, "IC", you.name, policy=policy))
    scene.act(
        you,
        t(25),
        lambda s: decisions.change_status(
            s, "identified", now=t(25), reason="Memory regression in checkout-api v2.31 (cart cache)."
        ),
    )
    scene.note(
        you, t(24), "Decision: roll back checkout-api to v2.30 now, root cause after mitigation. Sam runs the rollback."
    )
    scene.note(sam, t(23), "Rolling back checkout-api to v2.30 (change CHG-4821).")
    scene.note(sam, t(16), "Rolled back v2.31 — 502 rate falling", pinned=True)
    scene.act(
        kim,
        t(15),
        lambda s: timers.record_update(
            s, "status page, #inc-checkout", "Fix in progress; next update in 15 minutes.", now=t(15)
        ),
    )
    figures = scene.note(jordan, t(12), "502 rate 0.4% and falling; p99 latency back to 310 ms.")
    scene.act(
        jordan,
        t(11),
        lambda s: decisions.edit_note(
            s, figures, "502 rate 0.04% and falling; p99 latency back to 310 ms (baseline 290 ms)."
        ),
    )
    scene.act(
        you,
        t(10),
        lambda s: decisions.change_status(
            s, "mitigated", now=t(10), reason="Rollback complete; error rate back to baseline."
        ),
    )
    scene.note(
        you,
        t(8),
        "Holding at mitigated for 30 minutes of monitoring before resolving.\n"
        "Follow-ups: memory alert on checkout-api; canary step for cache-size changes.",
    )
    scene.act(
        kim,
        t(5),
        lambda s: timers.record_update(
            s, "status page, #inc-checkout, executives", "Mitigated, monitoring. Next update in 15 minutes.", now=t(5)
        ),
    )
    return scene


def _search(console: Console, now: datetime, origins: dict[str, str], people: dict[str, Actor]) -> _Scene:
    dana, lee = people["Dana Novak"], people["Lee Chen"]

    def t(minutes: float) -> datetime:
        return _story_time(now, -minutes)

    policy = console.policy
    scene = _start(console, t(18), origins)
    form = decisions.Declaration(
        title="Search results slow in eu-west",
        severity="SEV3",
        services=("search-api",),
        summary="Search takes 2 to 4 seconds in eu-west (normally under 400 ms). Results are correct.",
        detected_at=t(22),
    )
    incident_id = scene.view.incident_id
    scene.act(dana, t(18), lambda _: decisions.declare(incident_id, form, me=dana.name, policy=policy, now=t(18)))
    scene.act(dana, t(17), lambda s: decisions.assign_role(s, "technical_lead", lee.name, policy=policy))
    scene.note(lee, t(14), "es-eu-west-3 is in long GC pauses; its search queue is four times the others'.")
    scene.note(lee, t(6), "Moved two hot shards off es-eu-west-3; watching p95.")
    return scene


def _email(console: Console, now: datetime, origins: dict[str, str], people: dict[str, Actor]) -> _Scene:
    jordan, priya, kim = people["Jordan Reyes"], people["Priya Shah"], people["Kim Larsen"]
    start = now - timedelta(days=3, hours=2)

    def t(minutes: float) -> datetime:
        return _story_time(start, minutes)

    policy = console.policy
    scene = _start(console, t(6), origins)
    form = decisions.Declaration(
        title="Password reset emails delayed",
        severity="SEV2",
        services=("notifications", "email-relay"),
        summary="Password reset and sign-up emails arrive 20 to 40 minutes late.",
        detected_at=t(0),
    )
    incident_id = scene.view.incident_id
    scene.act(jordan, t(6), lambda _: decisions.declare(incident_id, form, me=jordan.name, policy=policy, now=t(6)))
    scene.act(jordan, t(8), lambda s: decisions.assign_role(s, "TL", priya.name, policy=policy))
    scene.act(jordan, t(9), lambda s: decisions.assign_role(s, "comms", kim.name, policy=policy))
    scene.note(priya, t(14), "The primary email provider reports degraded delivery on its status page.")
    scene.act(
        jordan,
        t(20),
        lambda s: decisions.change_status(s, "identified", now=t(20), reason="Delivery delay at the email provider."),
    )
    scene.note(priya, t(25), "Switched email-relay to the secondary provider; queue draining.", pinned=True)
    scene.act(
        jordan,
        t(41),
        lambda s: decisions.change_status(
            s, "mitigated", now=t(41), reason="Queue drained; new emails arrive within a minute."
        ),
    )
    scene.note(kim, t(45), "Status page updated: emails delivered normally again.")
    scene.act(
        jordan,
        t(70),
        lambda s: decisions.change_status(
            s, "resolved", now=t(70), reason="Primary provider recovered; switched back to it."
        ),
    )
    return scene
