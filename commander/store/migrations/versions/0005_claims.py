"""Claims: doing a thing once across every console and watcher (a workflow action, a reply in chat).

A claim is a row keyed by what it is about (a workflow action's id); the first console to insert the key
holds it, and an insert of a key already there does nothing. On PostgreSQL the database records the login
that made each claim (never the client) and refuses UPDATE, DELETE and TRUNCATE for every role, as it does
for events: a claim cannot be taken over or cleared to make an action run twice.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("claimed_at", sa.BigInteger, nullable=False),
        sa.Column("login", sa.String(64), nullable=True),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION commander_claims_stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        BEGIN
            NEW.login := session_user;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER commander_claims_stamp BEFORE INSERT ON claims
        FOR EACH ROW EXECUTE FUNCTION commander_claims_stamp()""")
    op.execute("""
        CREATE FUNCTION commander_claims_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'claims are kept: % is refused', TG_OP;
        END $$""")
    op.execute("""
        CREATE TRIGGER commander_claims_kept BEFORE UPDATE OR DELETE ON claims
        FOR EACH ROW EXECUTE FUNCTION commander_claims_kept()""")
    op.execute("""
        CREATE TRIGGER commander_claims_not_truncated BEFORE TRUNCATE ON claims
        FOR EACH STATEMENT EXECUTE FUNCTION commander_claims_kept()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS commander_claims_not_truncated ON claims")
        op.execute("DROP TRIGGER IF EXISTS commander_claims_kept ON claims")
        op.execute("DROP FUNCTION IF EXISTS commander_claims_kept()")
        op.execute("DROP TRIGGER IF EXISTS commander_claims_stamp ON claims")
        op.execute("DROP FUNCTION IF EXISTS commander_claims_stamp()")
    op.drop_table("claims")
