"""Where runbook files come from: the git work tree a file sits in (its identity is its path there, so
the same collection imported from another folder depth or another clone is the same runbooks), when git
last saw each file change, and Markdown pages that only link to other pages.

Git is asked with its own command line, once per repository for a whole import (`git log --name-only`
over the folders imported): a library of 1,000 files costs one process, not 1,000. Without git, or when
it fails or is slow, files simply have no date.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

GIT_SECONDS = 30.0  # one `git log` over a large repository's history; past this the import goes without dates
_MARK = "\x01"  # starts each commit's line in our `--format`; a file name cannot start with it in practice


def repository_of(folder: Path, known: dict[Path, Path | None]) -> Path | None:
    """The root of the git work tree holding `folder` (resolved): the nearest folder with a `.git` folder,
    or a `.git` file as worktrees and submodules have; None outside git. `known` caches the answer for
    every folder walked, so a tree of 1,000 files costs a few `stat` calls per folder."""
    walked: list[Path] = []
    here = folder
    found: Path | None = None
    while True:
        if here in known:
            found = known[here]
            break
        walked.append(here)
        if (here / ".git").exists():
            found = here
            break
        if here.parent == here:
            break
        here = here.parent
    for place in walked:
        known[place] = found
    return found


def git_dates(repository: Path, paths: Iterable[Path], *, seconds: float = GIT_SECONDS) -> dict[Path, datetime]:
    """When each file under `paths` (files or folders inside `repository`) was last committed, from one
    `git log`: newest commits come first, so a file's first mention is its last change. Files git does
    not track are absent; so is everything when git is missing, refuses the folder or takes too long."""
    specs = sorted({path.relative_to(repository).as_posix() for path in paths})
    # --literal-pathspecs: a folder named "[Deprecated]" is a name, not a pattern. %cI is the committer
    # date in strict ISO 8601 (https://git-scm.com/docs/pretty-formats); the committer date, not the
    # author's, is when the change landed in the branch the team reads.
    command = [
        "git",
        "--literal-pathspecs",
        "-c",
        "core.quotepath=off",
        "-C",
        str(repository),
        "log",
        f"--format={_MARK}%cI",
        "--name-only",
        "--no-color",
        "--",
        *specs,
    ]
    # GIT_DIR and friends (set when Commander runs from a git hook) would point git at another repository.
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=seconds, env=env, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        log.info("git is not installed: runbooks without a reviewed date get no date from git")
        return {}
    except (subprocess.TimeoutExpired, OSError) as error:
        log.warning("git log in %s gave no answer (%s): runbooks from it get no date from git", repository, error)
        return {}
    if done.returncode != 0:
        log.info("git log in %s failed: %s", repository, done.stderr.decode(errors="replace").strip()[:300])
        return {}
    return _parse(done.stdout.decode("utf-8", errors="replace"), repository)


def _parse(output: str, repository: Path) -> dict[Path, datetime]:
    dates: dict[Path, datetime] = {}
    when: datetime | None = None
    for line in output.splitlines():
        if line.startswith(_MARK):
            try:
                when = datetime.fromisoformat(line[1:].strip()).astimezone(UTC)
            except ValueError:
                when = None
        elif line and when is not None:
            dates.setdefault(repository / line, when)
    return dates


# -- index pages ------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]*)[^)]*\)")
_REFERENCE_LINK = re.compile(r"\[([^\]]*)\]\[([^\]]*)\]")
_DEFINITION = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?([^\s>]+)")
_LIST_MARK = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_ADDRESS = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def index_page(text: str) -> bool:
    """A Markdown page that only points at other pages (a folder's README listing its runbooks): every
    line but two or so of prose links to another page of the collection, and there is no command.
    Steps that link to dashboards (web addresses) do not count: those make a runbook."""
    lines = _FRONT_MATTER.sub("", text, count=1).splitlines()
    defined = {match[1].strip().lower(): match[2] for match in map(_DEFINITION.match, lines) if match}

    def local(target: str) -> bool:
        return bool(target) and not _ADDRESS.match(target) and not target.startswith("#")

    pages, prose = 0, 0
    for raw in lines:
        line = raw.strip()
        if line and (line.startswith(("```", "~~~")) or raw.startswith(("    ", "\t"))):
            return False  # a command block: a runbook, however short
        if not line or line.startswith(("#", "<!--", "---", "===", "|")) or _DEFINITION.match(line):
            continue
        targets = _INLINE_LINK.findall(line) + [
            defined.get((label or text).strip().lower(), "") for text, label in _REFERENCE_LINK.findall(line)
        ]
        if any(local(target) for target in targets):
            pages += 1
        elif _LIST_MARK.match(line) or len(line.split()) > 3:
            prose += 1
    return pages > 0 and prose <= 2
