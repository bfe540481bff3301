"""The pieces event payload schemas are declared with (each feature's kinds module declares its kinds').

A check takes a value and returns None when it is fine, or a few words saying what is wrong with it
("is longer than 500 characters"). Returning words instead of raising keeps the common path cheap: an
incident of 50,000 events is checked on every pull and before every fold, so a note must cost a
microsecond or two, not an exception's worth.

Every check bounds what it accepts (lengths, counts, depth, time range), so a payload that passes can be
folded, shown and copied without a fold raising or a window hanging on megabytes of text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

Check = Callable[[Any], "str | None"]

# The years Commander keeps (as when.py's parse_when): from 1970 up to, not including, 2200.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_EARLIEST_DAY, _LATEST_DAY = EARLIEST.date(), LATEST.date()
_TIME_TEXT_MAX = 40  # "2026-11-28T09:12:00.123456+05:45" is 32


# What each check was declared as ("text", 500, True), so a test can generate payloads that pass a schema
# from the schema itself (tests/domain/incident/test_fold_robustness.py) instead of from a second copy of it.
_DECLARED: dict[Check, tuple[Any, ...]] = {}


def declared(check: Check) -> tuple[Any, ...]:
    """How `check` was declared: its combinator's name, then its arguments."""
    return _DECLARED[check]


def _declare(check: Check, *how: Any) -> Check:
    _DECLARED[check] = how
    return check


def _at(step: str, problem: str) -> str:
    """A problem found inside `step` (a field name, or "[3]"), its path kept in quotes at the front:
    "'sections[2].title' is a whole number, not text"."""
    if problem.startswith("'"):
        inner, _, rest = problem[1:].partition("' ")
        return f"'{step}{'' if inner.startswith('[') else '.'}{inner}' {rest}"
    return f"'{step}' {problem}"


