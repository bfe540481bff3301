"""Replication: the outbox of events the shared store has not acknowledged, presence, and on
PostgreSQL a commit-ordered sequence with a NOTIFY that wakes the other consoles.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_outbox"),
    )
    op.create_table(
        "presence",
        sa.Column("console_id", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=True),
        sa.Column("seen_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("console_id", name="pk_presence"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # SQLite has its rowid; PostgreSQL gets an identity column. Pushes take a transaction-level
        # advisory lock, so sequence order is commit order and a puller never skips a late commit.
        op.execute("ALTER TABLE events ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY")
        op.create_index("ix_events_seq", "events", ["seq"], unique=True)
        op.execute("""
            CREATE FUNCTION commander_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('commander_events', '');
                RETURN NULL;
            END $$""")
        op.execute("""
            CREATE TRIGGER commander_events_notify AFTER INSERT ON events
            FOR EACH STATEMENT EXECUTE FUNCTION commander_events_notify()""")
        # History cannot be rewritten, whoever connects: UPDATE and DELETE on events raise.
        op.execute("""
            CREATE FUNCTION commander_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("""
            CREATE TRIGGER commander_events_append_only BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION commander_events_append_only()""")
        op.execute("""
            CREATE TRIGGER commander_events_no_truncate BEFORE TRUNCATE ON events
            FOR EACH STATEMENT EXECUTE FUNCTION commander_events_append_only()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS commander_events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS commander_events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS commander_events_append_only()")
        op.execute("DROP TRIGGER IF EXISTS commander_events_notify ON events")
        op.execute("DROP FUNCTION IF EXISTS commander_events_notify()")
        op.drop_index("ix_events_seq", "events")
        op.execute("ALTER TABLE events DROP COLUMN seq")
    op.drop_table("presence")
    op.drop_table("outbox")
