"""An index on the events' kind: the runbook library, analytics, postmortem reminders and interrupted
sends read events of a few kinds across every stream, which was a scan of the whole log.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_kind_hlc", "events", ["kind", "hlc"])


def downgrade() -> None:
    op.drop_index("ix_events_kind_hlc", table_name="events")
