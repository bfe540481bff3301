"""Cleaning what people type: kept as text, limits with a sentence that says what to do."""

from __future__ import annotations

import unicodedata

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.text import (
    NOTE_MAX,
    TITLE_MAX,
    clean_line,
    clean_multiline,
    clean_name,
    clean_services,
    clean_title,
)


@pytest.mark.parametrize("empty", ["", "   ", "\n\t \r\n", "\x00\x07\x1b"])
def test_empty_text_is_refused_with_a_hint(empty: str) -> None:
    with pytest.raises(DomainError, match=r"^The title is empty\. Type a few words\.$"):
        clean_title(empty)
    with pytest.raises(DomainError, match=r"^The note is empty\."):
        clean_multiline(empty, field="note", limit=NOTE_MAX)


def test_empty_is_fine_where_the_text_is_optional() -> None:
    assert clean_multiline("  ", field="impact summary", limit=10, required=False) == ""
    assert clean_line("", field="duty", limit=10, required=False) == ""


def test_ten_thousand_characters() -> None:
    long_text = "x" * 10_000
    assert clean_multiline(long_text, field="note", limit=NOTE_MAX) == long_text
    with pytest.raises(DomainError) as caught:
        clean_title(long_text)
    assert str(caught.value) == (
        f"The title is 10,000 characters long; the limit is {TITLE_MAX}. Shorten it (put detail in a note)."
    )
    with pytest.raises(DomainError, match=r"The note is 20,001 characters long; the limit is 20,000\. Shorten it\."):
        clean_multiline("y" * (NOTE_MAX + 1), field="note", limit=NOTE_MAX)


def test_a_limit_counts_what_is_left_after_cleaning() -> None:
    assert clean_title("  " + "a" * TITLE_MAX + "\x00\x00  ") == "a" * TITLE_MAX


def test_control_characters_go_and_line_structure_stays_in_notes() -> None:
    typed = "Rolled back\x00 v2.31\x1b[31m\r\n\tpods: 3/3\rdone\x7f\x85"
    assert clean_multiline(typed, field="note", limit=NOTE_MAX) == "Rolled back v2.31[31m\n\tpods: 3/3\ndone"


def test_a_line_collapses_whitespace_and_newlines() -> None:
    assert clean_title("  Checkout\n\n API \t 502s  ") == "Checkout API 502s"


def test_lone_surrogates_that_cannot_be_stored_are_dropped() -> None:
    cleaned = clean_title("bad \ud800surrogate")
    assert cleaned == "bad surrogate"
    cleaned.encode("utf-8")  # storable


@pytest.mark.parametrize(
    "text",
    [
        "שגיאה בתשלום: 502 ב-checkout",  # Hebrew mixed with Latin and digits
        "خطأ في الدفع",  # Arabic
        "Checkout 🔥 down 👩‍💻 on it 🇩🇪",  # emoji, a ZWJ sequence and a flag
        "日本語のタイトル",
    ],
)
def test_right_to_left_scripts_and_emoji_survive_unchanged(text: str) -> None:
    assert clean_title(text) == text
    assert clean_multiline(text, field="note", limit=NOTE_MAX) == text


def test_text_is_stored_in_nfc_so_equal_looking_text_is_equal() -> None:
    decomposed = "Cafe\u0301 Zu\u0308rich"  # e + combining acute, u + combining diaeresis
    cleaned = clean_title(decomposed)
    assert cleaned == "Café Zürich"
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean_multiline(decomposed, field="note", limit=NOTE_MAX) == cleaned


def test_markup_is_kept_as_text() -> None:
    assert clean_title("<b>API</b> & <script>x</script>") == "<b>API</b> & <script>x</script>"


def test_names_have_their_own_field_in_the_message() -> None:
    assert clean_name("  Sam  Lee ") == "Sam Lee"
    with pytest.raises(DomainError, match="The person's name is empty"):
        clean_name(" ", field="person's name")
    with pytest.raises(DomainError, match="The name is 81 characters long; the limit is 80"):
        clean_name("n" * 81)


def test_services_split_trim_and_drop_duplicates_in_order() -> None:
    assert clean_services(["checkout, payments", " Checkout", "", "search ,,"]) == ["checkout", "payments", "search"]
    assert clean_services([]) == []
    with pytest.raises(DomainError, match="service name"):
        clean_services(["s" * 61])


def test_a_possessive_field_reads_right_when_refused() -> None:
    with pytest.raises(DomainError, match=r"^Your name is empty\. Type a few words\.$"):
        clean_name("  ", field="your name")
    with pytest.raises(DomainError, match=r"^Your name is 81 characters long; the limit is 80\."):
        clean_name("x" * 81, field="your name")
    with pytest.raises(DomainError, match=r"^The person's name is empty\."):
        clean_name("", field="person's name")
