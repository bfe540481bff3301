"""A runbook's inline Markdown as text: what markdown-it-py's inline tokens say, with HTML stripped to its
text (never rendered) and links turned into their labels (the web addresses kept beside)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser

from markdown_it.token import Token

from commander.domain.runbooks.front_matter import web

_TRAILING = ".,;:!?"
_BARE = re.compile(r"https?://[^\s<>()\[\]\"'`]+")

# HTML: dropped with its content, stripped to its content, or (any tag with attributes) stripped too.
_DROPPED = ("script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "svg", "math")
_MARKUP = (
    "a",
    "abbr",
    "b",
    "big",
    "blockquote",
    "br",
    "center",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "form",
    "input",
    "button",
    "link",
    "meta",
    "video",
    "audio",
    "html",
    "head",
    "body",
    "base",
    "frame",
    "frameset",
    "marquee",
    "blink",
)
_DROPPED_NAMES = "|".join(_DROPPED)
_HIDDEN = re.compile(rf"<!--|<({_DROPPED_NAMES})\b", re.IGNORECASE)  # hidden up to "-->" or "</name>"
_OPENS_HIDDEN = re.compile(rf"<({_DROPPED_NAMES})\b[^>]*(?<!/)>$", re.IGNORECASE)
_ANCHOR = re.compile(
    r"""<a\b[^<>]{0,1000}?\bhref\s*=\s*["']?(https?://[^"'\s<>]{1,2000})["']?[^<>]{0,1000}>"""
    r"([^<]{0,1000})</a\s*>",
    re.IGNORECASE,
)
_ANCHOR_OPEN = re.compile(r"""<a\b[^<>]*?\bhref\s*=\s*["']?([^"'\s<>]+)""", re.IGNORECASE)
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG_NAMES = "|".join(_MARKUP + _DROPPED)
_TAG = re.compile(
    rf"</?(?:(?:{_TAG_NAMES})\b[^<>]{{0,2000}}"
    r"|[A-Za-z][\w-]{0,100}\s[^<>=]{0,2000}=[^<>]{0,2000})/?>",
    re.IGNORECASE,
)


class Inline:
    """Inline tokens as text: `links` are the web addresses in order, `spans` the inline code."""

    def __init__(self, tokens: Sequence[Token] | None, *, keep_urls: bool) -> None:
        self.links: list[str] = []
        self.spans: list[str] = []
        out: list[str] = []
        opened: list[tuple[str, int]] = []  # (address, where its label starts in out)
        hiding: str | None = None  # inside <script> ... </script>: everything up to its end is dropped
        for token in tokens or ():
            kind = token.type
            if hiding is not None:
                if kind == "html_inline" and token.content.lower().startswith(f"</{hiding}"):
                    hiding = None
                continue
            if kind == "text":
                out.append(self._text(token.content))
            elif kind == "code_inline":
                code = token.content
                pad = " " if code.startswith("`") or code.endswith("`") else ""
                out.append(f"{token.markup}{pad}{code}{pad}{token.markup}")
                self.spans.append(code.strip())
            elif kind in ("softbreak", "hardbreak"):
                out.append("\n")
            elif kind in ("strong_open", "strong_close", "em_open", "em_close", "s_open", "s_close"):
                out.append(token.markup)
            elif kind == "image":
                out.append(token.content)
            elif kind == "link_open":
                opened.append((str(token.attrGet("href") or ""), len(out)))
            elif kind == "link_close" and opened:
                self._link(out, *opened.pop(), keep_urls=keep_urls)
            elif kind == "html_inline":
                raw = token.content
                lower = raw.lower()
                if _OPENS_HIDDEN.match(raw):
                    hiding = _OPENS_HIDDEN.match(raw)[1].lower()  # type: ignore[index]
                elif lower.startswith("<a") and (anchor := _ANCHOR_OPEN.match(raw)):
                    opened.append((anchor[1], len(out)))
                elif lower.startswith("</a") and opened:
                    self._link(out, *opened.pop(), keep_urls=keep_urls)
                elif _BREAK_TAG.fullmatch(raw):
                    out.append(" ")
                elif not (lower.startswith("<!--") or lower.startswith("<?") or _TAG.fullmatch(raw)):
                    out.append(raw)  # a placeholder written like a tag: "Replace <namespace> with yours"
        self.text = "".join(out)

    def _text(self, text: str) -> str:
        if "<" in text:  # entities that spelt markup ("&lt;script&gt;") are text now: strip that too
            text = strip_html(text)
        if "://" in text:
            for found in _BARE.finditer(text):
                url = found[0].rstrip(_TRAILING)
                if web(url):
                    self.links.append(url)
        return text

    def _link(self, out: list[str], url: str, start: int, *, keep_urls: bool) -> None:
        label = "".join(out[start:])
        if not web(url):
            return  # a relative or script address: only the label is kept
        self.links.append(url)
        if keep_urls and label.strip() and label != url and label != url.removeprefix("mailto:"):
            out[start:] = [f"{label} ({url})"]

    def line(self) -> str:
        """The text on one line, spaces collapsed."""
        return " ".join(self.text.split())


def strip_html(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    text = _ANCHOR.sub(lambda m: f"[{m[2]}]({m[1]})", without_hidden(text)[0])
    text = _TAG.sub("", _BREAK_TAG.sub(" ", text))
    if "&" in text:
        # Entities become characters, and whatever markup they spelt is stripped in turn.
        text = _TAG.sub("", without_hidden(html.unescape(text))[0])
    return text


def without_hidden(text: str) -> tuple[str, str | None]:
    """The text without HTML comments and dropped elements (script, style...), and what an unclosed one
    waits for ("-->", "</script"), or None. One pass: each search starts where the last one ended."""
    kept, position = [], 0
    while (found := _HIDDEN.search(text, position)) is not None:
        kept.append(text[position : found.start()])
        closing = "-->" if found[1] is None else f"</{found[1].lower()}"
        position = _end_of(text, closing, found.end())
        if position < 0:
            return "".join(kept), closing
    kept.append(text[position:])
    return "".join(kept), None


def _end_of(text: str, closing: str, start: int) -> int:
    """Where the text goes on after `closing` ("-->", or "</script" up to its ">"), or -1."""
    if closing == "-->":
        end = text.find(closing, start)
        return end + 3 if end >= 0 else -1
    found = re.compile(re.escape(closing) + r"[^<>]{0,100}>", re.IGNORECASE).search(text, start)
    return found.end() if found is not None else -1


class _Tables(HTMLParser):
    """The rows of the HTML tables in a block, each cell as text (markup inside a cell stripped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.depth = 0
        self.cell: list[str] | None = None
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.hidden += 1
        elif tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append([])
        elif tag == "tr" and self.depth == 1:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.depth == 1 and self.tables[-1]:
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "table":
            self.depth = max(0, self.depth - 1)
        elif tag in ("td", "th") and self.cell is not None and self.depth == 1:
            self.tables[-1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None and not self.hidden:
            self.cell.append(data)


def html_tables(block: str) -> list[list[list[str]]]:
    """The tables of an HTML block as rows of cell texts; [] when it holds none."""
    if "<table" not in block.lower():
        return []
    parser = _Tables()
    parser.feed(block)
    parser.close()
    return [rows for rows in parser.tables if any(rows)]


def pipe_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as a GitHub table (the first row its header), the form the viewer renders as a table."""
    width = max(len(row) for row in rows)
    cells = [[cell.replace("|", "\\|").replace("\n", " ") for cell in row] + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)
