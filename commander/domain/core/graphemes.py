"""Text cut where a reader sees a character end: on extended grapheme cluster boundaries (Unicode UAX #29,
https://unicode.org/reports/tr29/#Grapheme_Cluster_Boundary_Rules), so a flag (two regional indicators), a
family emoji (pictographs joined by ZWJ), a keycap or a letter with combining accents is never split.

The rules that matter for messages are implemented with `unicodedata` alone (no dependency): CR LF, controls,
Hangul syllables, Extend and SpacingMark, Prepend, emoji ZWJ sequences (GB11) and regional indicator pairs
(GB12, GB13). Extended_Pictographic is approximated by the emoji blocks, which is what GB11 needs.

Each service counts its limit in its own unit: characters (code points), UTF-16 code units or UTF-8 bytes;
`fit` measures in the one it is given, or with any `fits` test (the size of a whole JSON body, say).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Unit = Literal["chars", "utf16", "utf8"]

_CR, _LF, _CONTROL, _EXTEND, _ZWJ, _RI, _PREPEND, _SPACING = "CR", "LF", "Control", "Extend", "ZWJ", "RI", "Pre", "SM"
_L, _V, _T, _LV, _LVT, _PICT, _OTHER = "L", "V", "T", "LV", "LVT", "Pict", "Other"

_PICTOGRAPHIC = (
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x21AA),
    (0x231A, 0x23FF),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0x1F000, 0x1F1E5),
    (0x1F200, 0x1F3FA),
    (0x1F400, 0x1FAFF),
    (0x1FC00, 0x1FFFD),
)
_PREPENDS = frozenset((*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD))


@lru_cache(maxsize=4096)
def _kind(char: str) -> str:
    code = ord(char)
    if code == 0x0D:
        return _CR
    if code == 0x0A:
        return _LF
    if code == 0x200D:
        return _ZWJ
    if 0x1F1E6 <= code <= 0x1F1FF:
        return _RI
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F or code in (0x200C, 0xFF9E, 0xFF9F):
        return _EXTEND  # emoji modifiers, tags (subdivision flags), ZWNJ, halfwidth sound marks
    if code in _PREPENDS:
        return _PREPEND
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return _L
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return _V
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return _T
    if 0xAC00 <= code <= 0xD7A3:
        return _LV if (code - 0xAC00) % 28 == 0 else _LVT
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        return _EXTEND
    if category == "Mc":
        return _SPACING
    if category in ("Cc", "Zl", "Zp", "Cf", "Cs"):
        return _CONTROL
    if any(low <= code <= high for low, high in _PICTOGRAPHIC):
        return _PICT
    return _OTHER


def boundaries(text: str) -> list[int]:
    """Every offset where a cluster starts, then len(text): the places text may be cut."""
    if not text:
        return [0]
    found = [0]
    previous = _kind(text[0])
    regional = 1 if previous == _RI else 0  # regional indicators just before this one
    pictograph = previous == _PICT  # ExtPict Extend* so far (GB11)
    joined = False  # ... and then a ZWJ
    for offset in range(1, len(text)):
        current = _kind(text[offset])
        if not _joins(previous, current, regional, joined):
            found.append(offset)
        regional = regional + 1 if current == _RI else 0
        if current == _PICT:
            pictograph, joined = True, False
        elif current == _EXTEND:
            joined = False
        elif current == _ZWJ:
            pictograph, joined = False, pictograph
        else:
            pictograph = joined = False
        previous = current
    found.append(len(text))
    return found


def _joins(previous: str, current: str, regional: int, joined: bool) -> bool:
    """Whether no boundary falls between two characters of these kinds (UAX #29, GB3 to GB13)."""
    if previous == _CR:
        return current == _LF
    if previous in (_CONTROL, _LF) or current in (_CONTROL, _CR, _LF):
        return False
    if previous == _L and current in (_L, _V, _LV, _LVT):
        return True
    if previous in (_LV, _V) and current in (_V, _T):
        return True
    if previous in (_LVT, _T) and current == _T:
        return True
    if current in (_EXTEND, _ZWJ, _SPACING) or previous == _PREPEND:
        return True
    if previous == _ZWJ and current == _PICT:
        return joined
    return previous == _RI and current == _RI and regional % 2 == 1


def clusters(text: str) -> list[str]:
    edges = boundaries(text)
    return [text[start:end] for start, end in zip(edges, edges[1:], strict=False)]


def size(text: str, unit: Unit = "chars") -> int:
    """The text's length as a service counts it."""
    if unit == "utf8":
        return len(text.encode("utf-8", "surrogatepass"))
    if unit == "utf16":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text)


def cut(text: str, limit: int, unit: Unit = "chars") -> str:
    """The longest start of `text` made of whole clusters that is at most `limit` long."""
    if size(text, unit) <= limit:
        return text
    return fit(text, limit, unit=unit).text


@dataclass(frozen=True)
class Fitted:
    """What is sent: the whole text, or its start with a note that says it was cut."""

    text: str
    kept: int  # characters of the original text that are in `text`
    total: int  # characters of the original text

    @property
    def shortened(self) -> tuple[int, int] | None:
        """(kept, total) when the text was cut, for the outcome and the timeline; None when whole."""
        return (self.kept, self.total) if self.kept < self.total else None


def fit(
    text: str,
    limit: int | None = None,
    *,
    unit: Unit = "chars",
    note: str = "",
    fits: Callable[[str], bool] | None = None,
) -> Fitted:
    """`text` when it fits, else its longest start on a cluster boundary that fits with `note` after it.

    It fits when `fits(candidate)` says so, or else when its size in `unit` is at most `limit`. The test must
    grow with the candidate (a longer start never fits when a shorter one does not), as sizes do."""
    if fits is None:
        if limit is None:
            raise ValueError("fit needs a limit or a fits test")
        bound = limit

        def fits(candidate: str) -> bool:
            return size(candidate, unit) <= bound

    if fits(text):
        return Fitted(text, len(text), len(text))
    edges = boundaries(text)
    # Binary search for the last boundary whose start, with the note, fits: sizes grow with the start.
    low, high = 0, len(edges) - 1  # edges[low] fits (or is 0), edges[high] is the whole text, which does not
    while high - low > 1:
        middle = (low + high) // 2
        if fits(text[: edges[middle]].rstrip() + note):
            low = middle
        else:
            high = middle
    kept = text[: edges[low]].rstrip()
    if fits(kept + note):
        return Fitted(kept + note, len(kept), len(text))
    # Not even the note fits whole: as much of the note as fits (it still says the text was cut).
    return Fitted(fit(note, fits=fits).text if note else "", 0, len(text))
