"""The postmortem event kinds, in "postmortem:<incident id>" (commander/domain/postmortem/record.py folds
them), and the team's postmortem templates in "settings:postmortem_templates". None belongs to the incident's
state or its timeline."""

from __future__ import annotations

from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, register
from commander.domain.core.schema import (
    ID,
    LONG,
    MANY,
    PAYLOAD_SIZE,
    a_line,
    a_long_text,
    a_name,
    an_id,
    day_or_empty,
    record,
    text,
    text_map,
    texts,
)

KINDS = register(
    EventKind(
        "postmortem.drafted",
        record(
            {
                "incident": an_id,
                "template": a_line,
                "sections": text_map(key=100, value=LONG, most=64, total=PAYLOAD_SIZE),
            }
        ),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind(
        "postmortem.section",
        record({"section": text(100), "text": a_long_text, "base": an_id}, {"resolved": texts(ID, MANY)}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind(
        "postmortem.meta",
        record({}, {"owner": a_line, "meeting": day_or_empty, "status": a_line}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind("postmortem.published", record({}), NOT_FOLDED, NOT_SHOWN),
    EventKind(
        "postmortem.template_saved",
        record({"key": a_name, "name": a_line, "body": a_long_text}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind("postmortem.template_removed", record({"key": a_line}), NOT_FOLDED, NOT_SHOWN),
)
