"""The registry of event kinds: each kind is declared once, in its feature's `kinds` module, with the three
things the rest of the domain needs to know about it.

- its payload schema (commander/domain/core/schema.py), checked on every write, pull and fold;
- how it folds into the incident's state, or NOT_FOLDED (settings, runbooks, postmortems, outcomes only
  the timeline shows);
- how the timeline shows it: a `Shown` line, an `Amends` of an existing entry, or NOT_SHOWN.

A feature calls `register` at import; commander/domain/registry.py imports every feature's kinds module and
the `commander.domain` package imports it, so the tables below are complete before any event is read. The
core names neither the incident state nor the timeline view (they live in features that import the core):
a fold takes the incident's state and an event, a description takes the event and the timeline's context
(commander/domain/timeline/context.py), and each feature's handlers are typed with the real classes.

A change to a fold or to a kind's words, or a new kind that folds or shows (a snapshot made before counted
its events, written by a newer console, without folding them), changes what an incident snapshot holds:
bump FOLD_VERSION (commander/domain/incident/snapshot.py) with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Final, Literal

from commander.domain.core.events import SCHEMAS, Event
from commander.domain.core.schema import Check

Fold = Callable[[Any, Event], None]  # (the incident's state, the event): changes the state in place
Describe = Callable[[Event, Any], str]  # (the event, the timeline's context): the entry's words
Amend = Callable[[Any, Event, str], None]  # (the entry it changes, the event, "09:14 Alex"): changes it


class Skipped(Enum):
    """The explicit "no" of a kind's declaration, so a kind that forgot its fold or its line cannot pass."""

    NOT_FOLDED = "not folded into the incident's state"
    NOT_SHOWN = "not shown on the timeline"


NOT_FOLDED: Final = Skipped.NOT_FOLDED
NOT_SHOWN: Final = Skipped.NOT_SHOWN


@dataclass(frozen=True, slots=True)
class Shown:
    """A kind that adds an entry to the timeline."""

    category: str  # the filter it belongs to (timeline.entries.CATEGORY_LABELS)
    describe: Describe
    # True: described from the state as it was just before the event is folded (a handoff's duration);
    # otherwise after, so a description can name what the event changed.
    before_fold: bool = False
    # Where the entry sits, when not at the event's occurred_at ("09:12 detected", set later).
    at: Callable[[Event], datetime] | None = None
    note: bool = False  # the entry is a note, which later events edit, delete and restore
    # Who the entry names, when it is not the event's actor (a chat message: its author, not the console
    # that heard it).
    actor: Callable[[Event], str] | None = None


@dataclass(frozen=True, slots=True)
class Amends:
    """A kind that changes an existing entry (an edit, a pin) instead of adding one."""

    target: str  # the payload field that holds the id of the entry it changes
    amend: Amend


@dataclass(frozen=True, slots=True)
class EventKind:
    name: str  # "note.added": a dotted verb in the past tense
    schema: Check
    fold: Fold | Literal[Skipped.NOT_FOLDED]
    timeline: Shown | Amends | Literal[Skipped.NOT_SHOWN]


# The registry and the tables read from it, all written only by `register`. Plain dictionaries rather than
# read-only views: a 50,000-event fold probes FOLDS and SHOWN once an event, and a view's lookup costs twice
# a dictionary's.
KINDS: dict[str, EventKind] = {}
FOLDS: dict[str, Fold] = {}
SHOWN: dict[str, Shown] = {}
AMENDS: dict[str, Amends] = {}  # the kinds that change an existing entry instead of adding one
CATEGORIES: dict[str, str] = {}  # each shown kind's timeline category


def register(*kinds: EventKind) -> tuple[str, ...]:
    """Add a feature's kinds to the registry and return their names. A kind declared twice is a bug: the
    second declaration would silently replace the first's schema or fold."""
    for kind in kinds:
        if kind.name in KINDS:
            raise ValueError(f"the event kind {kind.name} is declared twice")
        KINDS[kind.name] = kind
        SCHEMAS[kind.name] = kind.schema
        if kind.fold is not NOT_FOLDED:
            FOLDS[kind.name] = kind.fold
        if isinstance(kind.timeline, Shown):
            SHOWN[kind.name] = kind.timeline
            CATEGORIES[kind.name] = kind.timeline.category
        elif isinstance(kind.timeline, Amends):
            AMENDS[kind.name] = kind.timeline
    return tuple(kind.name for kind in kinds)