def _shown_type(value: Any) -> str:
    names = {
        str: "text",
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def text(limit: int, *, empty: bool = True) -> Check:
    """A string of at most `limit` characters (`empty`: may be "")."""

    def check(value: Any) -> str | None:
        if type(value) is str and len(value) <= limit and (empty or value):
            return None
        if type(value) is not str:
            return f"is {_shown_type(value)}, not text"
        if not value:
            return "is empty"
        return f"is {len(value):,} characters long, more than {limit:,}"

    return _declare(check, "text", limit, empty)


def nullable(inner: Check) -> Check:
    def check(value: Any) -> str | None:
        return None if value is None else inner(value)

    return _declare(check, "nullable", inner)


def boolean(value: Any) -> str | None:
    return None if value is True or value is False else f"is {_shown_type(value)}, not true or false"


def whole(low: int, high: int) -> Check:
    """An integer (not a boolean) from `low` to `high`."""

    def check(value: Any) -> str | None:
        if type(value) is int and low <= value <= high:
            return None
        if type(value) is not int:
            return f"is {_shown_type(value)}, not a whole number"
        return f"is {value}, outside {low} to {high}"

    return _declare(check, "whole", low, high)


def moment(value: Any) -> str | None:
    """An ISO 8601 time with its zone (as `when.iso` writes it), from 1970 to 2199: what `when.from_iso`
    reads without raising, and what can be shown, compared and added to without overflowing."""
    if type(value) is not str:
        return f"is {_shown_type(value)}, not a time"
    if len(value) > _TIME_TEXT_MAX:
        return "is too long to be a time"
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return f"is {value}, not an ISO 8601 time"
    if parsed.tzinfo is None:
        return f"is {value}, a time without its zone"
    # Aware datetimes compare by their UTC instant without converting, which cannot overflow.
    if not EARLIEST <= parsed < LATEST:
        return f"is {value}, not between 1970 and 2199"
    return None


def day(value: Any) -> str | None:
    """A calendar day, YYYY-MM-DD, from 1970 to 2199."""
    if type(value) is not str:
        return f"is {_shown_type(value)}, not a date"
    if len(value) > _TIME_TEXT_MAX:
        return "is too long to be a date"
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return f"is {value}, not a date (YYYY-MM-DD)"
    if not _EARLIEST_DAY <= parsed < _LATEST_DAY:
        return f"is {value}, not between 1970 and 2199"
    return None


def day_or_empty(value: Any) -> str | None:
    return None if value == "" else day(value)


for _plain in (boolean, moment, day, day_or_empty):
    _declare(_plain, _plain.__name__)


def items(inner: Check, most: int, *, least: int = 0) -> Check:
    """A list of at most `most` items, each passing `inner`."""

    def check(value: Any) -> str | None:
        if type(value) is not list:
            return f"is {_shown_type(value)}, not a list"
        if not least <= len(value) <= most:
            return f"has {len(value):,} items; from {least:,} to {most:,} are allowed"
        for index, item in enumerate(value):
            problem = inner(item)
            if problem is not None:
                return _at(f"[{index}]", problem)
        return None

    return _declare(check, "items", inner, most, least)


def texts(limit: int, most: int) -> Check:
    """A list of at most `most` strings of at most `limit` characters (the common case, kept quick)."""
    listed = items(text(limit), most)

    def check(value: Any) -> str | None:
        if type(value) is list and len(value) <= most and all(type(i) is str and len(i) <= limit for i in value):
            return None
        return listed(value)

    return _declare(check, "texts", limit, most)


def text_map(*, key: int, value: int, most: int, total: int | None = None) -> Check:
    """An object of at most `most` string keys (each at most `key` characters) to strings (each at most
    `value`); with `total`, the values together hold at most that many characters."""

    def check(found: Any) -> str | None:
        if type(found) is not dict:
            return f"is {_shown_type(found)}, not an object of texts"
        if len(found) > most:
            return f"has {len(found):,} entries, more than {most:,}"
        size = 0
        for name, item in found.items():
            if type(name) is not str or len(name) > key:
                return f"has a key longer than {key:,} characters"
            if type(item) is not str:
                return _at(f"[{name[:40]}]", f"is {_shown_type(item)}, not text")
            if len(item) > value:
                return _at(f"[{name[:40]}]", f"is {len(item):,} characters long, more than {value:,}")
            size += len(item)
        if total is not None and size > total:
            return f"holds {size:,} characters in all, more than {total:,}"
        return None

    return _declare(check, "text_map", key, value, most, total)


def json_value(*, depth: int, size: int) -> Check:
    """Any JSON value nested at most `depth` deep, whose strings, keys and items come to at most `size`
    (each item counts 8). Walked without recursion, so depth alone can never exhaust the stack."""

    def check(value: Any) -> str | None:
        budget = size
        stack: list[tuple[Any, int]] = [(value, 0)]
        while stack:
            found, level = stack.pop()
            kind = type(found)
            if kind is str:
                budget -= len(found)
            elif kind is dict:
                if level >= depth:
                    return f"is nested more than {depth} deep"
                budget -= 8 * len(found)
                for name, item in found.items():
                    if type(name) is not str:
                        return "has a key that is not text"
                    budget -= len(name)
                    stack.append((item, level + 1))
            elif kind is list:
                if level >= depth:
                    return f"is nested more than {depth} deep"
                budget -= 8 * len(found)
                stack.extend((item, level + 1) for item in found)
            elif kind is float:
                if not math.isfinite(found):
                    return "holds a number that is not finite"
            elif found is not None and kind is not bool and kind is not int:
                return f"holds {_shown_type(found)}, which JSON cannot"
            if budget < 0:
                return f"is larger than {size:,} characters"
        return None

    return _declare(check, "json_value", depth, size)


def one_of(*checks: Check) -> Check:
    """Passes when any of `checks` does; says what the last one found."""

    def check(value: Any) -> str | None:
        problem = None
        for inner in checks:
            problem = inner(value)
            if problem is None:
                return None
        return problem

    return _declare(check, "one_of", *checks)


def all_of(*checks: Check) -> Check:
    def check(value: Any) -> str | None:
        for inner in checks:
            problem = inner(value)
            if problem is not None:
                return problem
        return None

    return _declare(check, "all_of", *checks)


# Fields a newer console adds to a known kind: allowed (this version ignores them) within these bounds.
EXTRA_FIELDS = 32
_EXTRA = json_value(depth=8, size=100_000)


def record(required: Mapping[str, Check], optional: Mapping[str, Check] | None = None) -> Check:
    """An object with every `required` field, any `optional` ones, and at most EXTRA_FIELDS others of
    bounded size. A problem names the field ("'text' is 12 characters long, …")."""
    needed = tuple(required.items())
    maybe = tuple((optional or {}).items())
    known = frozenset(required) | frozenset(optional or {})
    declared = len(needed)

    def check(value: Any) -> str | None:
        if type(value) is not dict:
            if not isinstance(value, Mapping):
                return f"is {_shown_type(value)}, not an object"
            value = dict(value)
        for name, inner in needed:
            if name not in value:
                return f"'{name}' is missing"
            problem = inner(value[name])
            if problem is not None:
                return _at(name, problem)
        if len(value) == declared:  # the common case: exactly the declared fields
            return None
        for name, inner in maybe:
            if name in value:
                problem = inner(value[name])
                if problem is not None:
                    return _at(name, problem)
        extra = [name for name in value if name not in known]
        if len(extra) > EXTRA_FIELDS:
            return f"has {len(extra)} fields this version does not know, more than {EXTRA_FIELDS}"
        for name in extra:
            if type(name) is not str or len(name) > 100:
                return "has a field whose name is not short text"
            problem = _EXTRA(value[name])
            if problem is not None:
                return _at(name, problem)
        return None

    return _declare(check, "record", dict(required), dict(optional or {}))


def span(start: str, end: str, longest: timedelta) -> Check:
    """Two time fields already checked as `moment`s: `end` after `start`, at most `longest` after it."""

    def check(value: Any) -> str | None:
        begin = datetime.fromisoformat(value[start].replace("Z", "+00:00"))
        finish = datetime.fromisoformat(value[end].replace("Z", "+00:00"))
        if not begin < finish <= begin + longest:
            return f"'{end}' is not after '{start}' within {longest.days} days"
        return None

    return _declare(check, "span", start, end, longest)


# -- bounds and fields every feature's schemas share ------------------------------------------------

ID = 200  # event ids, and the ids payloads refer to (notes, timers, pages, steps, runbooks)
LINE = 500  # titles, names, severities, statuses, roles, keys: one line a person reads
TEXT = 100_000  # notes, summaries, reasons, bodies, rendered updates
LONG = 200_000  # a postmortem section (postmortem.SECTION_MAX), a postmortem template
ADDRESS = 10_000  # web addresses, file paths, commands
MANY = 1_000  # list lengths: services, matchers, targets, resolved conflicts
MINUTES = 7 * 24 * 60  # escalation delays: a week is far beyond any policy's (oncall_format.DELAY_MAX)
PAYLOAD_SIZE = 1_000_000  # characters of an unknown kind's payload (trust.PAYLOAD_BYTES bounds the row)

an_id = text(ID)
a_line = text(LINE)
a_text = text(TEXT)
a_long_text = text(LONG)
an_address = text(ADDRESS)
a_name = text(LINE, empty=False)  # what settings are keyed by: "" would be a name nobody can pick
a_count = whole(0, 1_000_000)
options = text_map(key=100, value=ADDRESS, most=64, total=100_000)  # a connection's settings
