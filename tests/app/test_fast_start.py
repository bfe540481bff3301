"""Opening a ready local store reads it without SQLAlchemy; writing brings the writing side in."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.bootstrap import build_console, local_file
from commander.domain.incident.decisions import Declaration
from commander.store.errors import StoreError
from commander.store.local import LocalReader


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_ready_store_opens_and_reads_without_importing_sqlalchemy(tmp_path: Path) -> None:
    store = tmp_path / "c.db"
    console = build_console(str(store), user="Alex")
    incident = app_incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1"))
    timeline.add_note(console, incident.id, "Rolled back")
    console.close()
    out = _run(f"""
        import sys
        from commander.app import timeline
        from commander.app.bootstrap import build_console
        console = build_console({str(store)!r})
        [summary] = console.incidents()
        view = console.view(summary.id)
        print(summary.reference, len(view.entries), "sqlalchemy" in sys.modules)
        timeline.add_note(console, summary.id, "written after the window is up")
        print(len(console.view(summary.id).entries), "sqlalchemy" in sys.modules)
    """).split()
    assert out == [incident.reference, "3", "False", "4", "True"]


def test_warm_up_makes_the_writing_side_in_the_background(tmp_path: Path) -> None:
    build_console(str(tmp_path / "c.db")).close()
    console = build_console(str(tmp_path / "c.db"))
    console.warm_up().join(timeout=60)
    assert console._database is not None  # noqa: SLF001 - the point of the test
    console.close()


def test_a_file_that_is_not_a_database_is_refused_with_a_sentence(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"this is not a database, it is my shopping list\n" * 100)
    before = junk.read_bytes()
    with pytest.raises(StoreError, match="is not a Commander database"):
        build_console(str(junk))
    with pytest.raises(StoreError, match="is not a Commander database"):
        LocalReader(junk).schema_version()
    assert junk.read_bytes() == before


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////var/x/c.db", Path("/var/x/c.db")),
        ("sqlite:///rel.db", Path("rel.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:/x.db?mode=ro&uri=true", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_only_plain_sqlite_files_take_the_fast_path(url: str, expected: Path | None) -> None:
    assert local_file(url) == expected
