"""Plain text for a terminal: nothing stored can move the cursor, change colours or reorder the line.

The domain strips control characters from what people type, but a store can hold events written by
another console or another version, so everything shown here is cleaned once more on the way out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any, TextIO

# Terminal escape sequences, removed whole so that no half of one (a title set by "\x1b]0;…", "\x1b[2J"
# clearing the screen) is left to show: CSI, OSC up to BEL or ST (never past the line), DCS/SOS/PM/APC
# strings, two-character escapes, and the 8-bit CSI and OSC (ECMA-48).
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[PX^_][^\x1b\x9c\n]*(?:\x1b\\|\x9c)?|\x1b[ -/]*[0-~]?"
)
# C0/C1 controls (ESC starts terminal escape sequences) and the bidi embedding/override/isolate marks,
# which can make a line display in a different order than it reads (CVE-2021-42574, "Trojan Source").
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")


def clean(text: str) -> str:
    """One line of display text."""
    return _UNSAFE.sub("", _LINE_BREAKS.sub(" ", _SEQUENCES.sub("", text)))


def clean_lines(text: str) -> list[str]:
    """Multi-line display text, one item per line."""
    return [_UNSAFE.sub("", line.replace("\t", "    ")) for line in _SEQUENCES.sub("", text).splitlines()] or [""]


def json_text(text: str) -> str:
    """JSON for a terminal: the same document, with invisible controls written as \\u escapes.

    json.dumps escapes C0 controls but passes C1 controls and bidi marks through as they are.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def terminal_text(text: str) -> str:
    """A whole document (Markdown, CSV) for a terminal: newlines and tabs kept, every other control dropped
    (a carriage return would let a line overwrite the one shown before it; CSV's CRLF becomes LF)."""
    return _UNSAFE.sub("", _SEQUENCES.sub("", text.replace("\r\n", "\n")))


class TerminalStream:
    """Standard output or error while it is a terminal: whatever is written passes `terminal_text`, so no
    text from the store or another console reaches the terminal raw, whichever command printed it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal_text(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, buffer, encoding …
        return getattr(self.stream, name)


def rewrite_line(stream: TextIO | TerminalStream, text: str, *, last: bool = False) -> None:
    """Show `text` in place of the terminal's current line (a progress line): Commander's own carriage
    return and erase-line go past the filter, the text itself through it."""
    raw = stream.stream if isinstance(stream, TerminalStream) else stream
    raw.write("\r\x1b[K" + terminal_text(text) + ("\n" if last else ""))
    raw.flush()


def width(text: str) -> int:
    """Columns the text takes in a terminal: wide East Asian characters and most emoji take two."""
    total = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) == "Mn":
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def fit(text: str, columns: int) -> str:
    """Cut to `columns`, ending with an ellipsis when something was cut."""
    if width(text) <= columns:
        return text
    out, used = [], 0
    for char in text:
        step = width(char)
        if used + step > columns - 1:
            break
        out.append(char)
        used += step
    return "".join(out) + "…"


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, limit: int | None = None) -> list[str]:
    """Aligned columns; when `limit` is given the last column is cut so lines fit in that width."""
    cells = [[clean(c) for c in row] for row in rows]
    widths = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(headers[:-1])]
    lines = []
    for row in [list(headers), *cells]:
        head = "  ".join(pad(cell, w) for cell, w in zip(row[:-1], widths, strict=True))
        last = row[-1]
        if limit is not None:
            last = fit(last, max(12, limit - width(head) - 2))
        lines.append(f"{head}  {last}".rstrip())
    return lines


def local_time(moment: datetime, zone: tzinfo, *, date: bool = True) -> str:
    local = moment.astimezone(zone)
    stamp = local.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")
    return f"{stamp} {local.tzname() or local.strftime('%z')}" if date else stamp
