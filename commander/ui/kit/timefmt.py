"""Times as people read them here: local clock times on screen, UTC one hover away."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def local(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone)


def clock(moment: datetime, zone: tzinfo) -> str:
    """09:12:33"""
    return local(moment, zone).strftime("%H:%M:%S")


def short(moment: datetime, zone: tzinfo) -> str:
    """28 Nov 09:12"""
    return local(moment, zone).strftime("%d %b %H:%M")


def medium(moment: datetime, zone: tzinfo) -> str:
    """28 Nov 09:12:33"""
    return local(moment, zone).strftime("%d %b %H:%M:%S")


def full(moment: datetime, zone: tzinfo) -> str:
    """Sat 28 Nov 2026, 09:12:33 CET"""
    return local(moment, zone).strftime("%a %d %b %Y, %H:%M:%S %Z").strip()


def utc(moment: datetime) -> str:
    """2026-11-28 08:12:33 UTC"""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def both(moment: datetime, zone: tzinfo) -> str:
    """The tooltip form: local with the date, then UTC."""
    return f"{full(moment, zone)}\n{utc(moment)}"


def smart(moment: datetime, zone: tzinfo, reference: datetime | None) -> str:
    """The clock time alone on the reference's day (the incident's start), with the date otherwise."""
    if reference is not None and local(moment, zone).date() != local(reference, zone).date():
        return short(moment, zone)
    return clock(moment, zone)
