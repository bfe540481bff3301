"""Runbook text as people read it: the inline Markdown a runbook's steps, prose and titles keep from their
file (`**bold**`, `` `code` ``, `_em_`, `[text](url)`) shown as formatting, as plain words, or as Markdown.

Three forms of one text, each made from markdown-it-py's token stream (CommonMark, GitHub's tables), never
from the source string:

- `html`: rich text for the window. Built tag by tag from the tokens, so nothing of the source is ever
  markup: raw HTML in a runbook (`<b>`, `<img src="/dev/zero">`) is text (markdown-it runs with
  html=False and every text piece is escaped here), images become their alt text with their address as
  a link (Qt would read a local image's file, a remote one leaks that the runbook was opened), and only
  http, https and mailto links are links; any other target is shown as text.
- `plain`: the words without markers, for the terminal and plain exports (`**x**` -> `x`, `[t](u)` -> `t (u)`).
- `markdown`: Markdown again, for Markdown exports: the formatting kept, every literal character escaped
  exactly once, raw HTML and block starts (`# `, `- `) defused, so a step can neither add a heading nor
  show `\\*\\*` where the file had `**`.

`block=True` reads the text as a whole document (a section's prose: paragraphs, lists, tables, code
blocks); the default reads one run of text (a step, a title), where `# Drain` stays those characters.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

LINK_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_BACKTICKS = re.compile(r"`+")
# Backslash-escaped wherever they appear: they open emphasis, code, links, tables, headings, HTML or an entity.
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]#|!~<>&])")
_LINE_START = re.compile(r"^(\s*)(?:([-+=>])|(\d+)([.)]))")
# Only text that may hold Markdown is parsed: a plain sentence (most titles, many steps) is its own form.
_MARKUP = re.compile(r"[*_`\[\]<>&!\\#|~]|^\s*(?:[-+>]|\d+[.)])\s|\n")

# text_join off: an entity (`&amp;`) stays as written, the way the console always showed outside text (a
# title reading `&amp;` is not silently changed to `&`); a backslash escape still gives its character.
_PARSER = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough").disable("text_join")


def safe_url(url: str) -> bool:
    """Whether a link target may become a link: an absolute http(s) address or a mailto."""
    found = _SCHEME.match(url.strip())
    return found is not None and found.group(1).lower() in LINK_SCHEMES and not any(c in url for c in "\n\r\x00")


def _tokens(text: str, block: bool) -> list[Token]:
    if block:
        tokens = _PARSER.parse(text)
        quoted = 0
        for number, token in enumerate(tokens):
            quoted += {"blockquote_open": 1, "blockquote_close": -1}.get(token.type, 0)
            _as_written(token.children or ())
            if quoted and token.type == "inline" and tokens[number - 2].type == "blockquote_open":
                _title_on_its_own_line(token.children or [])
        return tokens
    return _as_written([child for token in _PARSER.parseInline(text) for child in token.children or ()])


def _title_on_its_own_line(children: list[Token]) -> None:
    """A note (the reader writes an admonition as a quote opening with its title in bold: `> **Tip: …**`)
    keeps its title on a line of its own."""
    shown = [token for token in children if token.type != "text" or token.content]
    if not shown or shown[0].type != "strong_open":
        return
    closing = next((n for n, token in enumerate(shown) if token.type == "strong_close"), -1)
    if 0 < closing < len(shown) - 1 and shown[closing + 1].type == "softbreak":
        shown[closing + 1].type = "hardbreak"


def _as_written(children: Sequence[Token]) -> list[Token]:
    for token in children:
        if token.type == "text_special":
            token.type = "text"
            if token.info == "entity":
                token.content = token.markup
        if token.children:
            _as_written(token.children)
    return list(children)


# -- plain text -------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def plain(text: str, *, block: bool = False) -> str:
    """The words without Markdown markers: `**x**` -> x, `` `x` `` -> x, `[t](u)` -> "t (u)"."""
    if not _MARKUP.search(text):
        return text
    if not block:
        return _plain_inline(_tokens(text, False)).strip()
    return _plain_blocks(_tokens(text, True))


def _plain_inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its words start in out)
    for token in children:
        kind = token.type
        if kind in ("text", "code_inline"):
            out.append(token.content)
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(out)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            words = "".join(out[start:])
            if href and href not in (words, f"mailto:{words}"):
                out.append(f" ({href})")
        elif kind == "image":
            alt = _plain_inline(token.children or ()) or "image"
            src = str(token.attrGet("src") or "")
            out.append(f"{alt} ({src})" if src else alt)
    return "".join(out)


def _plain_blocks(tokens: Sequence[Token]) -> str:
    blocks: list[tuple[str, str]] = []  # (the block's lines, "list" or "table" when it sits in one)
    lists: list[list[int]] = []  # per open list: [next number, or -1 for bullets]
    prefix = ""
    row: list[str] | None = None  # the cells of the table row being read
    for token in tokens:
        kind = token.type
        if kind == "bullet_list_open":
            lists.append([-1])
        elif kind == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close") and lists:
            lists.pop()
        elif kind == "list_item_open" and lists:
            number = lists[-1][0]
            prefix = "  " * (len(lists) - 1) + ("- " if number < 0 else f"{number}. ")
            if number >= 0:
                lists[-1][0] += 1
        elif kind == "inline":
            words = _plain_inline(token.children or ())
            if row is not None:
                row.append(words)
                continue
            lead = prefix or "  " * len(lists)
            blocks.append((lead + words.replace("\n", "\n" + " " * len(lead)), "list" if lists else ""))
            prefix = ""
        elif kind in ("fence", "code_block"):
            lead = "  " * len(lists) + "    "
            code = "\n".join(lead + line for line in token.content.rstrip("\n").split("\n"))
            blocks.append((code, "list" if lists else ""))
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            blocks.append((" | ".join(row), "table"))
            row = None
        elif kind == "hr":
            blocks.append(("---", ""))
    out: list[str] = []
    for number, (words, inside) in enumerate(blocks):
        if number:
            out.append("\n" if inside and blocks[number - 1][1] == inside else "\n\n")
        out.append(words)
    return "".join(out).strip("\n")


# -- rich text --------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def html(text: str, *, block: bool = False) -> str:
    """Safe rich text of the Markdown: only tags made here, every piece of the source escaped."""
    if not _MARKUP.search(text):
        return _html.escape(text)
    if not block:
        return _html_inline(_tokens(text, False))
    return _html_blocks(_tokens(text, True))


_INLINE_TAGS = {
    "strong_open": "<b>",
    "strong_close": "</b>",
    "em_open": "<i>",
    "em_close": "</i>",
    "s_open": "<s>",
    "s_close": "</s>",
}


def _html_inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    open_links: list[bool] = []  # whether each open link became an anchor
    for token in children:
        kind = token.type
        if kind == "text":
            out.append(_html.escape(token.content))
        elif kind == "code_inline":
            out.append(f"<code>{_html.escape(token.content)}</code>")
        elif kind in _INLINE_TAGS:
            out.append(_INLINE_TAGS[kind])
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("<br>")
        elif kind == "link_open":
            href = str(token.attrGet("href") or "")
            open_links.append(safe_url(href))
            if open_links[-1]:
                out.append(_anchor(href))
        elif kind == "link_close" and open_links:
            if open_links.pop():
                out.append("</a>")
        elif kind == "image":
            alt = _html.escape(_plain_inline(token.children or ()) or "image")
            src = str(token.attrGet("src") or "")
            out.append(
                f"{alt} ({_anchor(src)}{_html.escape(src)}</a>)"
                if safe_url(src) and not open_links
                else f"{alt} ({_html.escape(src)})"
                if src
                else alt
            )
    return "".join(out)


def _anchor(href: str) -> str:
    quoted = _html.escape(href, quote=True)
    return f'<a href="{quoted}" title="{quoted}">'


_BLOCK_TAGS = {
    "paragraph_open": "<p>",
    "paragraph_close": "</p>",
    "bullet_list_open": "<ul>",
    "bullet_list_close": "</ul>",
    "ordered_list_close": "</ol>",
    "list_item_open": "<li>",
    "list_item_close": "</li>",
    "blockquote_open": "<blockquote>",
    "blockquote_close": "</blockquote>",
    "hr": "<hr>",
    "table_open": '<table border="1" cellspacing="0" cellpadding="4">',
    "table_close": "</table>",
    "thead_open": "<thead>",
    "thead_close": "</thead>",
    "tbody_open": "<tbody>",
    "tbody_close": "</tbody>",
    "tr_open": "<tr>",
    "tr_close": "</tr>",
    "th_close": "</th>",
    "td_close": "</td>",
}


def _html_blocks(tokens: Sequence[Token]) -> str:
    out: list[str] = []
    for token in tokens:
        kind = token.type
        if kind == "inline":
            out.append(_html_inline(token.children or ()))
        elif kind in ("paragraph_open", "paragraph_close") and token.hidden:
            continue  # a tight list's item: no paragraph spacing inside it
        elif kind in _BLOCK_TAGS:
            out.append(_BLOCK_TAGS[kind])
        elif kind == "ordered_list_open":
            start = int(token.attrGet("start") or 1)
            out.append(f'<ol start="{start}">' if start != 1 else "<ol>")
        elif kind in ("th_open", "td_open"):
            align = {"text-align:left": "left", "text-align:center": "center", "text-align:right": "right"}.get(
                str(token.attrGet("style") or ""), ""
            )
            out.append(f"<{kind[:2]}" + (f' align="{align}"' if align else "") + ">")
        elif kind == "heading_open":
            out.append("<p><b>")
        elif kind == "heading_close":
            out.append("</b></p>")
        elif kind in ("fence", "code_block"):
            out.append(f"<pre>{_html.escape(token.content.rstrip(chr(10)))}</pre>")
    return "".join(out)


# -- Markdown ---------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def markdown(text: str) -> str:
    """The text as Markdown on one line (for a list item or a table cell): formatting kept, literal
    characters escaped once, raw HTML and link targets other than http(s)/mailto shown as text."""
    return _markdown_inline(_tokens(text, False))


_MARKERS = {"strong_open": "**", "strong_close": "**", "em_open": "*", "em_close": "*", "s_open": "~~", "s_close": "~~"}


def _markdown_inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[str] = []  # each open link's target, "" when it is shown as text
    for token in children:
        kind = token.type
        if kind == "text":
            out.append(_escaped(token.content, first=not out))
        elif kind == "code_inline":
            out.append(code_span(token.content))
        elif kind in _MARKERS:
            out.append(_MARKERS[kind])
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("<br>")
        elif kind == "link_open":
            href = str(token.attrGet("href") or "")
            links.append(href if safe_url(href) else "")
            out.append("[" if links[-1] else "")
        elif kind == "link_close" and links:
            href = links.pop()
            out.append(f"](<{href}>)" if href else "")
        elif kind == "image":
            alt = _escaped(_plain_inline(token.children or ()) or "image", first=not out)
            src = str(token.attrGet("src") or "")
            out.append(
                f"{alt} ([{_escaped(src)}](<{src}>))"
                if safe_url(src) and not links and " " not in src and ">" not in src
                else f"{alt} ({_escaped(src)})"
                if src
                else alt
            )
    return "".join(out).strip()


def _escaped(text: str, *, first: bool = False) -> str:
    """Literal text as Markdown that shows exactly these characters: Markdown's and HTML's punctuation
    backslashed (CommonMark: any ASCII punctuation may be), and at the start a list marker defused."""
    text = _PUNCTUATION.sub(r"\\\1", text.replace("\n", " "))
    if first:
        text = _LINE_START.sub(
            lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"), text.lstrip()
        )
    return text


def code_span(code: str) -> str:
    """`code` in a code span long enough for the backticks it holds."""
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {code} " if code.startswith("`") or code.endswith("`") or not code.strip(" ") else code
    return f"{fence}{padded}{fence}"
