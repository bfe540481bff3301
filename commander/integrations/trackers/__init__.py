"""Where action items are pushed: one module per tracker, each with `make(name, options, secret)`.
Modules load when first used, so start-up never pays for the trackers a team does not use."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from commander.integrations.trackers.base import Tracker

MODULES = {"jira": "jira", "github": "github", "linear": "linear", "asana": "asana"}


def make(kind: str, name: str, options: Mapping[str, str], secret: str) -> Tracker:
    module = importlib.import_module(f"{__name__}.{MODULES[kind]}")
    tracker: Tracker = module.make(name, options, secret)
    return tracker
