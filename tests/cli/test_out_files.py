"""`--out` writes through to what the path names: a symlink's target (the link stays), a FIFO or a
character device in place (it stays one), a regular file atomically; a folder, a socket or a disk is
refused. Every command that writes a file a person names goes through the one helper."""

from __future__ import annotations

import os
import re
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from commander.cli.outfile import write_out
from commander.cli.session import Refusal
from tests.cli.conftest import Run, refused

CLI = Path(__file__).resolve().parents[2] / "commander" / "cli"


@pytest.fixture
def ref(declare: Callable[..., str]) -> str:
    return declare("Checkout API returning 502s")


def test_a_symlink_is_followed_and_stays_a_link(run: Run, ref: str, tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "latest.md"
    link.symlink_to(real.name)  # relative, as people make them
    result = run("export", ref, "--out", str(link))
    assert (result.code, result.err) == (0, "")
    assert link.is_symlink() and os.readlink(link) == "real.md"
    assert real.read_text(encoding="utf-8").startswith(f"# {ref}: Checkout API returning 502s")
    dangling = tmp_path / "next.md"
    dangling.symlink_to(tmp_path / "made-by-export.md")
    assert run("export", ref, "--out", str(dangling)).code == 0
    assert dangling.is_symlink() and (tmp_path / "made-by-export.md").read_text(encoding="utf-8").startswith("# ")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_written_in_place_for_its_reader(run: Run, ref: str, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("export", ref, "--format", "json", "--out", str(fifo))
    reader.join(timeout=30)
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and b'"reference": "' + ref.encode() + b'"' in received[0]


def test_a_character_device_is_written_in_place(tmp_path: Path) -> None:
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers, in a folder of our own
    except (PermissionError, AttributeError, OSError) as error:
        pytest.skip(f"cannot make a device node here: {error}")
    write_out(null, "# exported\n")
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary beside it


def test_a_folder_or_a_socket_is_refused_with_a_sentence(run: Run, ref: str, tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    refused(
        run("export", ref, "--out", str(folder)),
        f"Cannot write {folder}: it is a folder",
        "choose another file with --out",
    )
    assert list(folder.iterdir()) == []
    server = socket.socket(socket.AF_UNIX)
    path = tmp_path / "s"
    try:
        server.bind(str(path))
        with pytest.raises(Refusal, match=r"it is a socket, and Commander writes only files"):
            write_out(path, "x")
        assert stat.S_ISSOCK(path.lstat().st_mode)
    finally:
        server.close()


def test_a_regular_file_is_still_replaced_atomically_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old")
    target.chmod(0o600)
    write_out(target, "a,b\r\n")
    assert target.read_bytes() == b"a,b\r\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    write_out(target, b"%PDF-1.7")
    assert target.read_bytes() == b"%PDF-1.7"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_every_command_that_writes_a_named_file_uses_the_one_helper() -> None:
    writers = {
        str(path.relative_to(CLI))
        for path in CLI.rglob("*.py")
        if re.search(
            r"os\.replace\(|NamedTemporaryFile|"
            r"write_(?:text|bytes)\(",
            path.read_text(),
        )
    }
    assert writers == {"outfile.py"}
    users = {str(path.relative_to(CLI)) for path in CLI.rglob("*.py") if "write_out(Path(args.out)" in path.read_text()}
    assert users == {
        "incident/exporting.py",
        "postmortem.py",
        "incident/checklists.py",
        "runbooks/commands.py",
        "oncall.py",
    }
