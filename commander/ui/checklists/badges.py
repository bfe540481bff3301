"""What the runbook library says of each checklist's runbook now: stale, retired, or a newer version out.
The panel shows it as chips beside the checklist's title; a library it cannot read leaves them off."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from commander.app.console import Console
from commander.domain.checklists.state import Checklist
from commander.domain.core.errors import DomainError
from commander.store.errors import StoreError

log = logging.getLogger(__name__)


def library_badges(console: Console, checklists: Sequence[Checklist]) -> dict[str, list[tuple[str, str]]]:
    """Per checklist, what the library says of its runbook now: (word on the chip, sentence for the tooltip)."""
    if not any(c.runbook for c in checklists):
        return {}
    from commander.app.runbooks import library as runbooks  # loaded with the first runbook checklist

    try:
        records = runbooks.library(console)
    except (DomainError, StoreError) as error:
        log.warning("Runbook library unreadable, checklists shown without freshness: %s", error)
        return {}
    days = runbooks.stale_days(console)
    now = console.now()
    badges: dict[str, list[tuple[str, str]]] = {}
    for checklist in checklists:
        record = records.get(checklist.runbook)
        if record is None:
            continue
        words = badges.setdefault(checklist.id, [])
        current = record.current
        if record.retired:
            words.append(
                ("retired", "The runbook has been retired from the library: check each step before you run it.")
            )
        elif current.stale(now, days):
            reviewed = (
                f"last reviewed {current.reviewed_at:%d %b %Y}"
                if current.reviewed_at
                else f"changed in git {current.changed_at:%d %b %Y}"
                if current.changed_at
                else "never reviewed"
            )
            words.append(
                (
                    "stale",
                    f"The runbook is stale ({reviewed}; reviews are due every {days} days): "
                    f"check each step against what you see.",
                )
            )
        if current.version > checklist.version:
            words.append(
                (
                    f"v{current.version} out",
                    f"The library has version {current.version}; this checklist "
                    f"was made from version {checklist.version}.",
                )
            )
    return badges
