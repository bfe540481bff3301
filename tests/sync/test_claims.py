"""Claims through the shared store: the first console to claim a key holds it, whatever the race; a console
that cannot reach its shared store claims nothing; on PostgreSQL a claim cannot be changed or cleared."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from commander.app import claims
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.app.setup import remote as remotes
from commander.integrations.secrets import SecretStore
from commander.sync.replicator import Replicator

Make = Callable[..., tuple[Console, Replicator]]


def test_the_first_claim_wins_and_the_others_are_told_who_holds_it(shared_url: str, console_on: Make) -> None:
    alex, _ = console_on("alex", shared_url)
    sam, _ = console_on("sam", shared_url)
    first = claims.claim(alex, "action-1")
    second = claims.claim(sam, "action-1")
    assert (first.won, second.won) == (True, False)
    assert second.holder == alex.console_id
    assert claims.claim(alex, "action-1").won, "the holder claiming again resumes its own work"
    assert claims.claim(sam, "action-2").won


def test_racing_consoles_make_one_winner(shared_url: str, console_on: Make) -> None:
    consoles = [console_on(f"c{n}", shared_url)[0] for n in range(4)]
    results: list[claims.Claim] = []
    start = threading.Barrier(len(consoles))

    def race(console: Console) -> None:
        start.wait()
        for key in range(20):
            results.append(claims.claim(console, f"key-{key}"))

    threads = [threading.Thread(target=race, args=(console,)) for console in consoles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for key in range(20):
        mine = [result for result in results if result.key == f"key-{key}"]
        assert len(mine) == 4 and sum(result.won for result in mine) == 1
        assert len({result.holder for result in mine}) == 1


def test_a_console_without_a_shared_store_claims_in_its_own(tmp_path: Path) -> None:
    console = build_console(str(tmp_path / "one.db"))
    try:
        with console.database.write() as conn:
            conn.execute(sa.text("INSERT INTO claims (key, holder, claimed_at) VALUES ('theirs', 'watcher', 0)"))
        assert claims.claim(console, "k").won
        assert claims.claim(console, "k").won
        taken = claims.claim(console, "theirs")
        assert (taken.won, taken.holder) == (False, "watcher")
    finally:
        console.close()


def test_an_unreachable_shared_store_is_offline_and_claims_nothing(tmp_path: Path, secrets: SecretStore) -> None:
    console = build_console(str(tmp_path / "c.db"))
    try:
        remotes.set_remote(console, "postgresql+psycopg://nobody@127.0.0.1:1/commander", secrets)
        with pytest.raises(claims.Offline):
            claims.claim(console, "k")
    finally:
        claims.close(console)
        console.close()


@pytest.mark.postgres
@pytest.mark.parametrize("shared_url", ["postgres"], indirect=True)
def test_postgres_keeps_claims_and_records_the_login(shared_url: str, console_on: Make) -> None:
    alex, _ = console_on("alex", shared_url)
    claims.claim(alex, "k")
    engine = sa.create_engine(shared_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT login FROM claims WHERE key = 'k'")).scalar_one() == "postgres"
        for statement in ("DELETE FROM claims", "UPDATE claims SET holder = 'x'", "TRUNCATE claims"):
            with pytest.raises(sa.exc.DBAPIError, match="claims are kept"), engine.begin() as conn:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()
