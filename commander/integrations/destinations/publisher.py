"""Publishing one update to several destinations at once: each on its own, so a slow or hanging one
never delays the others; 5xx, 429/420 and timeouts retried for as long as the delivery deadline allows;
any other refusal final, with its reason. `on_state` hears every change (queued, sending, retrying, ...).

How long to wait before trying again is the service's to say: `Retry-After` (RFC 9110 section 10.2.3,
https://www.rfc-editor.org/rfc/rfc9110#field.retry-after), Matrix's `retry_after_ms`
(https://spec.matrix.org/v1.16/client-server-api/#rate-limiting), Slack's and Discord's `retry_after`: each
destination reads its own into `Outcome.retry_after`, and it is honoured, with a little jitter added so
that many sends told the same wait do not all come back at the same instant. Where the service says
nothing, the wait grows exponentially with full jitter (AWS Architecture Blog, "Exponential Backoff And
Jitter"). A delivery is given up only when the next try would fall past its deadline; `update resume` and
the window's Retry offer it again (its reason starts with GAVE_UP)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence

import httpx

from commander.integrations.destinations.base import Destination, Outcome, Update

DELIVERY_DEADLINE = 300.0  # seconds: how long one delivery keeps trying (a stakeholder update is stale after)
FIRST_WAIT = 1.0  # seconds: the first wait when the service does not say, doubled each time...
MAX_BACKOFF = 30.0  # ... up to this
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)  # fixed waits, for callers that cap attempts (paging)
GAVE_UP = "gave up"  # how the reason of a delivery that ran out of time begins: it may be retried

StateListener = Callable[[str, str, str], None]  # destination name, state, detail


async def publish(
    destinations: Sequence[Destination],
    update: Update,
    *,
    client: httpx.AsyncClient,
    attempts: int | None = None,
    backoff: Sequence[float] | None = None,
    deadline: float = DELIVERY_DEADLINE,
    on_state: StateListener = lambda name, state, detail: None,
) -> dict[str, Outcome]:
    """One update to several destinations; outcomes by destination name."""
    return await publish_each(
        [(d.name, d, update) for d in destinations],
        client=client,
        attempts=attempts,
        backoff=backoff,
        deadline=deadline,
        on_state=on_state,
    )


async def publish_each(
    jobs: Sequence[tuple[str, Destination, Update]],
    *,
    client: httpx.AsyncClient,
    attempts: int | None = None,
    backoff: Sequence[float] | None = None,
    deadline: float = DELIVERY_DEADLINE,
    on_state: StateListener = lambda name, state, detail: None,
) -> dict[str, Outcome]:
    """Each (key, destination, update) delivered at once, on its own; outcomes by key. Each keeps
    trying until `deadline` seconds have passed, or for `attempts` tries when a caller caps them."""
    for _, destination, _ in jobs:
        on_state(destination.name, "queued", "")
    until = time.monotonic() + deadline
    results = await asyncio.gather(
        *(_deliver(d, update, client, attempts, backoff, until, on_state) for _, d, update in jobs)
    )
    return {key: outcome for (key, _, _), outcome in zip(jobs, results, strict=True)}


def wait_before(attempt: int, outcome: Outcome, backoff: Sequence[float] | None) -> tuple[float, float]:
    """Seconds to wait before try `attempt + 2`, as said (the service's wait, else backoff) and as slept
    (the service's wait plus a little jitter: never less than it asked)."""
    if outcome.retry_after is not None:
        said = outcome.retry_after
        return said, said + random.uniform(0.0, min(1.0, 0.1 * said + 0.05))
    if backoff:
        fixed = backoff[min(attempt, len(backoff) - 1)]
        return fixed, fixed
    jittered = random.uniform(0.5, 1.0) * min(MAX_BACKOFF, FIRST_WAIT * 2.0 ** min(attempt, 16))
    return jittered, jittered


def _spent(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


async def _deliver(
    destination: Destination,
    update: Update,
    client: httpx.AsyncClient,
    attempts: int | None,
    backoff: Sequence[float] | None,
    until: float,
    on_state: StateListener,
) -> Outcome:
    started = time.monotonic()
    attempt = 0
    while True:
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
        if attempts is not None and attempt + 1 >= attempts:
            failed = Outcome("failed", f"{GAVE_UP} after {attempts} attempts: {outcome.detail}")
            break
        said, wait = wait_before(attempt, outcome, backoff)
        if time.monotonic() + wait > until:
            asked = f" (it asked to wait {said:.0f} s more)" if outcome.retry_after is not None else ""
            tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
            failed = Outcome(
                "failed",
                f"{GAVE_UP} after {tries} in "
                f"{_spent(time.monotonic() - started)}{asked}: {outcome.detail}. Retry it "
                f"when the service has recovered.",
            )
            break
        shown = f"{said:.1f}" if said < 1 else f"{said:.0f}"
        on_state(destination.name, "retrying", f"retrying in {shown} s: {outcome.detail}")
        await asyncio.sleep(wait)
        attempt += 1
    on_state(destination.name, "failed", failed.detail)
    return failed
