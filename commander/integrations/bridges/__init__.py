"""Meeting bridges an incident starts (Jitsi, Zoom, Google Meet, or a fixed bridge): one module per kind
behind `BridgeService` (base.py)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from commander.integrations.bridges.base import BridgeService

MODULES = {"jitsi": "jitsi", "zoom": "zoom", "meet": "meet", "fixed": "fixed"}


def make(kind: str, name: str, options: Mapping[str, str], secret: str) -> BridgeService:
    module = importlib.import_module(f"{__name__}.{MODULES[kind]}")
    service: BridgeService = module.make(name, options, secret)
    return service
