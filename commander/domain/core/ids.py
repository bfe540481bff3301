"""Identifiers made by the writer, so that two consoles apart never take the same one."""

from __future__ import annotations

import os
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "INC-"
REFERENCE_LENGTH = 8  # 40 random bits: unique across offline consoles for any realistic history


def new_id(now_ms: int) -> str:
    """A UUIDv7 string: time-ordered for index locality, random below the millisecond."""
    rand = int.from_bytes(os.urandom(10), "big")
    value = (now_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def reference_for(incident_id: str) -> str:
    """A short human reference taken from the id's random bits (never a counter two replicas could share)."""
    bits = uuid.UUID(incident_id).int & ((1 << (5 * REFERENCE_LENGTH)) - 1)
    chars = []
    for _ in range(REFERENCE_LENGTH):
        chars.append(_CROCKFORD[bits & 31])
        bits >>= 5
    return REFERENCE_PREFIX + "".join(reversed(chars))


def normalise_reference(text: str) -> str:
    """Upper-case a typed reference or prefix, accept it with or without `INC-`, and map look-alikes."""
    cleaned = text.strip().upper()
    if cleaned.startswith(REFERENCE_PREFIX):
        cleaned = cleaned[len(REFERENCE_PREFIX) :]
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return REFERENCE_PREFIX + cleaned
