"""Cutting text where a reader sees a character end, measured as each service counts."""

from __future__ import annotations

import pytest

from commander.domain.core.graphemes import boundaries, clusters, cut, fit, size

FLAG = "\U0001f1e9\U0001f1ea"  # 🇩🇪: two regional indicators
FRANCE = "\U0001f1eb\U0001f1f7"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man ZWJ woman ZWJ girl ZWJ boy
ACCENTED = "e\u0301\u0308"  # e with two combining marks
KEYCAP = "1\ufe0f\u20e3"
THUMBS = "\U0001f44d\U0001f3fd"  # with a skin-tone modifier
HEART = "\u2764\ufe0f"


@pytest.mark.parametrize(
    "cluster", [FLAG, FAMILY, ACCENTED, KEYCAP, THUMBS, HEART, "\r\n", "\ud55c", "\u1100\u1161\u11a8"]
)
def test_each_of_these_is_one_cluster(cluster: str) -> None:
    assert clusters("a" + cluster + "b") == ["a", cluster, "b"]


def test_regional_indicators_pair_up_into_flags() -> None:
    assert clusters(FLAG + FRANCE + FLAG[0]) == [FLAG, FRANCE, FLAG[0]]


def test_a_cut_never_splits_a_cluster_whatever_the_limit() -> None:
    text = "ab" + FLAG + FAMILY + ACCENTED + KEYCAP + THUMBS + "\r\n" + HEART + "z"
    whole = set(boundaries(text))
    for unit in ("chars", "utf16", "utf8"):
        for limit in range(size(text, unit) + 1):
            kept = cut(text, limit, unit)  # type: ignore[arg-type]
            assert len(kept) in whole and text.startswith(kept)
            assert size(kept, unit) <= limit  # type: ignore[arg-type]


def test_the_limit_is_measured_in_the_unit_the_service_counts() -> None:
    assert (size(FLAG, "chars"), size(FLAG, "utf16"), size(FLAG, "utf8")) == (2, 4, 8)
    assert cut("x" + FLAG, 4, "utf16") == "x"
    assert cut("x" + FLAG, 5, "utf16") == "x" + FLAG
    assert cut("é" * 10, 5, "utf8") == "éé"


def test_fit_says_whether_and_how_much_it_cut() -> None:
    whole = fit("short", 10, note=" (shortened)")
    assert whole.text == "short" and whole.shortened is None
    cutting = fit("word " * 10, 25, note=" (shortened)")
    assert cutting.text == "word word wor (shortened)" and cutting.shortened == (13, 50)
    assert len(cutting.text) <= 25


def test_fit_takes_any_size_test_that_grows_with_the_text() -> None:
    fitted = fit(FLAG * 100, fits=lambda candidate: len(candidate.encode()) + 100 <= 400, note="…")
    assert fitted.text == FLAG * 37 + "…" and fitted.shortened == (74, 200)
