"""The runbook library on this console: reading it, importing files and folders, exporting, reviews
and edits. The library is a fold of the runbook events, kept (with its search index) until the store
changes, so asking for it twice costs one cheap query.
"""

from __future__ import annotations

import difflib
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from commander.app.console import Console
from commander.app.runbooks import sources as runbook_sources
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft
from commander.domain.runbooks import library as runbooks
from commander.domain.runbooks.export import parse_yaml, to_markdown, to_yaml
from commander.domain.runbooks.library import Runbook, RunbookRecord
from commander.domain.runbooks.markdown import Parsed, parse_markdown
from commander.domain.runbooks.search import Hit, SearchIndex
from commander.store.local import LocalReader

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
INDEX_PAGE = "an index page, not a runbook"
INDEX_PAGE_LINKS = "an index page (only links to other pages), not a runbook"
IMAGE, PEOPLE, OTHER_FILE = (
    "an image, not a runbook",
    "a list of owners or reviewers, not a runbook",
    "not Markdown or YAML, so not a runbook",
)
NOT_RUNBOOKS = frozenset((INDEX_PAGE, INDEX_PAGE_LINKS, IMAGE, PEOPLE, OTHER_FILE))
MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")
YAML = (".yaml", ".yml")
Progress = Callable[[int, int, str], None]  # (files done, files in all, the file just read)


@dataclass(frozen=True)
class ImportedFile:
    path: str
    runbook_id: str
    title: str
    version: int


@dataclass
class ImportReport:
    """What an import did with each file: every file is in exactly one of the first four lists."""

    imported: list[ImportedFile] = field(default_factory=list)  # new runbooks
    updated: list[ImportedFile] = field(default_factory=list)  # a new version of a known runbook
    unchanged: list[ImportedFile] = field(default_factory=list)  # same content: nothing written
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, what was imported differently)

    @property
    def files(self) -> int:
        return len(self.imported) + len(self.updated) + len(self.unchanged) + len(self.skipped)

    @property
    def not_runbooks(self) -> list[tuple[str, str]]:
        """The skipped files that were never meant to be runbooks (index pages, OWNERS, images): nothing
        to fix, unlike the rest of `skipped`."""
        return [(path, why) for path, why in self.skipped if why in NOT_RUNBOOKS]

    @property
    def problems(self) -> list[tuple[str, str]]:
        """The skipped files a person may want to fix: unreadable, empty, too large, broken YAML."""
        return [(path, why) for path, why in self.skipped if why not in NOT_RUNBOOKS]


class Skipped(Exception):
    """A file that cannot be imported; the message says why, in words for the report."""


# -- reading the library ----------------------------------------------------------------------------


@dataclass
class _Cache:
    """One console's library: its runbook events, their fold and the search index, kept up to date."""

    events: dict[str, Event] = field(default_factory=dict)  # by id: a re-read event is not a new version
    records: dict[str, RunbookRecord] = field(default_factory=dict)
    index: SearchIndex | None = None
    seen: int = -1  # a local file: the newest rowid read
    generation: int = 0  # other stores: bumped when this console writes or hears a runbook event
    read_at: int = -1  # the generation last read
    versions: dict[tuple[str, int], Runbook] = field(default_factory=dict)  # see fold_library's `read`
    weights: dict[str, dict[str, float]] = field(default_factory=dict)  # see SearchIndex's `known`
    lock: threading.Lock = field(default_factory=threading.Lock)


