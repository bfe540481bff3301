"""A fresh PostgreSQL database per test on the local server.

Without a server the test skips with the reason; in CI (CI=true) it fails instead, so a missing server
cannot pass unnoticed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

SERVER = os.environ.get("COMMANDER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_database() -> Iterator[str]:
    # pre_ping: a test may restart the server, which leaves this pool holding dead connections.
    admin = sa.create_engine(
        SERVER, isolation_level="AUTOCOMMIT", pool_pre_ping=True, connect_args={"connect_timeout": 3}
    )
    name = f"commander_sync_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the PostgreSQL at {SERVER}: {error.orig}")
        pytest.skip(f"no PostgreSQL at {SERVER}: {error.orig}")
    try:
        yield sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
