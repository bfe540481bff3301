"""Writing the file a person names with --out: through to what the path names, never over it.

A regular file (or a new one) is replaced atomically: readers see the old file or the whole new one,
even if the power goes. A symbolic link is followed and its target written that way, so the link stays
a link. A FIFO or a character device (/dev/stdout, a terminal, /dev/null) is opened and written in
place, as a shell's `>` would: replacing it would put a plain file where the pipe or device was. A
folder, a socket or a disk is refused with a sentence.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from commander.cli.session import Refusal

_ELSEWHERE = "Choose another file with --out, or leave --out off to print to the terminal."


def write_out(target: Path, data: str | bytes) -> None:
    """Write `data` (text is written as UTF-8, line ends unchanged) to the file `target` names."""
    target = target.expanduser()
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        found = target.stat()  # follows links: what the path names in the end
    except FileNotFoundError:
        found = None  # a new file, or a link to one not made yet
    except OSError as error:
        raise Refusal(f"Cannot write {target}: {error.strerror or error}. {_ELSEWHERE}") from error
    if found is None or stat.S_ISREG(found.st_mode):
        # realpath: a link's target is replaced, not the link (nor a link chain's last hop by a new file).
        _replace(Path(os.path.realpath(target)) if target.is_symlink() else target, payload, found, shown=target)
    elif stat.S_ISFIFO(found.st_mode) or stat.S_ISCHR(found.st_mode):
        _write_in_place(target, payload)
    else:
        what = (
            "a folder"
            if stat.S_ISDIR(found.st_mode)
            else "a disk device"
            if stat.S_ISBLK(found.st_mode)
            else "a socket"
            if stat.S_ISSOCK(found.st_mode)
            else "not a file"
        )
        raise Refusal(f"Cannot write {target}: it is {what}, and Commander writes only files. {_ELSEWHERE}")


def _replace(path: Path, payload: bytes, found: os.stat_result | None, *, shown: Path) -> None:
    temporary: Path | None = None
    try:
        mode = stat.S_IMODE(found.st_mode) if found is not None else 0o666 & ~_umask()
        with tempfile.NamedTemporaryFile(
            "wb", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as handle:
            temporary = Path(handle.name)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
        temporary = None
        _sync_folder(path.parent)
    except OSError as error:
        raise Refusal(f"Cannot write {shown}: {error.strerror or error}. {_ELSEWHERE}") from error
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _write_in_place(target: Path, payload: bytes) -> None:
    """A pipe or a device: opened for writing as it is (a FIFO waits for its reader, as with `>`)."""
    try:
        descriptor = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
    except OSError as error:
        raise Refusal(f"Cannot write {target}: {error.strerror or error}. {_ELSEWHERE}") from error


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); folders cannot be opened this way on Windows."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
