"""The real `commander` process given bytes that are not UTF-8 (an argument, standard input) and an
--out that is a symlink: one sentence, no traceback; the link is written through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SCRIPT = Path(sys.executable).with_name("commander")


def commander(*argv: str | bytes, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(SCRIPT), *argv], input=stdin, capture_output=True, timeout=60, env=os.environ.copy(), check=False
    )


def one_sentence(result: subprocess.CompletedProcess[bytes], fragment: str) -> None:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and b"Traceback" not in result.stderr, err
    assert err.startswith("commander: ") and err.count("\n") == 1 and fragment in err, err


def test_bytes_that_are_not_utf8_get_a_sentence(tmp_path: Path) -> None:
    db = str(tmp_path / "commander.db")
    declared = commander("--db", db, "declare", "--title", "Checkout API returning 502s")
    assert declared.returncode == 0, declared.stderr
    one_sentence(commander("--db", db, "show", b"INC-\xff"), "The reference 'INC-\\xff' is not UTF-8 text")
    one_sentence(
        commander(
            "--db",
            db,
            "alerts",
            "source",
            "add",
            "alertmanager",
            "prod",
            "--url",
            "https://am.example",
            "--auth",
            "bearer",
            stdin=b"t\xffken\n",
        ),
        "The secret is not UTF-8 text",
    )
    one_sentence(
        commander(
            "--db",
            db,
            "remote",
            "set",
            "postgresql+psycopg://ops@127.0.0.1:9/c",
            "--password-stdin",
            stdin=b"pa\xfess\n",
        ),
        "What was typed or piped in is not UTF-8 text",
    )


def test_export_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    db = str(tmp_path / "commander.db")
    reference = commander("--db", db, "declare", "--title", "Checkout API returning 502s").stdout.decode().strip()
    (tmp_path / "real.md").write_text("old")
    (tmp_path / "latest.md").symlink_to("real.md")
    exported = commander("--db", db, "export", reference, "--out", str(tmp_path / "latest.md"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "latest.md").is_symlink()
    assert (tmp_path / "real.md").read_text(encoding="utf-8").startswith(f"# {reference}")
