"""Asking to declare in chat, read from the message's words; people matched to the role board's names."""

from __future__ import annotations

import pytest

from commander.domain.chat.heard import Declare, declare_request, declared_incident_id, person_for


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("@commander declare SEV2 checkout 502s", Declare("SEV2", "checkout 502s")),
        ("<@U0BOT> declare sev1   payments   down ", Declare("sev1", "payments down")),
        ("@Commander: declare SEV3 search slow\nmore words", Declare("SEV3", "search slow more words")),
        ("Commander: declare SEV1 payments down", Declare("SEV1", "payments down")),
        ("please @commander declare SEV2 x", None),  # only at the start: a quote of the syntax is not a request
        ("@commander declare SEV2", None),  # no title
        ("@commanders declare SEV2 x", None),
        ("@commander status", None),
    ],
)
def test_a_declaration_is_read_from_the_message(text: str, wanted: Declare | None) -> None:
    assert declare_request(text) == wanted


def test_a_long_title_is_cut_and_the_incident_id_comes_from_the_message() -> None:
    found = declare_request("@commander declare SEV2 " + "x" * 500)
    assert found is not None and len(found.title) == 200
    assert declared_incident_id("s", "C1", "m1") == declared_incident_id("s", "C1", "m1")
    assert declared_incident_id("s", "C1", "m1") != declared_incident_id("s", "C1", "m2")


def test_people_are_matched_by_email_then_by_name() -> None:
    board = ["Alex", "Kim Park", "sam@example.com"]
    assert person_for(board, name="whoever", email="SAM@example.com") == "sam@example.com"
    assert person_for(board, name="whoever", email="kim.park@example.com") == "Kim Park"
    assert person_for(board, name="  alex ", email="") == "Alex"
    assert person_for(board, name="Dana", email="dana@example.com") == ""
