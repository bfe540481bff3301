"""Deciding a published update's events: queueing it for destinations, and recording what each delivery
came to (delivered, or failed with the reason). Used with Console.perform, like every incident decision.

A delivery is keyed by its `update.queued` event's id: the same across retries and restarts, so the
delivered or failed event that closes it names it. Nothing is sent here; the app sends between the two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.incident.state import IncidentState


@dataclass(frozen=True)
class Result:
    """What one delivery came to: delivered, or failed with a reason a person can act on."""

    delivery: str  # the update.queued event's id
    destination: str
    delivered: bool
    reason: str = ""
    remote_id: str | None = None  # what the destination made (a status page's incident), when delivered
    shortened: tuple[int, int] | None = None  # (characters sent, characters in the update) when the service cut it


def queue(state: IncidentState, destinations: Sequence[str], template: str, text: str) -> list[EventDraft]:
    """One `update.queued` per destination, written before anything leaves: a crash mid-send then leaves
    "queued" on the timeline, never silence."""
    _check_declared(state)
    stream = incident_stream(state.id)
    return [
        EventDraft(stream, "update.queued", {"destination": name, "template": template, "text": text})
        for name in destinations
    ]


def record(state: IncidentState, results: Iterable[Result]) -> list[EventDraft]:
    """An `update.delivered` or `update.failed` per result."""
    _check_declared(state)
    stream = incident_stream(state.id)
    drafts = []
    for result in results:
        if result.delivered:
            payload: dict[str, object] = {
                "delivery": result.delivery,
                "destination": result.destination,
                "remote_id": result.remote_id,
            }
            if result.shortened:  # the service's limit cut it: the timeline says how much went
                payload["shortened"] = list(result.shortened)
            drafts.append(EventDraft(stream, "update.delivered", payload))
        else:
            drafts.append(
                EventDraft(
                    stream,
                    "update.failed",
                    {"delivery": result.delivery, "destination": result.destination, "reason": result.reason},
                )
            )
    return drafts


def _check_declared(state: IncidentState) -> None:
    if not state.declared:
        raise DomainError(f"There is no incident {state.reference} to send an update about.")
