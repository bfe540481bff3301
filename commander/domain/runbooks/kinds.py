"""The runbook library's event kinds, in "runbook:<id>": every save is a whole version; suggestions made
from an incident's checklist (a suggestion's id is its runbook.suggested event's id). The library folds
them itself (commander/domain/runbooks/library.py); none belongs to an incident or its timeline."""

from __future__ import annotations

from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, register
from commander.domain.core.schema import (
    LINE,
    PAYLOAD_SIZE,
    TEXT,
    Check,
    a_line,
    a_long_text,
    a_text,
    all_of,
    an_address,
    an_id,
    boolean,
    day_or_empty,
    items,
    json_value,
    moment,
    nullable,
    one_of,
    record,
    text,
    texts,
)


def _runbook_step(depth: int) -> Check:
    """A runbook step (library._step_from): a text, or an object with a text and sub-steps, nested at most
    `depth` deep so reading it can never recurse without end."""
    children = items(_runbook_step(depth - 1), 5_000) if depth > 1 else items(a_text, 0)
    return one_of(
        text(TEXT, empty=False),
        record(
            {"text": a_text},
            {
                "kind": nullable(a_line),
                "command": nullable(an_address),
                "link": nullable(an_address),
                "steps": nullable(children),
            },
        ),
    )


_RUNBOOK = all_of(
    json_value(depth=24, size=PAYLOAD_SIZE),
    record(
        {},
        {
            "title": nullable(a_line),
            "summary": nullable(a_text),
            "owner": nullable(a_line),
            "services": nullable(texts(LINE, 5_000)),
            "alerts": nullable(texts(LINE, 5_000)),
            "tags": nullable(texts(LINE, 5_000)),
            "contacts": nullable(texts(LINE, 5_000)),
            "reviewed_at": one_of(nullable(moment), day_or_empty),
            "links": nullable(items(record({"url": an_address}, {"label": nullable(a_text)}), 5_000)),
            "sections": nullable(
                items(
                    record(
                        {},
                        {
                            "title": nullable(a_text),
                            "context": nullable(a_long_text),
                            "steps": nullable(items(_runbook_step(10), 5_000)),
                        },
                    ),
                    5_000,
                )
            ),
        },
    ),
)

KINDS = register(
    EventKind(
        "runbook.saved",
        record({"runbook": an_id, "content": _RUNBOOK, "digest": a_line, "source": an_address}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind("runbook.reviewed", record({"runbook": an_id, "note": a_text}), NOT_FOLDED, NOT_SHOWN),
    EventKind("runbook.retired", record({"runbook": an_id}), NOT_FOLDED, NOT_SHOWN),
    EventKind(
        "runbook.suggested",
        record(
            {
                "runbook": an_id,
                "version_id": an_id,
                "step": an_id,
                "text": a_text,
                "incident": an_id,
                "reference": a_line,
            }
        ),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind(
        "runbook.suggestion_closed",
        record({"suggestion": an_id, "accepted": boolean, "note": a_text}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
)
