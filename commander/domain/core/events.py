"""The event: the one immutable record of every change anyone makes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from commander.domain.core.errors import DomainError
from commander.domain.core.schema import PAYLOAD_SIZE, Check, json_value


class Actor(NamedTuple):
    """Who did it: a stable id and the name people see."""

    id: str
    name: str


# Events and actors are named tuples rather than frozen dataclasses: just as immutable, and five times
# cheaper to build, which is what opening an incident with 50,000 events spends its time on.
class Event(NamedTuple):
    id: str
    stream: str
    kind: str
    payload: Mapping[str, Any]
    actor: Actor
    hlc: int
    occurred_at: datetime
    recorded_at: datetime
    origin: str
    # The database login that wrote the row, as the shared store's trigger recorded it (PostgreSQL only);
    # None for events written here or read from a store that has no logins. Never part of the order.
    login: str | None = None

    @property
    def order(self) -> tuple[int, str, str]:
        """The total order of the log: hybrid clock, then console, then id."""
        return (self.hlc, self.origin, self.id)


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What a decision produces; the writer stamps id, clock, actor and origin."""

    stream: str
    kind: str
    payload: Mapping[str, Any]
    occurred_at: datetime | None = None  # None: now. A person may backdate.
    # Set when every console must write the same event for the same fact (an update falling overdue):
    # the store keeps one, whichever console notices first.
    id: str | None = None


def incident_stream(incident_id: str) -> str:
    return f"incident:{incident_id}"


def stream_entity(stream: str) -> tuple[str, str]:
    kind, _, entity = stream.partition(":")
    return kind, entity


# -- payload schemas --------------------------------------------------------------------------------
# One declared schema per kind, in its feature's kinds module (registered through commander/domain/core/kinds.py,
# which fills SCHEMAS), checked on every local write, on every row pulled from the shared store
# (commander/domain/core/trust.py) and before every fold (`well_formed`). A payload that passes can be folded
# without a fold raising: every field a fold reads is declared with its type and bounds. Fields a newer
# console adds are allowed within bounds; kinds this version does not know are accepted (a newer console may
# write them) when their payload is a JSON object of bounded size and depth.

SCHEMAS: dict[str, Check] = {}  # every registered kind's payload schema; written only by kinds.register
PAYLOADS = SCHEMAS  # the name other modules know the declared kinds by
_UNKNOWN = json_value(depth=16, size=PAYLOAD_SIZE)


def payload_problem(kind: str, payload: Any) -> str | None:
    """What is wrong with this payload for its kind, in words, or None when nothing is."""
    schema = SCHEMAS.get(kind)
    if schema is not None:
        return schema(payload)
    if not isinstance(payload, Mapping):
        return "is not an object"
    return _UNKNOWN(dict(payload))


def validate_payload(kind: str, payload: Mapping[str, Any]) -> None:
    """Raise DomainError, naming the kind and the field, when the payload does not fit its kind's schema."""
    problem = payload_problem(kind, payload)
    if problem is None:
        return
    shown = kind if len(kind) <= 60 else kind[:59] + "…"
    if not isinstance(payload, Mapping):
        raise DomainError(f"The {shown} event has no payload object.")
    if problem.startswith("'"):
        field, _, why = problem[1:].partition("' ")
        detail = "" if why == "is missing" else f": it {why}"
        raise DomainError(f"The {shown} event's payload is missing a valid '{field}'{detail}.")
    raise DomainError(f"The {shown} event's payload {problem}.")


def well_formed(event: Event) -> bool:
    """True when the event's payload fits its kind: the folds skip an event that does not (one written
    before its row could be checked, or by a console with a bug) instead of raising on it."""
    schema = SCHEMAS.get(event.kind)
    return (schema(event.payload) if schema is not None else payload_problem(event.kind, event.payload)) is None
