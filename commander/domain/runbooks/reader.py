"""From markdown-it-py's token tree (CommonMark plus GitHub tables) to a runbook's sections and steps.

The parser decides what the Markdown is; this module only decides what it means for a responder:

- `#`/`##` headings make sections ("Mitigation / Rollback" for a sub-heading); sections about the alert
  (Meaning, Impact, Summary, Background, References...) stay prose, lists included; the others hold steps;
- a list item is a step, nested as written; the sentence before a code block is that block's step, in
  place; each code block is one command box (runbook_code says what is copied); a second block in one
  item is a sub-step of its own ("Alternatively ..."), never joined to the first;
- output and data blocks are shown with the command before them, or in the prose;
- tables (GitHub's, and HTML ones) become GitHub tables in the prose; admonitions (`!!! tip "Title"`,
  `> [!NOTE]`) a titled quote; HTML is stripped to its text, never rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from commander.domain.core.text import NOTE_MAX, TITLE_MAX
from commander.domain.runbooks.code import OUTPUT, QUERY, Block, language_of, read_block
from commander.domain.runbooks.front_matter import cut
from commander.domain.runbooks.inline import Inline, html_tables, pipe_table, strip_html
from commander.domain.runbooks.library import Section, Step, kind_for

MAX_DEPTH = 6
MAX_STEPS = 5_000  # a runbook is read in the middle of the night: far beyond any real one
_PARSER = MarkdownIt("commonmark").enable("table")
# Sections that describe the alert: their lists describe too (metric names, symptoms, footnotes).
_PROSE_TITLES = re.compile(
    r"^(meaning|impact|summary|background|references?|description|overview|about|context"
    r"|what it means|symptoms?|further reading|see also|links?|notes?|related|details"
    r"|alert|explanation|consequences?|cause|possible causes?|root cause)\b",
    re.IGNORECASE,
)
_ABOUT = ("meaning", "overview", "summary", "description", "about", "what it means")
_ADMONITION = re.compile(r"^(?:!!!|\?\?\?\+?)[ \t]*([\w-]+)(?:[ \t]+\"([^\"]*)\")?[ \t]*(?:\n|$)")
_GITHUB_NOTE = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*\n?", re.IGNORECASE)
_CHECKBOX = re.compile(r"^\[[ xX]\][ \t]+")
# An inline code span is the step's command when the words before it ask to run it ("Run", "via",
# "with", "Restart it:"), not when it names a thing ("the `kubectl get` commands", "set `long: 1h`").
_ASKS_TO_RUN = re.compile(
    r"(^|\b(run|running|execute|executing|type|use|using|via|with|try|command|e\.g\.?)|:|\()"
    r"\s*$",
    re.IGNORECASE,
)
_COMMAND_START = set("abcdefghijklmnopqrstuvwxyz0123456789./~$_")
_FOOTNOTE = re.compile(r"^(\d+\.?|\S{1,20} \(https?://\S+\))$")  # "2", "2 (https://...)" as prose writes it
_SETTING = re.compile(r"^[\w.\-\"']+\s*[:=]\s+\S+$")  # `long: 1h`, `replicas = 3`: a value to set


@dataclass
class _Item:
    parts: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    spans: list[str] = field(default_factory=list)
    block: Block | None = None
    output: list[str] = field(default_factory=list)
    children: list[_Item] = field(default_factory=list)


@dataclass
class _Section:
    title: str | None  # None: what comes before the first heading
    prose_only: bool = False
    items: list[_Item] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)


class Reader:
    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.title: str | None = None
        self.current = _Section(None)
        self.all = [self.current]
        self.headings: list[tuple[int, str]] = []
        self.steps = 0
        self.full = False
        self.flattened = False
        self.references: Mapping[str, object] = {}

    def read(self, body: str) -> None:
        env: dict[str, object] = {}
        root = SyntaxTreeNode(_PARSER.parse(body, env))
        self.references = env.get("references", {})  # type: ignore[assignment]
        nodes = root.children
        skip = False
        for number, node in enumerate(nodes):
            if self.full:
                self.notes.append(f"More than {MAX_STEPS:,} steps: the rest of the file was left out.")
                return
            if skip:
                skip = False
                continue
            after = nodes[number + 1] if number + 1 < len(nodes) else None
            if node.type == "paragraph" and after is not None and after.type == "code_block":
                text = Inline(_inline(node), keep_urls=True).text.strip()
                note = _ADMONITION.match(text)
                if note is not None:  # `!!! tip "Title"` and its indented body: a note, not a command
                    body = "\n".join(" ".join(strip_html(line).split()) for line in after.content.split("\n"))
                    self.current.prose.append(_note(_title(note), f"{text[note.end() :]}\n{body}"))
                    skip = True
                    continue
            self._top(node, nodes[number - 1] if number else None)

    # -- the section level --------------------------------------------------------------------------

    def _top(self, node: SyntaxTreeNode, before: SyntaxTreeNode | None) -> None:
        if node.type == "heading":
            self._heading(int(node.tag[1]), Inline(_inline(node), keep_urls=False).line())
            return
        section = self.current
        if section.prose_only:
            section.prose.append(_prose(node))
        elif node.type in ("bullet_list", "ordered_list"):
            if _describes(node):
                section.prose.append(_prose(node))
            else:
                section.items.extend(self._items(node, 0))
        elif node.type in ("fence", "code_block"):
            self._block_on_its_own(node, before)
        elif node.type != "hr":
            text = _prose(node)
            if text:
                section.prose.append(text)

    def _heading(self, level: int, text: str) -> None:
        text = cut(text, TITLE_MAX)
        if level == 1 and self.title is None and not self.headings and text:
            self.title = text
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, text or "Untitled"))
        title = " / ".join(title for _, title in self.headings)
        self.current = _Section(title, bool(_PROSE_TITLES.match(self.headings[0][1])))
        self.all.append(self.current)

    def _block_on_its_own(self, node: SyntaxTreeNode, before: SyntaxTreeNode | None) -> None:
        """A block outside a list: the paragraph just before it is its step's text (taken from the prose);
        output goes under the command just before it, else into the prose."""
        section = self.current
        lead = before if before is not None and before.type == "paragraph" and section.prose else None
        lead_text = Inline(_inline(lead), keep_urls=False) if lead is not None else None
        block = read_block(node.content, language_of(node.info), lead_text.line() if lead_text else "")
        if block is None:
            return
        if block.kind == OUTPUT:
            last = section.items[-1] if section.items else None
            if (
                last is not None
                and last.block is not None
                and before is not None
                and before.type in ("fence", "code_block")
            ):
                last.output.append(block.text)  # right under its command
                return
            section.prose.append(_fenced(block.text, block.language))
            return
        item = _Item()
        if lead_text is not None:
            section.prose.pop()
            item.parts.append(lead_text.line())
            item.links += lead_text.links
        self._take(item, block)
        section.items.append(item)
        self.steps += 1
        self.full = self.steps >= MAX_STEPS

    # -- lists --------------------------------------------------------------------------------------

    def _items(self, node: SyntaxTreeNode, depth: int) -> list[_Item]:
        found: list[_Item] = []
        for child in node.children:
            if self.full:
                break
            self.steps += 1
            self.full = self.steps > MAX_STEPS
            if self.full:
                break
            item = _Item()
            found.append(item)
            deeper: list[_Item] = []
            label: str | None = None  # a sentence inside the item that introduces its next block
            for part in child.children:
                if part.type == "paragraph":
                    text = Inline(_inline(part), keep_urls=False)
                    if item.block is not None or (item.parts and _introduces_block(child, part)):
                        label = text.line() if label is None else f"{label} {text.line()}"
                        item.links += text.links
                        continue
                    item.parts.append(_CHECKBOX.sub("", text.line()) if not item.parts else text.line())
                    item.links += text.links
                    item.spans += text.spans
                elif part.type in ("fence", "code_block"):
                    block = read_block(part.content, language_of(part.info), label or " ".join(item.parts))
                    if block is None:
                        continue
                    if block.kind == OUTPUT:
                        item.output += [label, block.text] if label else [block.text]
                    elif item.block is None and label is None:
                        self._take(item, block)
                    else:  # its own choice, never joined to the item's command
                        extra = _Item([label or ("Also query:" if block.kind == QUERY else "Also run:")])
                        self._take(extra, block)
                        deeper.append(extra)
                    label = None
                elif part.type in ("bullet_list", "ordered_list"):
                    if label is not None:
                        item.parts.append(label)
                        label = None
                    if depth + 1 >= MAX_DEPTH:
                        self._flatten(found, part, depth)
                    else:
                        deeper += self._items(part, depth + 1)
                elif part.type == "html_block" and not html_tables(part.content):
                    words = " ".join(strip_html(part.content).split())
                    if words:
                        item.parts.append(words)  # HTML in an item is its text, stripped
                elif prose := _prose(part):  # a table or a note inside an item: shown with the section
                    self.current.prose.append(prose)
            if label is not None:
                item.parts.append(label)
            item.children = deeper
        return found

    def _flatten(self, siblings: list[_Item], node: SyntaxTreeNode, depth: int) -> None:
        """Items deeper than MAX_DEPTH join the deepest level, after the item they sit in."""
        if not self.flattened:
            self.flattened = True
            self.notes.append(
                f"Lists nested deeper than {MAX_DEPTH} levels: the deeper items were kept at level {MAX_DEPTH}."
            )
        for item in self._items(node, depth):
            grand, item.children = item.children, []
            siblings.append(item)
            siblings.extend(_flat(grand))

    @staticmethod
    def _take(item: _Item, block: Block) -> None:
        item.block = block
        if block.output:
            item.output.append(block.output)

    # -- the result ---------------------------------------------------------------------------------

    def sections(self) -> tuple[list[Section], str]:
        """The sections with content, and the summary: the first paragraph before any heading, else the
        first of a section that says what the runbook is about (Meaning, Overview, Summary...)."""
        first = self.all[0]
        summary = ""
        if first.prose and not first.prose[0].startswith(("```", "~~~", "|", ">", "- ")):
            summary = " ".join(first.prose.pop(0).split())
        else:
            about = next(
                (s for s in self.all[1:] if s.prose and (s.title or "").lower().split(" / ")[0] in _ABOUT), None
            )
            if about is not None:
                summary = " ".join(about.prose[0].split())
        kept = [s for s in self.all if s.items or s.prose]
        result = []
        for section in kept:
            title = section.title if section.title is not None else "Steps" if len(kept) == 1 else "Overview"
            kind = kind_for(title)
            result.append(
                Section(
                    title,
                    tuple(_step(item, kind) for item in section.items),
                    "\n\n".join(text for text in section.prose if text),
                )
            )
        return result, summary


def _flat(items: list[_Item]) -> list[_Item]:
    found = []
    for item in items:
        grand, item.children = item.children, []
        found.append(item)
        found += _flat(grand)
    return found


def _introduces_block(item: SyntaxTreeNode, paragraph: SyntaxTreeNode) -> bool:
    """A later paragraph of an item that is followed by a block when the item already has one before it:
    "Alternatively, use the API:" introduces its own choice."""
    parts = item.children
    at = parts.index(paragraph)
    return (
        at + 1 < len(parts)
        and parts[at + 1].type in ("fence", "code_block")
        and any(p.type in ("fence", "code_block") for p in parts[:at])
    )


def _step(item: _Item, kind: str) -> Step:
    text = " ".join(" ".join(item.parts).split())
    block = item.block
    command = block.text if block is not None else _inline_command(text, item.spans)
    if not text:
        text = (
            "Use this query:"
            if block is not None and block.kind == QUERY
            else "Run this command:"
            if command
            else "(no text)"
        )
    output = "\n\n".join(part for part in item.output if part)
    return Step(
        "",
        cut(text, NOTE_MAX),
        kind,
        command,
        item.links[0] if item.links else None,
        tuple(_step(child, kind) for child in item.children),
        block.kind if block is not None and block.kind == QUERY else "",
        block.language if block is not None else "",
        output,
    )


def _inline_command(text: str, spans: list[str]) -> str | None:
    """The inline code span the step asks to run, if any (the first such)."""
    for span in spans:
        if not _looks_like_command(span):
            continue
        written = f"`{span}`"
        at = text.find(written)
        if at < 0:
            written = next(
                (
                    f"{ticks}{pad}{span}{pad}{ticks}"
                    for ticks in ("``", "```")
                    for pad in ("", " ")
                    if f"{ticks}{pad}{span}{pad}{ticks}" in text
                ),
                "",
            )
            at = text.find(written) if written else -1
        if at < 0:
            continue
        after = text[at + len(written) :].lstrip().lower()
        if _ASKS_TO_RUN.search(text[:at]) and not after.startswith(("command", "subcommand", "output")):
            return span
    return None


def _looks_like_command(span: str) -> bool:
    """`kubectl get pods` or `SELECT * FROM t` is something to run; `Last State` or `OOMKilled` is a name,
    and `long: 1h` a value to set."""
    span = span.strip()
    return (
        " " in span
        and not _SETTING.match(span)
        and (span[0] in _COMMAND_START or span[0].isupper() and span.split(" ", 1)[0].isupper())
    )


def _describes(node: SyntaxTreeNode) -> bool:
    """A list that describes rather than instructs: every item only a link, a number, or a term
    ("`metric_name`", "`name`: what it means", "[1](https://...)")."""
    for item in node.children:
        if len(item.children) != 1 or item.children[0].type != "paragraph":
            return False
        tokens = _inline(item.children[0])
        kinds = [t.type for t in tokens if not (t.type == "text" and not t.content.strip())]
        if not kinds:
            return False
        only_link = kinds[0] == "link_open" and kinds[-1] == "link_close" and kinds.count("link_open") == 1
        code = next(t for t in tokens if t.type == kinds[0])
        term = (
            kinds[0] == "code_inline"
            and not _looks_like_command(code.content)
            and (
                len(kinds) == 1 or tokens[-1].type == "text" and tokens[-1].content.lstrip().startswith((":", "-", "—"))
            )
        )
        if not (only_link or term or kinds == ["text"] and _FOOTNOTE.match(tokens[0].content.strip())):
            return False
    return True


# -- prose ------------------------------------------------------------------------------------------


def _inline(node: SyntaxTreeNode | None) -> list:  # type: ignore[type-arg]
    if node is None:
        return []
    if node.type == "inline":
        return node.token.children or [] if node.token is not None else []
    for child in node.children:
        if child.type == "inline":
            return _inline(child)
    return []


def _prose(node: SyntaxTreeNode, indent: str = "") -> str:
    """A block as Markdown text for the section's prose: links written out as "label (url)", HTML
    stripped, tables as GitHub tables, notes as titled quotes."""
    kind = node.type
    if kind == "paragraph":
        text = Inline(_inline(node), keep_urls=True).text.strip()
        note = _ADMONITION.match(text)
        if note is not None:
            return _note(_title(note), text[note.end() :])
        return text
    if kind == "heading":
        return Inline(_inline(node), keep_urls=False).line()
    if kind in ("fence", "code_block"):
        code = node.content.rstrip("\n")
        return _fenced(code, language_of(node.info)) if code.strip() else ""
    if kind in ("bullet_list", "ordered_list"):
        lines = []
        for number, item in enumerate(node.children, start=int(node.attrs.get("start", 1) or 1)):
            # "*" and "1)": a list the export writes right after this prose ("-", "1.") stays a list of its own
            mark = f"{number})" if kind == "ordered_list" else "*"
            parts = [_prose(part, indent + "  ") for part in item.children]
            first, *rest = [p for p in parts if p] or [""]
            lines.append(f"{indent}{mark} {first}")
            lines += [f"{indent}  {line}" if line else "" for part in rest for line in part.split("\n")]
        return "\n".join(lines)
    if kind == "blockquote":
        inner = "\n\n".join(text for text in (_prose(child) for child in node.children) if text)
        github = _GITHUB_NOTE.match(inner)
        if github is not None:
            return _note(github[1].title(), inner[github.end() :])
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if kind == "table":
        rows = [
            [Inline(_inline(cell), keep_urls=True).line() for cell in row.children]
            for part in node.children
            for row in part.children
        ]
        return pipe_table(rows) if rows else ""
    if kind == "html_block":
        tables = html_tables(node.content)
        if tables:
            return "\n\n".join(pipe_table(rows) for rows in tables)
        return " ".join(strip_html(node.content).split())
    return ""


def _note(title: str, body: str) -> str:
    """An admonition as a quote whose first line is its title in bold: "> **Tip: Check the PVC first**"."""
    lines = [f"**{title.strip()}**", *body.strip("\n").split("\n")] if body.strip() else [f"**{title.strip()}**"]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _title(note: re.Match[str]) -> str:
    kind = note[1].replace("-", " ").title()
    return f"{kind}: {note[2]}" if note[2] else kind


def _fenced(code: str, language: str) -> str:
    fence = "```" if "```" not in code else "~~~~"
    return f"{fence}{language}\n{code}\n{fence}"
