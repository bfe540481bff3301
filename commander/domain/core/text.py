"""Cleaning what people type: titles, notes, names. Text is kept as text, never markup."""

from __future__ import annotations

import re
import unicodedata

from commander.domain.core.errors import DomainError

TITLE_MAX = 200
SUMMARY_MAX = 2_000
NOTE_MAX = 20_000
NAME_MAX = 80
SERVICE_MAX = 60

# C0 and C1 controls except tab and newline; also lone surrogates that cannot be stored as UTF-8.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def clean_multiline(text: str, *, field: str, limit: int, required: bool = True) -> str:
    cleaned = _CONTROL.sub("", unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")))
    cleaned = cleaned.strip()
    _check(cleaned, field=field, limit=limit, required=required)
    return cleaned


def clean_line(text: str, *, field: str, limit: int, required: bool = True) -> str:
    cleaned = _SPACES.sub(" ", _CONTROL.sub("", unicodedata.normalize("NFC", text))).strip()
    _check(cleaned, field=field, limit=limit, required=required)
    return cleaned


def clean_title(text: str) -> str:
    return clean_line(text, field="title", limit=TITLE_MAX)


def clean_name(text: str, *, field: str = "name") -> str:
    return clean_line(text, field=field, limit=NAME_MAX)


def clean_services(items: list[str] | tuple[str, ...]) -> list[str]:
    """Split on commas, trim, drop empties and duplicates, keep the order given."""
    seen: dict[str, None] = {}
    for item in items:
        for part in item.split(","):
            name = clean_line(part, field="service name", limit=SERVICE_MAX, required=False)
            if name and name.lower() not in {s.lower() for s in seen}:
                seen[name] = None
    return list(seen)


def _check(cleaned: str, *, field: str, limit: int, required: bool) -> None:
    subject = _subject(field)
    if required and not cleaned:
        raise DomainError(f"{subject} is empty. Type a few words.")
    if len(cleaned) > limit:
        raise DomainError(
            f"{subject} is {len(cleaned):,} characters long; the limit is {limit:,}. Shorten it (put detail in a note)."
            if field == "title"
            else f"{subject} is {len(cleaned):,} characters long; the limit is {limit:,}. Shorten it."
        )


def _subject(field: str) -> str:
    """'The title', but 'Your name' (not 'The your name') for a field named with a possessive."""
    first, _, rest = field.partition(" ")
    if first.lower() in ("your", "my", "our", "their") and rest:
        return f"{first[0].upper()}{first[1:]} {rest}"
    return f"The {field}"
