"""The blameless-language check: what it finds, where, what it suggests, and what it leaves alone."""

from __future__ import annotations

import pytest

from commander.domain.postmortem.blameless import check

PEOPLE = ["Sam Okafor", "Priya Shah", "Kim"]


def spans(text: str, people: list[str] = PEOPLE) -> list[str]:
    return [text[f.start : f.end] for f in check(text, people)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("The outage was caused by human error.", ["human error"]),
        ("Someone should have checked the flag.", ["should have"]),
        ("A careless change to the config.", ["careless"]),
        ("It was negligent to skip review.", ["negligent"]),
        ("The on-call failed to acknowledge the page.", ["failed to"]),
        ("Ops forgot to renew the certificate.", ["forgot to"]),
        ("It was his fault, and her fault too.", ["his fault", "her fault"]),
        ("Nobody wants to blame anyone; we blamed the tool.", ["blame", "blamed"]),
        ("A stupid mistake by a lazy reviewer.", ["stupid", "lazy"]),
        ("Obviously the cache was too small.", ["Obviously"]),
        ("They could just restart the pods.", ["just restart"]),
    ],
)
def test_phrases_that_judge_people_are_found(text: str, found: list[str]) -> None:
    assert spans(text, []) == found


def test_every_finding_has_its_span_and_a_suggestion() -> None:
    text = "Honestly, human error."
    (finding,) = check(text)
    assert (finding.start, finding.end, finding.text) == (10, 21, "human error")
    assert text[finding.start : finding.end] == finding.text
    assert "conditions" in finding.suggestion


def test_a_name_near_a_failure_word_reads_as_blame() -> None:
    assert spans("Sam broke the deploy.") == ["Sam broke"]
    assert spans("The deploy that Priya Shah pushed caused the outage.") == ["Priya Shah pushed caused"]
    assert spans("It was Sam's mistake.") == ["Sam's mistake"]
    assert spans("The error came from kim") == ["error came from kim"]  # either order, any case
    assert spans("The error was found hours later in the logs by Kim") == []  # eight words apart
    assert spans("The mistake was Kim's") == ["mistake was Kim's"]
    (finding,) = check("Sam broke the deploy.", PEOPLE)
    assert "describe what the system allowed" in finding.suggestion


def test_a_name_far_from_a_failure_or_in_another_sentence_is_fine() -> None:
    assert spans("Sam rolled back v2.31 within four minutes and the error budget recovered.") == []
    assert spans("Sam paged the database team. The replica failed over.") == []
    assert spans("Sam watched the error rate fall.") == []  # a measurement, not someone's error
    assert spans("Kimberly broke nothing") == []  # names match whole words only


def test_just_about_time_is_not_hindsight() -> None:
    assert spans("We were just in time; it had just now recovered.", []) == []
    assert spans("It just works.", []) == ["just works"]


def test_nothing_to_find_in_a_blameless_sentence() -> None:
    text = "The deploy tool let a change skip the canary, and the alert had no runbook link."
    assert check(text, PEOPLE) == []
