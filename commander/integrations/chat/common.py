"""What the chat services Commander reaches over plain HTTP share (Matrix, Mattermost): one request with its
refusal read as a ChatProblem, the problem of a server that cannot be reached, and handing what a listener
heard on, one message at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from commander.integrations.chat.base import ChatMessage, ChatProblem, Deliver

log = logging.getLogger(__name__)

Refused = Callable[[httpx.Response, str, str], ChatProblem]  # (response, label, doing): what it means


def unreachable(label: str, doing: str, error: Exception, check: str) -> ChatProblem:
    """A transient problem: the server could not be reached; `check` names the setting to look at."""
    return ChatProblem(
        f"{label} could not be reached to {doing} ({type(error).__name__}: {error}): Commander will try again; "
        f"check {check} if it goes on.",
        transient=True,
    )


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    label: str,
    doing: str,
    check: str,
    refused: Refused,
    accept: Callable[[httpx.Response], bool],
    **sent: Any,
) -> httpx.Response:
    """The answer to one request, when `accept` takes it; else `refused`'s ChatProblem (or `unreachable`'s,
    naming `check`, when the server could not be reached)."""
    try:
        response = await client.request(method, url, **sent)
    except httpx.TransportError as error:
        raise unreachable(label, doing, error, check) from error
    if not accept(response):
        raise refused(response, label, doing)
    return response


def hand_on(label: str, messages: Iterable[ChatMessage], deliver: Deliver) -> None:
    """Each message to `deliver`; a receiver that fails on one is logged, and the next still goes."""
    for message in messages:
        try:
            deliver(message)
        except Exception:  # a bug in what hears it: logged, and the next message still goes
            log.exception("%s: delivering a message failed", label)
