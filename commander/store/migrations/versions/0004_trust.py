"""Trust: the shared store is input, not truth.

Every store gets a `login` column on events (filled by the database on PostgreSQL, never by the client),
a `quarantine` table for rows this console set aside, and a `login` column on presence.

On PostgreSQL the database, not the client, decides a row's sequence number, its login and its order:
- `seq` is no longer an identity column a client can override (`INSERT ... OVERRIDING SYSTEM VALUE`
  let one responder move every console's cursor past all real rows); a BEFORE INSERT trigger assigns it
  from `commander_event_seq` whatever the client sends, and records `session_user` as the row's login.
- The same trigger takes the row lock on `commander_sequencer` before it draws the number, so numbers
  become visible in commit order for every writer. The lock replaces the advisory lock pushes took: an
  advisory lock can be taken by anyone who can connect, a viewer included, while this row lock needs
  the trigger's owner (the function is SECURITY DEFINER); a viewer has no way to take it.
- Rows whose number the old identity never issued (forged) are renumbered after the real ones, and a
  console whose cursor was pushed past every real row notices (its cursor is beyond what the sequence
  issued) and reads the store again from the start.
- Presence rows carry their login; row-level security lets a login insert and change only its own, and
  a trigger bounds how many one login may keep.

On a local SQLite store, rows pulled before this version that fail today's checks (a clock stamp years
ahead, a payload that is not an object...) are moved into the quarantine, and the projections they
touched are redone.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PRESENCE_PER_LOGIN = 50  # consoles one login may show at once; a login past it loses its stalest rows


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("login", sa.String(64), nullable=True))
    with op.batch_alter_table("presence") as batch:
        batch.add_column(sa.Column("login", sa.String(64), nullable=True))
    op.create_table(
        "quarantine",
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(80), nullable=True),
        sa.Column("kind", sa.String(80), nullable=True),
        sa.Column("login", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.BigInteger(), nullable=False),
        sa.Column("release_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("source", "seq", name="pk_quarantine"),
    )
    if bind.dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite(bind)


def _postgresql() -> None:
    op.execute("CREATE TABLE commander_sequencer (id integer PRIMARY KEY)")
    op.execute("INSERT INTO commander_sequencer VALUES (1)")
    # What the identity issued is the truth about which numbers are real; anything above it was forged.
    op.execute("""
        DO $$
        DECLARE issued bigint;
        BEGIN
            issued := coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'seq')), 0);
            ALTER TABLE events ALTER COLUMN seq DROP IDENTITY;
            EXECUTE format('CREATE SEQUENCE commander_event_seq START WITH %s', issued + 1);
            ALTER TABLE events DISABLE TRIGGER commander_events_append_only;
            -- Forged numbers move after the real ones, in their order (negated first: the index is unique).
            UPDATE events SET seq = -seq WHERE seq > issued;
            UPDATE events e SET seq = r.fresh
              FROM (SELECT id, nextval('commander_event_seq') AS fresh
                      FROM (SELECT id FROM events WHERE seq < 0 ORDER BY seq DESC) o) r
             WHERE e.id = r.id;
            ALTER TABLE events ENABLE TRIGGER commander_events_append_only;
        END $$""")
    op.execute("""
        CREATE FUNCTION commander_events_stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        BEGIN
            PERFORM 1 FROM commander_sequencer WHERE id = 1 FOR UPDATE;
            NEW.seq := nextval('commander_event_seq');
            NEW.login := session_user;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER commander_events_stamp BEFORE INSERT ON events
        FOR EACH ROW EXECUTE FUNCTION commander_events_stamp()""")
    # The highest number issued so far: pullers read no further (a row above it cannot be real).
    op.execute("""
        CREATE FUNCTION commander_issued_seq() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
            SELECT coalesce(pg_sequence_last_value('commander_event_seq'), 0)
        $$""")
    op.execute("REVOKE ALL ON TABLE commander_sequencer FROM PUBLIC")

    # Presence: one row a (login, console); a login writes only its own rows, and only so many.
    op.execute("DELETE FROM presence")  # heartbeats: every console writes its row again within seconds
    op.execute("ALTER TABLE presence ALTER COLUMN login SET NOT NULL")
    op.execute("ALTER TABLE presence DROP CONSTRAINT pk_presence")
    op.execute("ALTER TABLE presence ADD CONSTRAINT pk_presence PRIMARY KEY (login, console_id)")
    op.execute(f"""
        CREATE FUNCTION commander_presence_stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        BEGIN
            NEW.login := session_user;
            IF TG_OP = 'INSERT' THEN
                DELETE FROM presence WHERE login = session_user AND console_id NOT IN (
                    SELECT console_id FROM presence WHERE login = session_user
                     ORDER BY seen_at DESC LIMIT {PRESENCE_PER_LOGIN - 1});
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER commander_presence_stamp BEFORE INSERT OR UPDATE ON presence
        FOR EACH ROW EXECUTE FUNCTION commander_presence_stamp()""")
    op.execute("ALTER TABLE presence ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY presence_read ON presence FOR SELECT USING (true)")
    op.execute("CREATE POLICY presence_insert ON presence FOR INSERT WITH CHECK (login = session_user)")
    op.execute(
        "CREATE POLICY presence_update ON presence FOR UPDATE USING (login = session_user) "
        "WITH CHECK (login = session_user)"
    )


def _sqlite(bind: sa.Connection) -> None:
    from commander.store.quarantine import sweep

    projected = bind.execute(sa.text("SELECT coalesce(max(rowid), 0) FROM events")).scalar_one()
    moved = sweep(bind)
    # Everything before this point was projected by the version that wrote it, unless the sweep just
    # took events out from under the projections: then they are all redone from the log.
    bind.execute(
        sa.text("INSERT OR REPLACE INTO meta (key, value) VALUES ('projected_rowid', :v)"),
        {"v": "0" if moved else str(projected)},
    )
    if moved:
        bind.execute(sa.text("DELETE FROM snapshots"))
        bind.execute(sa.text("DELETE FROM incidents"))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS presence_update ON presence")
        op.execute("DROP POLICY IF EXISTS presence_insert ON presence")
        op.execute("DROP POLICY IF EXISTS presence_read ON presence")
        op.execute("ALTER TABLE presence DISABLE ROW LEVEL SECURITY")
        op.execute("DROP TRIGGER IF EXISTS commander_presence_stamp ON presence")
        op.execute("DROP FUNCTION IF EXISTS commander_presence_stamp()")
        op.execute("ALTER TABLE presence DROP CONSTRAINT pk_presence")
        op.execute("ALTER TABLE presence ADD CONSTRAINT pk_presence PRIMARY KEY (console_id)")
        op.execute("DROP TRIGGER IF EXISTS commander_events_stamp ON events")
        op.execute("DROP FUNCTION IF EXISTS commander_events_stamp()")
        op.execute("DROP FUNCTION IF EXISTS commander_issued_seq()")
        op.execute("""
            DO $$
            DECLARE issued bigint;
            BEGIN
                issued := coalesce(pg_sequence_last_value('commander_event_seq'), 0);
                DROP SEQUENCE commander_event_seq;
                EXECUTE format('ALTER TABLE events ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY '
                               '(START WITH %s)', issued + 1);
            END $$""")
        op.execute("DROP TABLE commander_sequencer")
    op.drop_table("quarantine")
    with op.batch_alter_table("presence") as batch:
        batch.drop_column("login")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("login")
