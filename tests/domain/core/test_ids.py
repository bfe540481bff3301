"""Ids made by the writer and the short references people type."""

from __future__ import annotations

import re
import uuid

import pytest

from commander.domain.core.clock import to_ms
from commander.domain.core.ids import REFERENCE_LENGTH, new_id, normalise_reference, reference_for
from tests.helpers.replica import NOW

REFERENCE = re.compile(rf"^INC-[0-9A-HJKMNP-TV-Z]{{{REFERENCE_LENGTH}}}$")


def test_new_id_is_a_uuid7_carrying_its_millisecond() -> None:
    ms = to_ms(NOW)
    text = new_id(ms)
    value = uuid.UUID(text)
    assert text == str(value)  # the canonical lower-case form, as stored
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert value.int >> 80 == ms


def test_new_ids_are_unique_and_sort_by_time() -> None:
    ms = to_ms(NOW)
    same_ms = {new_id(ms) for _ in range(10_000)}
    assert len(same_ms) == 10_000
    assert new_id(ms) < new_id(ms + 1) < new_id(ms + 1_000)


def test_reference_is_inc_and_eight_crockford_characters_from_the_random_bits() -> None:
    incident = new_id(to_ms(NOW))
    reference = reference_for(incident)
    assert REFERENCE.match(reference), reference
    assert reference == reference_for(incident)  # stable
    # Two ids made in the same millisecond still get different references (not a time prefix).
    references = {reference_for(new_id(to_ms(NOW))) for _ in range(2_000)}
    assert len(references) == 2_000


def test_reference_of_a_known_id() -> None:
    assert reference_for("00000000-0000-7000-8000-000000000000") == "INC-00000000"
    assert reference_for("00000000-0000-7000-8000-00000000001f") == "INC-0000000Z"
    assert reference_for("00000000-0000-7000-8000-000000000020") == "INC-00000010"


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("INC-7K3M", "INC-7K3M"),
        ("inc-7k3m", "INC-7K3M"),
        ("7k3m", "INC-7K3M"),
        ("  7K3M  ", "INC-7K3M"),
        ("inc-o1li", "INC-0111"),  # look-alikes a person may type: O for 0, I and L for 1
        ("", "INC-"),
    ],
)
def test_normalise_reference(typed: str, normal: str) -> None:
    assert normalise_reference(typed) == normal


def test_a_normalised_reference_matches_what_reference_for_wrote() -> None:
    reference = reference_for(new_id(to_ms(NOW)))
    assert normalise_reference(reference.lower()) == reference
    assert normalise_reference(reference.removeprefix("INC-")) == reference
