"""The composition root and the shipped resources: what a console is built from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from commander.app import bootstrap, timeline
from commander.app.bootstrap import build_console, store_url
from commander.app.console import Console
from commander.app.setup.resources import load_policy, resources_dir
from commander.domain.core.clock import pack
from commander.domain.core.errors import DomainError
from commander.store.repository import EventLog


def test_store_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert store_url("postgresql+psycopg://ic@127.0.0.1/commander") == "postgresql+psycopg://ic@127.0.0.1/commander"
    assert store_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.chdir(tmp_path)
    assert store_url("rel.db") == f"sqlite:///{tmp_path / 'rel.db'}"
    home = Path(bootstrap.os.environ["COMMANDER_HOME"])
    assert store_url(None) == f"sqlite:///{home / 'commander.db'}"
    monkeypatch.setenv("COMMANDER_DB", "sqlite:////elsewhere/c.db")
    assert store_url(None) == "sqlite:////elsewhere/c.db"


def test_the_default_store_is_under_commander_home() -> None:
    console = build_console()
    try:
        assert Path(console.database.where) == Path(bootstrap.os.environ["COMMANDER_HOME"]) / "commander.db"
        assert Path(console.database.where).is_file()
    finally:
        console.close()


def test_identity_is_kept_in_the_store(open_console: Callable[..., Console]) -> None:
    first = open_console()
    second = open_console()
    assert first.console_id == second.console_id
    assert first.me == second.me
    assert first.me.name == "Alex"  # from COMMANDER_USER
    assert open_console(user=" Sam ").me.name == "Sam"
    assert open_console().me.name == "Alex", "user= names this session only"


def test_a_new_console_never_stamps_below_what_the_store_holds(
    console: Console, incident_id: str, open_console: Callable[..., Console]
) -> None:
    """A store written by a laptop whose clock ran an hour fast: our stamps still sort after its events."""
    (note,) = timeline.add_note(console, incident_id, "from the fast laptop")
    far_ahead = pack((note.hlc >> 16) + 3_600_000, 0)
    with console.database.write() as conn:
        conn.execute(sa.text("UPDATE events SET hlc = :hlc WHERE id = :id"), {"hlc": far_ahead, "id": note.id})
    later = open_console()
    (reply,) = timeline.add_note(later, incident_id, "reply")
    assert reply.hlc > far_ahead
    with later.database.read() as conn:
        assert EventLog(conn).stream(f"incident:{incident_id}")[-1].id == reply.id


def test_the_shipped_policy_and_resources_are_found() -> None:
    folder = resources_dir()
    assert (folder / "policy.toml").is_file()
    policy = load_policy()
    assert policy.default_severity == "SEV3"


def test_commander_policy_points_at_a_team_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    team = tmp_path / "team-policy.toml"
    team.write_text(
        'default_severity = "P2"\n[[severity]]\nkey = "P1"\nname = "Page"\ndescription = "d"\n'
        'colour = "#D55E00"\n[[severity]]\nkey = "P2"\nname = "Ticket"\ndescription = "d"\n'
        'colour = "#0072B2"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("COMMANDER_POLICY", str(team))
    assert [s.key for s in load_policy().severities] == ["P1", "P2"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("[[severity]\nkey = ", "Cannot read the policy file"),
        (
            '[[severity]]\nkey = "SEV1"\nname = "Critical"\ndescription = "d"\ncolour = "red"\n',
            "is not valid: Severity SEV1: colour 'red' is not of the form #RRGGBB.",
        ),
    ],
)
def test_a_broken_policy_file_names_the_file_and_the_fix(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DomainError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert str(path) in message and says in message


def test_a_missing_policy_file_says_how_to_recover(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMANDER_POLICY", str(tmp_path / "gone.toml"))
    with pytest.raises(DomainError, match="unset COMMANDER_POLICY to use the default"):
        load_policy()
