"""What a server says, turned into what a person can do: login, TLS, privileges, unreachable."""

from __future__ import annotations

import pytest

from commander.store.errors import StoreDenied, StoreUnreachable, describe

WHERE = "postgresql+psycopg://alex@db.example/commander"


@pytest.mark.parametrize(
    ("said", "kind", "advice"),
    [
        ('connection failed: FATAL:  password authentication failed for user "alex"', StoreDenied, "remote set"),
        ("connection failed: SSL error: certificate verify failed", StoreDenied, "sslrootcert"),
        ("connection failed: server does not support SSL, but SSL was required", StoreDenied, "sslmode"),
        ("permission denied for table events", StoreDenied, "responder role"),
        ("events are append-only: UPDATE refused", StoreDenied, "append-only"),
        ('connection failed: FATAL:  database "commander" does not exist', StoreDenied, "database name"),
        ("connection failed: Connection refused", StoreUnreachable, "when it is back"),
        ("consuming input failed: server closed the connection unexpectedly", StoreUnreachable, "keeps working"),
        ("connection failed: timeout expired", StoreUnreachable, "cannot be reached"),
    ],
)
def test_server_errors_become_sentences(said: str, kind: type, advice: str) -> None:
    error = describe(RuntimeError(said), WHERE)
    assert isinstance(error, kind)
    assert advice in str(error) and WHERE in str(error)


def test_an_unknown_error_stays_a_bug() -> None:
    assert describe(RuntimeError("division by zero"), WHERE) is None
