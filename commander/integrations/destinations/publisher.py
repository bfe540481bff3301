"""Publishing one update to several destinations at once: each on its own, so a slow or hanging one
never delays the others; 5xx, 429/420 and timeouts retried with backoff that honours Retry-After; any
other refusal final, with its reason. `on_state` hears every change (queued, sending, retrying, ...)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import httpx

from commander.integrations.destinations.base import Destination, Outcome, Update

BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
MAX_WAIT = 60.0

StateListener = Callable[[str, str, str], None]  # destination name, state, detail


async def publish(destinations: Sequence[Destination], update: Update, *, client: httpx.AsyncClient,
                  attempts: int = 5, backoff: Sequence[float] = BACKOFF,
                  on_state: StateListener = lambda name, state, detail: None) -> dict[str, Outcome]:
    """One update to several destinations; outcomes by destination name."""
    return await publish_each([(d.name, d, update) for d in destinations], client=client, attempts=attempts,
                              backoff=backoff, on_state=on_state)


async def publish_each(jobs: Sequence[tuple[str, Destination, Update]], *, client: httpx.AsyncClient,
                       attempts: int = 5, backoff: Sequence[float] = BACKOFF,
                       on_state: StateListener = lambda name, state, detail: None) -> dict[str, Outcome]:
    """Each (key, destination, update) delivered at once, on its own; outcomes by key."""
    for _, destination, _ in jobs:
        on_state(destination.name, "queued", "")
    results = await asyncio.gather(*(_deliver(d, update, client, attempts, backoff, on_state)
                                     for _, d, update in jobs))
    return {key: outcome for (key, _, _), outcome in zip(jobs, results, strict=True)}


async def _deliver(destination: Destination, update: Update, client: httpx.AsyncClient, attempts: int,
                   backoff: Sequence[float], on_state: StateListener) -> Outcome:
    outcome = Outcome("failed", "not tried")
    for attempt in range(attempts):
        on_state(destination.name, "sending", f"attempt {attempt + 1}")
        try:
            outcome = await destination.send(client, update)
        except httpx.TimeoutException:
            outcome = Outcome("retry", f"{destination.name} did not answer in time")
        except httpx.TransportError as error:
            outcome = Outcome("retry", f"{destination.name} could not be reached ({type(error).__name__})")
        if outcome.final:
            on_state(destination.name, outcome.state, outcome.detail)
            return outcome
        if attempt + 1 == attempts:
            break
        wait = min(MAX_WAIT, outcome.retry_after if outcome.retry_after is not None
                   else backoff[min(attempt, len(backoff) - 1)])
        shown = f"{wait:.1f}" if wait < 1 else f"{wait:.0f}"
        on_state(destination.name, "retrying", f"retrying in {shown} s: {outcome.detail}")
        await asyncio.sleep(wait)
    failed = Outcome("failed", f"gave up after {attempts} attempts: {outcome.detail}")
    on_state(destination.name, "failed", failed.detail)
    return failed