_caches: weakref.WeakKeyDictionary[Console, _Cache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(console: Console) -> _Cache:
    with _caches_lock:
        cache = _caches.get(console)
        if cache is None:
            cache = _caches[console] = _Cache()

            def heard(events: list[Event]) -> None:
                if any(event.kind in runbooks.EVENT_KINDS for event in events):
                    cache.generation += 1

            console.subscribe(heard)
    return cache


def library(console: Console) -> dict[str, RunbookRecord]:
    """Every runbook, retired ones too (RunbookRecord.retired). On a local file only the events written
    since the last call are read (a note added to an incident costs one small query, not a refold), and
    what other processes wrote is seen at once; on other stores the library is read again after this
    console wrote or heard a runbook event."""
    cache = _cache(console)
    with cache.lock:
        reads = console.reads
        fresh: list[Event] = []
        if isinstance(reads, LocalReader):
            newest = reads.max_rowid()
            if newest != cache.seen:
                kinds = set(runbooks.EVENT_KINDS)
                fresh = (
                    reads.of_kinds(runbooks.EVENT_KINDS)
                    if cache.seen < 0
                    else [event for event in reads.after_rowid(cache.seen) if event.kind in kinds]
                )
                cache.seen = newest
        elif cache.read_at != cache.generation:
            cache.read_at = cache.generation
            fresh = reads.of_kinds(runbooks.EVENT_KINDS)
        fresh = [event for event in fresh if event.id not in cache.events]
        if fresh:
            cache.events.update((event.id, event) for event in fresh)
            cache.records = runbooks.fold_library(cache.events.values(), read=cache.versions)
            cache.index = None
        return cache.records


def index(console: Console) -> SearchIndex:
    """The search index of the library as it is now, built at the first search after a change."""
    library(console)
    cache = _cache(console)
    with cache.lock:
        if cache.index is None:
            cache.index = SearchIndex(cache.records, known=cache.weights)
        return cache.index


def search(
    console: Console, text: str, *, services: Iterable[str] = (), alerts: Iterable[str] = (), limit: int = 50
) -> list[Hit]:
    """Runbooks that fit an incident's services and alert names first, then by how well the text fits.
    With no text, only the ones that fit the incident."""
    return index(console).search(text, services=services, alerts=alerts, limit=limit)


class Ambiguous(DomainError):
    """A name that fits several runbooks; `matches` holds them, to be listed with their paths."""

    def __init__(self, wanted: str, matches: Sequence[RunbookRecord]) -> None:
        self.wanted, self.matches = wanted, list(matches)
        tails = where(matches)
        names = ", ".join(
            f"{r.current.title} ({r.id[:8]}{', ' + tails[r.id] if tails[r.id] else ''})" for r in self.matches[:5]
        )
        super().__init__(
            f"'{wanted}' matches {len(self.matches)} runbooks: {names}. Name one by its id or its file's path."
        )


def where(records: Sequence[RunbookRecord]) -> dict[str, str]:
    """The end of each runbook's file path, as long as it takes to tell them apart (at least folder and
    file: payments/high-latency.md); "" for one written in Commander."""
    parts = {r.id: Path(r.current.source).parts if r.current.source else () for r in records}
    longest = max((len(found) for found in parts.values()), default=0)
    for count in range(2, longest + 1):
        tails = {key: "/".join(found[-count:]) for key, found in parts.items()}
        if len(set(tails.values())) == len(tails):
            break
    else:
        tails = {key: "/".join(found) for key, found in parts.items()}
    return {
        key: ("…/" if len(parts[key]) > len(tail.split("/")) else "") + tail if tail else ""
        for key, tail in tails.items()
    }


def find(console: Console, wanted: str, *, records: dict[str, RunbookRecord] | None = None) -> RunbookRecord:
    """A runbook by its id (or the start of it), its file's path (whole, or its end: `payments/high-latency.md`),
    its title (or the start of it, any case), or its file's name: `KubePodCrashLooping`, `kube-pod-crash`,
    `3f2a9c`. A name several runbooks fit raises Ambiguous."""
    records = library(console) if records is None else records
    text = wanted.strip()
    if not text:
        raise DomainError("No runbook named. `commander runbook list` shows them.")
    if text in records:
        return records[text]
    squeezed = _squeeze(text)
    every = records.values()
    squeezed_names = {r.id: (_squeeze(r.current.title), _squeeze(_stem(r.current.source))) for r in every}
    at_path = _at_path(text)
    tiers = (
        [r for r in every if at_path(r.current.source)],
        [r for r in every if squeezed and squeezed in squeezed_names[r.id]],
        [r for r in every if len(text) >= 4 and r.id.startswith(text.lower())],
        [r for r in every if squeezed and squeezed_names[r.id][0].startswith(squeezed)],
    )
    for found in tiers:
        live = [record for record in found if not record.retired]
        found = live if len(live) == 1 else found
        if len(found) == 1:
            return found[0]
        if found:
            raise Ambiguous(wanted, sorted(found, key=lambda r: r.current.source))
    raise DomainError(f"No runbook matches '{wanted}'. `commander runbook search WORDS` finds one by its content.")


def _at_path(text: str) -> Callable[[str], bool]:
    """Whether `text` names a runbook's file (its source): the same file, or the end of its path in whole
    folder and file names (`kubernetes/node-not-ready.md`, or without the suffix)."""
    if "/" not in text and os.sep not in text and not text.lower().endswith(MARKDOWN + YAML):
        return lambda source: False
    given = Path(text).expanduser()
    try:
        exact = str(given.resolve()) if given.is_absolute() or given.exists() else None
    except OSError:
        exact = None
    tail = "/" + given.as_posix().lower().removeprefix("./")

    def named(source: str) -> bool:
        if not source:
            return False
        path = Path(source).as_posix().lower()
        return source == exact or path.endswith(tail) or _stem_path(path).endswith(tail)

    return named


def _squeeze(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


def _stem(path: str) -> str:
    return Path(path).stem if path else ""


def stale_days(console: Console) -> int:
    return console.policy.runbook_stale_days


def is_stale(console: Console, record: RunbookRecord) -> bool:
    return record.current.stale(console.now(), stale_days(console))


# -- changing it ------------------------------------------------------------------------------------


def save(console: Console, runbook: Runbook) -> RunbookRecord:
    """Save an edit as a new version (nothing is written when the content did not change). A runbook
    without an id is a new one, named after its title."""
    if not runbook.id:
        runbook = replace(runbook, id=runbooks.runbook_id_for(title=runbook.title))
    console.record(runbooks.save(library(console), runbook))
    return library(console)[runbook.id]


def mark_reviewed(console: Console, wanted: str, note: str = "") -> RunbookRecord:
    record = find(console, wanted)
    console.record(runbooks.mark_reviewed(record, note))
    return library(console)[record.id]


def retire(console: Console, wanted: str) -> RunbookRecord:
    record = find(console, wanted)
    console.record(runbooks.retire(record))
    return library(console)[record.id]


def close_suggestion(
    console: Console, wanted: str, suggestion_id: str, *, accepted: bool, note: str = ""
) -> RunbookRecord:
    record = find(console, wanted)
    console.record(runbooks.close_suggestion(record, suggestion_id, accepted=accepted, note=note))
    return library(console)[record.id]


# -- importing --------------------------------------------------------------------------------------


def import_paths(
    console: Console, paths: Sequence[str | os.PathLike[str]], *, progress: Progress | None = None
) -> ImportReport:
    """Import Markdown and YAML runbooks from files and folder trees. Every file is read and decided
    first (one bad file never stops the rest), then every new version is written in one transaction."""
    report, drafts = plan_import(library(console), paths, progress=progress)
    record_import(console, drafts)
    return report


def record_import(console: Console, drafts: Sequence[EventDraft]) -> list[Event]:
    """Write what `plan_import` decided, in one transaction (the window plans off its UI thread, then
    records here)."""
    return console.record(drafts) if drafts else []


def _files(paths: Sequence[str | os.PathLike[str]], report: ImportReport) -> list[tuple[Path, Path]]:
    """(file, the folder it was found from) for every runbook file under the paths, each once, in order.
    Hidden files and folders (.git) are passed over; so is a folder's own README and Hugo's _index.md."""
    found: dict[Path, Path] = {}
    given_paths = [Path(given).expanduser() for given in paths]
    # Folders first: a file named on its own that is also inside a folder named gets its id from its
    # place in that folder, as it would when the folder alone is imported.
    for path in sorted(given_paths, key=lambda p: not p.is_dir()):
        if path.is_dir():
            root = path.resolve()
            for folder, folders, names in os.walk(root):
                folders[:] = sorted(name for name in folders if not name.startswith("."))
                for name in sorted(names):
                    file = Path(folder) / name
                    if name.startswith("."):  # .gitignore, .gitkeep: the tools' files, not the collection's
                        continue
                    if not name.lower().endswith(MARKDOWN + YAML):
                        report.skipped.append((str(file), not_a_runbook(name)))
                        continue
                    if name.lower() == "_index.md" or (Path(folder) == root and name.lower() == "readme.md"):
                        report.skipped.append((str(file), INDEX_PAGE))
                        continue
                    found.setdefault(file, root)
        elif path.is_file():
            found.setdefault(path.resolve(), path.resolve().parent)
        else:
            report.skipped.append((str(path), "no such file or folder"))
    return list(found.items())


_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".ico", ".tif", ".tiff", ".drawio")
_PEOPLE_FILES = ("owners", "owners_aliases", "codeowners", "maintainers", "reviewers", "security_contacts")


def not_a_runbook(name: str) -> str:
    """Why a file found in a folder is not read: the words the import report shows."""
    lowered = name.lower()
    if lowered.endswith(_IMAGES):
        return IMAGE
    if Path(lowered).stem in _PEOPLE_FILES:
        return PEOPLE
    return OTHER_FILE


def read_file(path: Path) -> Parsed:
    """Read one runbook file; raises Skipped with the reason for a file that cannot be one."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise Skipped("larger than 5 MB")
        data = path.read_bytes()
    except OSError as error:
        raise Skipped(f"cannot be read: {error.strerror or error}") from None
    text, note = decode(data)
    if not text.strip():
        raise Skipped("empty file")
    if path.suffix.lower() in YAML:
        try:
            parsed = parse_yaml(text, name=path.name)
        except DomainError as error:
            raise Skipped(str(error)) from None
    else:
        if runbook_sources.index_page(text):
            raise Skipped(INDEX_PAGE_LINKS)
        parsed = parse_markdown(text, name=path.name)
    return replace(parsed, notes=((note,) if note else ()) + parsed.notes)


_TEXT_BYTES = bytes(range(9, 14)) + bytes(range(32, 256))  # what is left after deleting these: controls


def decode(data: bytes) -> tuple[str, str]:
    """Text from a file's bytes, and a note when it was not UTF-8. Files with a UTF-16 byte order mark
    are read as such; other text that is not UTF-8 is read as Windows-1252 (what editors on Windows
    save), with a note to check accented letters; binary files are skipped."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ""
        except UnicodeDecodeError:
            raise Skipped("binary file, not text") from None
    head = data[:8192]
    if b"\x00" in head or len(head.translate(None, _TEXT_BYTES)) > len(head) // 10:
        raise Skipped("binary file, not text")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as error:
        where = data[: error.start].count(b"\n") + 1
        return data.decode("cp1252", errors="replace"), (
            f"Not UTF-8 (first at line {where}): read as Windows-1252. Check accented letters, and save the "
            f"file as UTF-8."
        )


class _Identities:
    """Which runbook each file is, for one import.

    A file's id comes from its path within its git repository (the nearest `.git`, a folder or a
    worktree's file), so importing `repo/runbooks/` or `repo/runbooks/kubernetes/`, or a second clone at
    another path, names the same runbooks; outside git the path within the folder imported stands in.
    Libraries imported before this made ids from the path within the folder imported, git or not; those
    runbooks keep their ids: a file is first matched to the runbook imported from that very file, then
    to one with the id it would have had the old way, then to one with the same content and file name,
    and only then becomes a new runbook with a repository-relative id."""

    def __init__(self, records: dict[str, RunbookRecord]) -> None:
        self.records = records
        self.by_source = {record.current.source: record.id for record in records.values() if record.current.source}
        self.repositories: dict[Path, Path | None] = {}
        self._by_content: dict[tuple[str, str], list[str]] | None = None

    def repository(self, path: Path) -> Path | None:
        return runbook_sources.repository_of(path.parent, self.repositories)

    def of(self, parsed: Parsed, path: Path, root: Path, taken: Iterable[str]) -> str:
        if parsed.key:
            return runbooks.runbook_id_for(key=parsed.key)
        if str(path) in self.by_source:
            return self.by_source[str(path)]
        repository = self.repository(path)
        made = _path_id(path, repository or root)
        if made in self.records or repository is None:
            return made
        old_way = self.records.get(_path_id(path, root))
        if old_way is not None and _stem_path(old_way.current.source).endswith(
            "/" + _stem_path(str(path.relative_to(root)))
        ):
            return old_way.id
        same = [known for known in self._same_content(parsed.runbook, path) if known not in taken]
        return same[0] if same else made

    def _same_content(self, runbook: Runbook, path: Path) -> list[str]:
        if self._by_content is None:  # only when a file is new here: a re-import never builds it
            self._by_content = {}
            for record in self.records.values():
                if record.current.source:
                    key = (_content_digest(record.current), Path(record.current.source).name.lower())
                    self._by_content.setdefault(key, []).append(record.id)
        return self._by_content.get((_content_digest(runbook), path.name.lower()), [])


def _path_id(path: Path, base: Path) -> str:
    return runbooks.runbook_id_for(path=path.relative_to(base).with_suffix("").as_posix().lower())


def _stem_path(path: str) -> str:
    return "/" + Path(path).with_suffix("").as_posix().lower().lstrip("/")


def _content_digest(runbook: Runbook) -> str:
    """The digest without git's date, which older imports did not record."""
    return (
        runbook.digest
        if runbook.digest and runbook.changed_at is None
        else runbooks.digest_of(replace(runbook, changed_at=None))
    )


# -- writing it out ---------------------------------------------------------------------------------


def export_yaml(record: RunbookRecord, version: int | None = None) -> str:
    runbook = record.current if version is None else record.version(version)
    return to_yaml(
        runbook,
        header=f"Commander runbook '{runbook.title}', version {runbook.version}. "
        f"Import it again to save your edits as a new version.",
    )


def export_markdown(record: RunbookRecord, version: int | None = None) -> str:
    return to_markdown(record.current if version is None else record.version(version))


def diff(a: Runbook, b: Runbook) -> list[str]:
    """What changed from `a` to `b`, as a unified diff of their Markdown."""
    return list(
        difflib.unified_diff(
            to_markdown(a).splitlines(),
            to_markdown(b).splitlines(),
            fromfile=f"version {a.version}",
            tofile=f"version {b.version}",
            lineterm="",
        )
    )


# -- importing in two steps (added for the library window) ---------------------------------------------


def plan_import(
    records: dict[str, RunbookRecord], paths: Sequence[str | os.PathLike[str]], *, progress: Progress | None = None
) -> tuple[ImportReport, list[EventDraft]]:
    """What import_paths would do, without writing: the report and the events to record. It touches
    neither the store nor the console, so a window can read hundreds of files on a worker thread and
    record the result on its own thread; `progress` may raise to stop between files."""
    report = ImportReport()
    files = _files(paths, report)
    identities = _Identities(records)
    changed = _git_dates(files, identities)
    titles = {
        _squeeze(r.current.title): (r.id, r.current.source or r.id[:8]) for r in records.values() if not r.retired
    }
    drafts: list[EventDraft] = []
    batch: dict[str, str] = {}  # runbook id -> the file it came from in this import
    for done, (path, root) in enumerate(files, start=1):
        shown = str(path)
        try:
            parsed = read_file(path)
            runbook_id = identities.of(parsed, path, root, batch)
            if runbook_id in batch:
                raise Skipped(f"it has the same id as {batch[runbook_id]}: give one of them another `id:`")
            batch[runbook_id] = shown
            runbook = replace(parsed.runbook, id=runbook_id, source=shown)
            if runbook.reviewed_at is None and runbook.changed_at is None and path in changed:
                runbook = replace(runbook, changed_at=changed[path])
            report.notes += [(shown, note) for note in parsed.notes]
            twin_id, where = titles.setdefault(_squeeze(runbook.title), (runbook_id, shown))
            if twin_id != runbook_id:
                report.notes.append(
                    (shown, f"Another runbook has the same title ({where}): both are kept. Give one a clearer title.")
                )
            decided = runbooks.save(records, runbook)
            known = records.get(runbook_id)
            version = len(known.versions) if known else 0
            entry = ImportedFile(shown, runbook_id, runbook.title, version + (1 if decided else 0))
            (report.unchanged if not decided else report.updated if known else report.imported).append(entry)
            drafts += decided
        except (Skipped, DomainError) as why:
            report.skipped.append((shown, str(why)))
        except Exception:  # a bug in the parser must not cost the rest of the folder: log it, report it
            log.exception("Importing the runbook %s failed", path)
            report.skipped.append((shown, "Commander could not read it (a bug: the log has the details)"))
        if progress is not None:
            progress(done, len(files), shown)
    return report, drafts


def _git_dates(files: list[tuple[Path, Path]], identities: _Identities) -> dict[Path, datetime]:
    """The last commit date of every file that sits in a git work tree: one `git log` per repository,
    over the folders (or files) imported from it."""
    asked: dict[Path, set[Path]] = {}
    for path, root in files:
        repository = identities.repository(path)
        if repository is not None:
            # A repository nested in the folder imported is asked about as a whole: one pathspec, not a file each.
            asked.setdefault(repository, set()).add(root if root.is_relative_to(repository) else repository)
    dates: dict[Path, datetime] = {}
    for repository, places in asked.items():
        dates.update(runbook_sources.git_dates(repository, _outermost(places)))
    return dates


def _outermost(places: set[Path]) -> list[Path]:
    """The places without those inside another: one pathspec for a folder and its files."""
    return [place for place in places if not any(other != place and place.is_relative_to(other) for other in places)]
