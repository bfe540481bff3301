"""The bridge settings event kinds, in "settings:bridges": a bridge added (its kind and settings, never its
secret) and removed."""

from __future__ import annotations

from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, register
from commander.domain.core.schema import a_line, a_name, options, record

SETTINGS_KINDS = register(
    EventKind("bridge.added", record({"name": a_name, "kind": a_line, "options": options}), NOT_FOLDED, NOT_SHOWN),
    EventKind("bridge.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
)
