"""Terminal text: widths of wide characters, cutting to fit, and what never reaches the terminal."""

from __future__ import annotations

import json

from commander.cli.render import clean, clean_lines, fit, json_text, table, terminal_text, width


def test_width_counts_wide_characters_twice_and_combining_marks_not_at_all() -> None:
    assert width("abc") == 3
    assert width("支付失败") == 8
    assert width("e\u0301") == 1
    assert width("خطأ") == 3


def test_fit_cuts_with_an_ellipsis_only_when_needed() -> None:
    assert fit("Checkout", 8) == "Checkout"
    assert fit("Checkout API returning 502s", 10) == "Checkout …"
    assert width(fit("支付失败支付失败", 7)) <= 7


def test_table_aligns_columns_and_cuts_only_the_last() -> None:
    lines = table(("REF", "TITLE"), [("INC-1", "a" * 200), ("INC-22", "short")], limit=40)
    assert lines[0] == "REF     TITLE"
    assert lines[1].startswith("INC-1   aaa") and lines[1].endswith("…") and width(lines[1]) == 40
    assert lines[2] == "INC-22  short"
    assert table(("REF", "TITLE"), [("INC-1", "a" * 200)])[1].endswith("a" * 200)  # no limit: whole


def test_controls_and_bidi_overrides_are_removed() -> None:
    assert clean("a\x1b[31mb\x07\u202ec\nd\te") == "abc d e"  # an escape sequence goes whole
    assert clean_lines("one\x1b]0;x\x07\ntwo") == ["one", "two"]
    assert clean_lines("title \x1b]0;never ends\nnext") == ["title ", "next"]  # an OSC stops at the line's end
    # A carriage return would let text overwrite the line shown before it: CSV's CRLF becomes LF.
    assert terminal_text("a,b\r\n\x1b[2Jc\x9b31m\rX\r\n") == "a,b\ncX\n"


def test_json_for_the_terminal_is_the_same_document() -> None:
    data = {"title": "x\x9b[31my\u202ez\u2028w"}
    text = json_text(json.dumps(data, ensure_ascii=False))
    assert "\x9b" not in text and "\u202e" not in text and json.loads(text) == data
