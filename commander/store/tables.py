"""Tables. `events` is the truth; `incidents` is a projection that `rebuild` can always remake."""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, Boolean, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class EventRow(Base):
    """One immutable event. Times are UTC milliseconds; the payload is JSON text."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    stream: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    hlc: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(String(64))
    # Who wrote the row, set by the shared store's trigger from the database login (PostgreSQL); the
    # client's value is ignored there. Kept in the local store as pulled, to show beside the author.
    login: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        Index("ix_events_stream_hlc", "stream", "hlc"),
        Index("ix_events_hlc", "hlc"),
        Index("ix_events_kind_hlc", "kind", "hlc"),
    )


class IncidentRow(Base):
    """The incident list's read model, one row an incident, kept in step on every append."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    is_open: Mapped[bool] = mapped_column(Boolean, index=True)
    drill: Mapped[bool] = mapped_column(Boolean)
    services: Mapped[str] = mapped_column(Text)  # JSON list
    commander: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detected_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    declared_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mitigated_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    resolved_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    closed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    event_count: Mapped[int] = mapped_column(Integer)
    last_hlc: Mapped[int] = mapped_column(BigInteger)


class MetaRow(Base):
    """Settings of this store itself: the console id, the person using this console."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SnapshotRow(Base):
    """A saved view of a long incident (state and timeline up to a point of the log): a cache that
    saves refolding tens of thousands of events on every open. Never synced, always disposable."""

    __tablename__ = "snapshots"

    stream: Mapped[str] = mapped_column(String(80), primary_key=True)
    through_hlc: Mapped[int] = mapped_column(BigInteger)
    event_count: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)


class OutboxRow(Base):
    """Events written here that the shared store has not acknowledged yet (local store only)."""

    __tablename__ = "outbox"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class PresenceRow(Base):
    """Who has a console open, on which incident (shared store only; rows are upserted heartbeats)."""

    __tablename__ = "presence"

    console_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    seen_at: Mapped[int] = mapped_column(BigInteger)
    login: Mapped[str | None] = mapped_column(String(64), nullable=True)  # set by the database (PostgreSQL)


class QuarantineRow(Base):
    """Rows from outside this console set aside, with why (see commander/store/quarantine.py)."""

    __tablename__ = "quarantine"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)  # the shared store, or "local"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # its number there
    event_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(80), nullable=True)
    login: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[int] = mapped_column(BigInteger)
    # Set for a row held back only because its clock stamp was ahead of ours: when our clock has caught
    # up (UTC ms), the row is checked again and taken in, so a console with a fast clock loses nothing.
    release_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


events = cast(Table, EventRow.__table__)
incidents = cast(Table, IncidentRow.__table__)
meta = cast(Table, MetaRow.__table__)
outbox = cast(Table, OutboxRow.__table__)
presence = cast(Table, PresenceRow.__table__)
quarantine = cast(Table, QuarantineRow.__table__)


class ClaimRow(Base):
    """Who does a thing once across every console (commander/store/claims.py); on PostgreSQL the database
    records the login and refuses UPDATE, DELETE and TRUNCATE (migration 0005)."""

    __tablename__ = "claims"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[int] = mapped_column(BigInteger)
    login: Mapped[str | None] = mapped_column(String(64), nullable=True)
