"""Fixtures for the domain tests: the shipped policy and a replica at a fixed moment."""

from __future__ import annotations

import pytest

from commander.domain.core.policy import Policy
from tests.helpers.replica import Replica, default_policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    return default_policy()


@pytest.fixture
def alex(policy: Policy) -> Replica:
    return Replica(1, policy, name="Alex")


@pytest.fixture
def declared(alex: Replica) -> Replica:
    """Alex's console with a SEV2 incident already declared."""
    alex.declare()
    return alex
