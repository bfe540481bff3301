"""Answers made outside Commander (in PagerDuty, in a chat thread): which pages wait for one, and recording
one once."""

from __future__ import annotations

import pytest

from commander.domain.core.events import Event
from commander.domain.oncall.schedules import Responder
from commander.domain.paging import pages as paging
from tests.domain.paging.test_pages import PAYMENTS, texts
from tests.helpers.replica import Replica


def start(r: Replica) -> Event:
    [sent] = r.act(
        lambda s: paging.page_service(
            s, PAYMENTS, [Responder("Sam", "Payments primary")], service="payments", pager="PagerDuty", now=r.now()
        )
    )
    return sent


def test_a_page_waits_for_an_answer_until_one_is_recorded_once(declared: Replica) -> None:
    r = declared
    sent = start(r)
    assert [p.id for p in paging.awaiting(r.state(), {"PagerDuty"})] == [sent.id]
    assert paging.awaiting(r.state(), {"Other"}) == []  # a pager this console cannot read
    [ack] = r.act(lambda s: paging.answered(s, sent.id, "Sam Jones", "pagerduty"))
    assert ack.payload == {"page": sent.id, "by": "Sam Jones", "via": "pagerduty"}
    assert r.act(lambda s: paging.answered(s, sent.id, "Sam", "chat")) == []  # a second answer: nothing
    assert paging.awaiting(r.state(), {"PagerDuty"}) == [] and paging.next_due(r.state()) is None
    assert "Sam Jones acknowledged the page to Sam in PagerDuty" in texts(r)


def test_an_answer_without_a_name_is_the_person_paged(declared: Replica) -> None:
    r = declared
    sent = start(r)
    [ack] = r.act(lambda s: paging.answered(s, sent.id, "  ", "chat"))
    assert ack.payload["by"] == "Sam"
    assert "Sam acknowledged the page in the chat thread" in texts(r)


def test_only_known_places_are_recorded(declared: Replica) -> None:
    r = declared
    sent = start(r)
    with pytest.raises(ValueError, match="email"):
        paging.answered(r.state(), sent.id, "Sam", "email")


def test_a_resolved_incident_waits_for_nothing(declared: Replica) -> None:
    r = declared
    start(r)
    r.act(paging.resolve)
    assert paging.awaiting(r.state(), {"PagerDuty"}) == []
