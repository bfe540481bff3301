"""Notes are plain text. To make their links clickable, escape everything, then wrap web addresses.

Nothing a person typed is ever interpreted as markup: `<b>` in a note shows as `<b>`.
"""

from __future__ import annotations

import html
import re

from commander.ui.kit import richtext

URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""  # punctuation that ends a sentence more often than an address


def to_html(text: str) -> str:
    """Escaped HTML of the text, with http(s) addresses as links and line breaks kept."""
    parts: list[str] = []
    last = 0
    for match in URL.finditer(text):
        url = _trim(match.group(0))
        parts.append(html.escape(text[last : match.start()]))
        parts.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
        last = match.start() + len(url)
    parts.append(html.escape(text[last:]))
    return "".join(parts).replace("\n", "<br>")


def _trim(url: str) -> str:
    while url and url[-1] in _TRAILING:
        # Keep a closing bracket that closes one opened inside the address (wiki links).
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def tooltip(text: str) -> str:
    """A tooltip that shows the text as typed (see richtext.tooltip)."""
    return richtext.tooltip(text)
