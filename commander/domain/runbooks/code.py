"""What a code block in a runbook is, and exactly what to copy from it.

A wrong command pasted into a production shell is worse than none, so: one block is one box; the text
copied is the block's text byte for byte, except that shell prompts (`$ `, and `# ` in console
sessions) are taken off where the block has them, and lines after a prompt that are not part of its
command (no `\\` continuation, no open heredoc) are the command's output, shown but not copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMMAND, QUERY, OUTPUT = "command", "query", "output"
SHELLS = frozenset(
    (
        "sh",
        "bash",
        "shell",
        "console",
        "zsh",
        "fish",
        "ksh",
        "shell-session",
        "shellsession",
        "terminal",
        "cmd",
        "powershell",
        "ps1",
        "pwsh",
        "bat",
        "sh-session",
    )
)
SESSIONS = frozenset(("console", "shell-session", "shellsession", "sh-session", "terminal"))
QUERIES = frozenset(
    (
        "promql",
        "sql",
        "logql",
        "kql",
        "kusto",
        "traceql",
        "nrql",
        "influxql",
        "flux",
        "cql",
        "cypher",
        "spl",
        "esql",
        "lucene",
        "metricsql",
        "logsql",
        "sparql",
        "mysql",
        "pgsql",
        "postgresql",
        "psql",
        "plpgsql",
        "tsql",
        "graphql",
        "elasticsearch",
        "es|ql",
    )
)
OUTPUTS = frozenset(
    (
        "text",
        "txt",
        "output",
        "log",
        "logs",
        "plaintext",
        "plain",
        "console-output",
        "none",
        "yaml",
        "yml",
        "json",
        "jsonc",
        "toml",
        "xml",
        "ini",
        "csv",
        "tsv",
        "diff",
        "properties",
        "env",
        "http",
        "nohighlight",
        "raw",
        "stdout",
        "stderr",
        "hcl-output",
    )
)
# The sentence before a block without a language that says what follows is output, not a command.
_SHOWS_OUTPUT = re.compile(
    r"\b(output|returns?|result|looks? like|should see|will see|example|prints?|shows?"
    r"|response|similar to|you get|message|error)\b[^.]*:?\s*$",
    re.IGNORECASE,
)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][\w-]*)\1")


@dataclass(frozen=True)
class Block:
    kind: str  # COMMAND, QUERY or OUTPUT
    language: str
    text: str  # what Copy gives (for OUTPUT: what is shown)
    output: str = ""  # a console session's output lines, shown under the command


def language_of(info: str) -> str:
    """The fence's language: its first word, lower case, without attributes (```{.bash}, ```bash title=x)."""
    word = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    return word.strip("{}.").lower()


def read_block(code: str, language: str, lead: str = "") -> Block | None:
    """The block as a command, a query or output; None when it holds nothing. `lead` is the sentence
    before it, which tells output from a command when the block has no language."""
    lines = code.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return None
    text = "\n".join(lines)
    if language in QUERIES:
        return Block(QUERY, language, text)
    if language in OUTPUTS:
        return Block(OUTPUT, language, text)
    if language in SHELLS or not language:
        session = language in SESSIONS
        if any(_prompt(line, session) is not None for line in lines):
            command, output = _session(lines, session)
            return Block(COMMAND, language, command, output)
        if session or (not language and _SHOWS_OUTPUT.search(lead)):
            return Block(OUTPUT, language, text)  # console lines without a prompt are output
    return Block(COMMAND, language, text)


def _prompt(line: str, session: bool) -> str | None:
    """The line without its prompt, or None when it has none. `# ` is root's prompt only in a console
    session: in a script it starts a comment."""
    bare = line.lstrip()
    if bare.startswith("$ ") or bare == "$":
        return bare[2:]
    if session and (bare.startswith("# ") or bare.startswith("% ")):
        return bare[2:]
    return None


def _session(lines: list[str], session: bool) -> tuple[str, str]:
    """The commands after the prompts (with their continuation lines and heredocs, whole) and the rest."""
    commands: list[str] = []
    output: list[str] = []
    going_on = False  # the last command line ended with a backslash
    heredoc: str | None = None  # the word that ends the open heredoc
    for line in lines:
        if heredoc is not None:
            commands.append(line)
            if line.strip() == heredoc:
                heredoc = None
            continue
        if going_on:
            part = line[2:] if line.startswith("> ") else line  # a continuation prompt (PS2)
        else:
            found = _prompt(line, session)
            if found is None:
                output.append(line)
                continue
            part = found
        commands.append(part)
        going_on = part.endswith("\\")
        opened = _HEREDOC.search(part)
        if opened is not None:
            heredoc = opened[2]
    return "\n".join(commands), "\n".join(output).strip("\n")


def as_session(command: str) -> str:
    """A command as a console session writes it: `$ ` before each line that starts a command (not before
    a continuation or a heredoc's lines), so that reading it back gives the same command."""
    out: list[str] = []
    going_on, heredoc = False, None
    for line in command.split("\n"):
        if heredoc is not None:
            out.append(line)
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        out.append(line if going_on else f"$ {line}")
        going_on = line.endswith("\\")
        opened = _HEREDOC.search(line)
        heredoc = opened[2] if opened is not None else None
    return "\n".join(out)


_QUERY_NAMES = {
    "promql": "PromQL",
    "logql": "LogQL",
    "sql": "SQL",
    "metricsql": "MetricsQL",
    "traceql": "TraceQL",
    "kql": "KQL",
    "kusto": "KQL",
    "nrql": "NRQL",
    "influxql": "InfluxQL",
    "flux": "Flux",
    "cql": "CQL",
}


def query_label(language: str) -> str:
    """The words shown with a query's box ("PromQL query"): a query is pasted into its tool, never run in a
    shell."""
    name = _QUERY_NAMES.get(language.lower(), language) if language and language != "query" else ""
    return f"{name} query" if name else "Query"
