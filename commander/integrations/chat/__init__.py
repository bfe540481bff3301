"""Chat workspaces an incident gets its own channel in (Slack, Mattermost, Matrix): creating, naming,
inviting, posting and archiving through each service's API (`ChatService`), and hearing the channel's
messages back (`ChatListener`). One module per service; base.py holds what they share."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from commander.integrations.chat.base import ChatListener, ChatService

MODULES = {"slack": "slack", "mattermost": "mattermost", "matrix": "matrix"}


def make(kind: str, name: str, options: Mapping[str, str], secret: str) -> ChatService:
    """The service for a chat connection of `kind` (loaded when first used)."""
    module = importlib.import_module(f"{__name__}.{MODULES[kind]}")
    service: ChatService = module.make(name, options, secret)
    return service


def listener(kind: str, name: str, options: Mapping[str, str], secret: str) -> ChatListener:
    """What hears a chat connection's channels (Slack Socket Mode, Mattermost's WebSocket, Matrix /sync)."""
    module = importlib.import_module(f"{__name__}.{MODULES[kind]}")
    found: ChatListener = module.listener(name, options, secret)
    return found
