"""JSON from another system, read with a bound on its nesting that is checked before parsing.

`json.loads` recurses once per nested array or object, so a few hundred kilobytes of `[[[[…` end in a
RecursionError (or, in a thread with a small stack, a crash), and object hooks run only after the
recursion. So the nesting is measured first, without recursion: escape pairs (`\\"`) are dropped, the
text is split at its quotes (every other piece is inside a string, whose brackets are text), and the
brackets left are summed in C-level loops. It goes a quarter megabyte at a time, so a worker thread
reading a large answer lets the UI thread run between pieces, as `json_array` does while parsing.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

_ESCAPE = re.compile(r"\\.", re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
PIECE = 1 << 18


class TooDeep(ValueError):
    """The text nests arrays and objects deeper than allowed."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"nests {depth} levels deep; the limit is {limit}")
        self.depth = depth
        self.limit = limit


def nesting(text: str) -> int:
    """How deep arrays and objects nest in `text` (JSON, or the start of it), counted without recursion.
    An unterminated string runs to the end, as the decoder would stop there."""
    deepest = level = 0
    inside = False  # in a string at the start of this piece
    start = 0
    while start < len(text):
        end = min(start + PIECE, len(text))
        while end < len(text) and text[end - 1] == "\\":  # never split an escape pair across pieces
            end += 1
        piece = text[start:end]
        if "\\" in piece:
            piece = _ESCAPE.sub("", piece)
        parts = piece.split('"')
        brackets = _NOT_BRACKET.sub("", "".join(parts[1 if inside else 0 :: 2]))
        if brackets:
            levels = list(accumulate(map(_STEP.__getitem__, brackets), initial=level))
            deepest, level = max(deepest, max(levels)), levels[-1]
        inside ^= (len(parts) - 1) % 2 == 1
        start = end
    return deepest


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
