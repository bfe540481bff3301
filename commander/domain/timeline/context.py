"""What a kind's timeline description may read (commander/domain/core/kinds.py `Shown.describe`).

A small protocol rather than the timeline view itself, so the features that describe their kinds depend on
the incident's state and the policy only, not on how the timeline keeps its entries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from commander.domain.core.policy import Policy
from commander.domain.incident.state import IncidentState

TimeFormat = Callable[[datetime], str]


class Context(Protocol):
    """The incident folded up to the event (or, for a kind described before its fold, up to the one before
    it), the policy its severities and roles are named by, and how this console shows a time."""

    @property
    def state(self) -> IncidentState: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def time_format(self) -> TimeFormat: ...
