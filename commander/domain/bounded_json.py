"""JSON from another system, read with a bound on its nesting that is checked before parsing.

`json.loads` recurses once per nested array or object, so a few hundred kilobytes of `[[[[…` end in a
RecursionError (or, in a thread with a small stack, a crash), and object hooks run only after the
recursion. So the nesting is measured first, without recursion: strings are blanked out with one
regular expression (their brackets are text), and the brackets left are summed in C-level loops.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

# A string, or an unterminated one to the end of the text: matching to the end keeps the scan linear
# (a string that never closes would otherwise be retried from every quote after it), and the decoder
# stops at that same place, so no bracket it could reach is hidden.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeep(ValueError):
    """The text nests arrays and objects deeper than allowed."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"nests {depth} levels deep; the limit is {limit}")
        self.depth = depth
        self.limit = limit


def nesting(text: str) -> int:
    """How deep arrays and objects nest in `text` (JSON, or the start of it), counted without recursion."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_nesting(text: str, limit: int) -> None:
    """Raise TooDeep when `text` nests deeper than `limit`."""
    depth = nesting(text)
    if depth > limit:
        raise TooDeep(depth, limit)


def loads(text: str, *, max_depth: int) -> Any:
    """`json.loads`, refusing (TooDeep, a ValueError) anything nested deeper than `max_depth` before it is
    parsed. Bad JSON raises ValueError as `json.loads` does."""
    check_nesting(text, max_depth)
    return json.loads(text)
