"""wait_until returns as soon as the condition holds and fails the test when it never does."""

from __future__ import annotations

import time

import pytest

from tests.helpers.waiting import wait_until


def test_it_returns_the_first_true_answer_without_waiting_out_the_timeout() -> None:
    answers = iter([None, [], ["request"]])
    started = time.monotonic()
    assert wait_until(lambda: next(answers), timeout=30, interval=0.01) == ["request"]
    assert time.monotonic() - started < 5


def test_it_fails_the_test_with_the_message_when_the_condition_never_holds() -> None:
    with pytest.raises(pytest.fail.Exception, match="the receiver never answered"):
        wait_until(lambda: False, timeout=0.05, interval=0.01, message="the receiver never answered")


def test_without_a_message_it_names_the_predicate() -> None:
    def ready() -> bool:
        return False

    with pytest.raises(pytest.fail.Exception, match="ready did not hold within 0.05 s"):
        wait_until(ready, timeout=0.05, interval=0.01)
