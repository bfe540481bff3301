"""Chat through the console: the team's chat connections (settings shared as events, secrets in this
computer's keyring), the service behind one, and what is heard in the incidents' channels coming back.

- `record_heard` turns a message heard in an incident's channel into its event (commander/domain/chat/
  heard.py): the same id on every console that hears it, so the log keeps one.
- `declare_from_chat` declares an incident asked for in a connection's `declare_channel` ("@commander
  declare SEV2 checkout 502s"): its id and its events' ids come from the message, so every console that hears
  it makes the same one incident; the reply with the reference goes in the message's thread once, under a
  claim (app/claims.py) on the message.
- `ChatFeed` listens, on threads of its own, to every connection whose channels open incidents have (and to
  its declare channel), and records what it hears. When a listener starts, and when an incident gets a
  channel, it asks the service for what was posted after the last message the log holds for that channel,
  so nothing said while no console listened is lost. The declare channel's history is not fetched: a
  declaration nobody heard when it was asked stays unanswered rather than declaring hours later.

The network calls wait: the window calls these off the UI thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from commander.app import claims, people
from commander.app.console import Console
from commander.app.setup import connections as setup
from commander.domain.chat.connections import FAMILY, ChatConfig, check_slack_secret
from commander.domain.chat.heard import (
    bounded,
    declare_request,
    declared_event_id,
    declared_incident_id,
    entry_id,
    heard,
)
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentState
from commander.domain.people.kinds import by_account
from commander.integrations import chat as services
from commander.integrations.chat.base import ChatListener, ChatMessage, ChatProblem, ChatService
from commander.integrations.secrets import SecretStore
from commander.store.errors import StoreError

if TYPE_CHECKING:
    from commander.app.paging import Dispatch

_log = logging.getLogger(__name__)
TIMEOUT = 20.0  # seconds per request to a chat service
REFRESH_SECONDS = 5.0  # how often the feed looks for new channels and closed incidents, and retries replies
RETRY_SECONDS = 300.0  # a listener that stopped for good (a token refused) is tried again this much later
PENDING_MAX = 100  # replies waiting for the shared store; past this the oldest are dropped, saying so
PIN_REACTIONS = {"slack": "pushpin"}  # the reaction that pins, unless the connection names another
ACKS = frozenset({"ack", "ack.", "ack!", "acked", "acknowledged", "acknowledge"})

T = TypeVar("T")


# -- the connections -------------------------------------------------------------------------------------


def connections(console: Console) -> dict[str, ChatConfig]:
    """The team's chat connections, by name."""
    return setup.listed(console, FAMILY)


def add(
    console: Console, kind: str, name: str, options: dict[str, str], secret: str, secrets: SecretStore
) -> tuple[ChatConfig, bool]:
    """Add a chat connection; its secret goes to this computer's keyring first. Returns it and whether the
    keyring kept the secret (False: for this run only)."""
    if kind.strip().lower() == "slack" and secret.strip():
        check_slack_secret(secret)
    return setup.add(console, FAMILY, kind, name, options, secret, secrets)


def remove(console: Console, name: str, secrets: SecretStore) -> None:
    setup.remove(console, FAMILY, name, secrets)


def give_secret(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
    """This computer's secret for a chat connection added elsewhere (or again)."""
    config = setup.find(console, FAMILY, name)
    if config.kind == "slack":
        check_slack_secret(secret)
    return setup.give(setup.guarded(config), secret, secrets)


def trust(console: Console, name: str, secrets: SecretStore) -> tuple[str, str]:
    """Confirm the address a connection's settings name now: its secret here is sent there."""
    return setup.trust(setup.guarded(setup.find(console, FAMILY, name)), secrets)


def _known(console: Console, via: str) -> ChatConfig:
    config = setup.find(console, FAMILY, via)
    if config.kind not in services.MODULES:
        raise DomainError(
            f"{via} is a '{config.kind}' chat connection, which this Commander does not know: update Commander, "
            f"or remove it and add it again as one of: {', '.join(services.MODULES)}."
        )
    return config


def service(console: Console, via: str) -> ChatService:
    """The chat service of the connection named `via`. Raises DomainError (no such connection, no secret)."""
    config = _known(console, via)
    return services.make(config.kind, config.name, config.options, setup.secret_for(config, console.secrets))


def listener(console: Console, via: str) -> ChatListener:
    config = _known(console, via)
    return services.listener(config.kind, config.name, config.options, setup.secret_for(config, console.secrets))


def call(console: Console, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    """Run one chat request (`work(client)`) on its own event loop, with the console's HTTP settings."""

    async def run() -> T:
        async with console.services.http(TIMEOUT) as client:
            return await work(client)

    return asyncio.run(run())


# -- what is heard -------------------------------------------------------------------------------------


def incidents_hearing(console: Console) -> dict[str, dict[str, str]]:
    """For each connection, the channels of the open incidents in it: {via: {channel id: incident id}}."""
    found: dict[str, dict[str, str]] = {}
    for summary in console.incidents(include_closed=False):
        state = console.state(summary.id)
        if not state.is_open:
            continue
        for via, channel in state.channels.items():
            if not channel.archived:
                found.setdefault(via, {})[channel.channel] = state.id
    return found


def record_heard(console: Console, via: str, message: ChatMessage, *, config: ChatConfig | None = None) -> list[Event]:
    """Record a message heard in `via` on the open incident whose channel it was said in (nothing when no
    open incident has that channel). Returns the events written: none when another console wrote it first."""
    incident_id = incidents_hearing(console).get(via, {}).get(message.channel)
    if incident_id is None:
        return []
    if config is None:
        config = connections(console).get(via)
    pin = ""
    if config is not None:
        pin = config.options.get("pin_reaction", "").strip(":") or PIN_REACTIONS.get(config.kind, "")

    now = console.now()
    if message.at is None or message.at > now:  # a service's clock ahead of ours: heard now, not in the future
        message = replace(message, at=now)
    person = author_of(console, via, message)

    def decide(state: IncidentState) -> list[Any]:
        draft = heard(state, via, message, pin_reaction=pin, person=person)
        return [] if draft is None else [draft]

    return console.perform(incident_id, decide)


def author_of(console: Console, via: str, message: ChatMessage) -> str:
    """Who the team's directory (commander person) says wrote the message: by their user id in `via`, then
    by email; "" when it does not know them (the role board's names are tried next)."""
    if message.change != "posted":
        return ""
    found = by_account(people.directory(console), via=via, user=message.author_id, email=message.author_email)
    return found.name if found is not None else ""


def declaration_for(console: Console, via: str, message: ChatMessage) -> tuple[str, list[Any]] | None:
    """The incident a "declare" message asks for and the events declaring it (deterministic ids), or None
    when the message asks for none. Raises DomainError when it asks for one that cannot be (an unknown
    severity): the reply says so."""
    request = declare_request(message.text) if message.change == "posted" else None
    if request is None:
        return None
    incident_id = declared_incident_id(via, message.channel, message.id)
    now = console.now()
    at = message.at if message.at is not None and message.at <= now else now
    shown = author_of(console, via, message) or " ".join(message.author_name.split())
    commander: str | None = bounded(shown, 100) or None
    form = decisions.Declaration(title=request.title, severity=request.severity, commander=commander)
    try:
        drafts = decisions.declare(incident_id, form, me=console.me.name, policy=console.policy, now=at)
    except DomainError:
        if commander is None:
            raise
        # A chat name the role board cannot take (odd characters): the console's own person commands.
        form = replace(form, commander=None)
        drafts = decisions.declare(incident_id, form, me=console.me.name, policy=console.policy, now=at)
    drafts = [replace(draft, id=declared_event_id(incident_id, n)) for n, draft in enumerate(drafts)]
    return incident_id, drafts


@dataclass(frozen=True)
class Reply:
    """A reply owed in a message's thread, posted once across consoles under `key`."""

    via: str
    channel: str
    thread: str
    text: str
    key: str


def declare_from_chat(console: Console, via: str, message: ChatMessage) -> Reply | None:
    """Declare the incident a message in the declare channel asks for (once, whoever hears it) and return
    the reply owed in its thread, or None when the message asks for nothing."""
    key = f"chat-reply:{declared_incident_id(via, message.channel, message.id)}"
    thread = message.thread or message.id
    try:
        found = declaration_for(console, via, message)
    except DomainError as refusal:
        return Reply(via, message.channel, thread, f"Not declared: {refusal}", key)
    if found is None:
        return None
    incident_id, drafts = found
    if not console.state(incident_id).declared:
        console.record(drafts)
    state = console.state(incident_id)
    return Reply(via, message.channel, thread, f"Declared {state.reference}: {state.severity} {state.title}", key)


def post_reply(console: Console, reply: Reply, *, make: Callable[[Console, str], ChatService] | None = None) -> bool:
    """Post the reply unless another console has (claimed through the shared store). True when this console
    posted it. Raises claims.Offline (try later), DomainError or ChatProblem."""
    held = claims.claim(console, reply.key)
    if not held.won:
        return False
    chat = (make or service)(console, reply.via)
    call(console, lambda client: chat.post(client, reply.channel, reply.text, thread=reply.thread))
    return True


def acknowledge_reply(console: Console, via: str, message: ChatMessage) -> Dispatch | None:
    """An "ack" in the thread of a page posted in an incident's channel (its message, heard and kept on the
    timeline, ends with "(page 1a2b3c4d)") acknowledges that page (commander.app.paging.acknowledge_from_chat).
    Returns what PagerDuty must be told (empty for a chat page, or when it was acknowledged already), or None
    when the message is no such ack. Raises DomainError when the page named is not the incident's."""
    if message.change != "posted" or not message.thread or message.text.strip().casefold() not in ACKS:
        return None
    incident_id = incidents_hearing(console).get(via, {}).get(message.channel)
    if incident_id is None:
        return None
    root = console.view(incident_id).entry(entry_id(via, message.channel, message.thread))
    if root is None or root.kind != "chat.posted" or "(page " not in root.text:
        return None
    from commander.app import paging

    who = author_of(console, via, message) or " ".join(message.author_name.split())
    return paging.acknowledge_from_chat(console, incident_id, root.text, bounded(who, 100))


# -- listening ----------------------------------------------------------------------------------------------


@dataclass
class _Listening:
    thread: threading.Thread | None  # None: it could not start (no secret here)
    stop: threading.Event
    failed_at: float | None = None


@dataclass
class ChatFeed:
    """Listens to the chat connections open incidents have channels in, and records what it hears (see the
    module's docstring). `start()` returns at once; `stop()` joins every thread. One worker thread records
    what the listeners hand over, holding `lock` (the watcher passes its own, which guards its console)."""

    console: Console
    log: Callable[[str], None] = _log.info
    lock: Any = field(default_factory=threading.RLock)
    refresh_seconds: float = REFRESH_SECONDS
    make_listener: Callable[[Console, str], ChatListener] = listener
    make_service: Callable[[Console, str], ChatService] = service
    _queue: queue.Queue[tuple[str, ChatMessage] | None] = field(default_factory=queue.Queue)
    _stop: threading.Event = field(default_factory=threading.Event)
    _worker: threading.Thread | None = None
    _listening: dict[str, _Listening] = field(default_factory=dict)
    _channels: dict[str, frozenset[str]] = field(default_factory=dict)  # what each listener hears now
    _fetched: set[tuple[str, str]] = field(default_factory=set)  # channels whose history was asked for
    _pending: list[Reply] = field(default_factory=list)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    handled: int = 0  # messages recorded or answered (tests wait on it)

    def start(self) -> None:
        if self._worker is not None:
            return
        self._stop.clear()
        self._worker = threading.Thread(target=self._work, name="chat-feed", daemon=True)
        self._worker.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._queue.put(None)
        for listening in list(self._listening.values()):
            listening.stop.set()
        if self._worker is not None:
            self._worker.join(timeout)
            self._worker = None
        for listening in self._listening.values():
            if listening.thread is not None:
                listening.thread.join(timeout)
        self._listening.clear()

    def channels_of(self, via: str) -> frozenset[str]:
        with self._guard:
            return self._channels.get(via, frozenset())

    # -- the worker -------------------------------------------------------------------------------------

    def _work(self) -> None:
        next_refresh = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= next_refresh:
                self._safely("looking for channels", self._refresh)
                next_refresh = time.monotonic() + self.refresh_seconds
            try:
                item = self._queue.get(timeout=max(0.05, next_refresh - time.monotonic()))
            except queue.Empty:
                continue
            if item is None:
                return
            via, message = item
            self._safely(f"a message in {via}", partial(self._handle, via, message))

    def _safely(self, what: str, work: Callable[[], None]) -> None:
        """One bad message or one unreachable service must not stop the rest."""
        try:
            work()
        except (DomainError, ChatProblem, StoreError) as problem:
            self.log(f"chat: {what}: {problem}")
        except Exception:
            _log.exception("chat feed: unexpected error with %s", what)

    def _handle(self, via: str, message: ChatMessage) -> None:
        with self.lock:
            config = connections(self.console).get(via)
            if config is None:
                return
            if message.channel == config.options.get("declare_channel"):
                reply = declare_from_chat(self.console, via, message)
                if reply is not None:
                    self._answer(reply)
                self.handled += 1
                return
            record_heard(self.console, via, message, config=config)
            dispatch = acknowledge_reply(self.console, via, message)
        if dispatch:  # PagerDuty is told too, without holding the console meanwhile
            from commander.app import paging

            outcomes = paging.deliver(dispatch)
            with self.lock:
                paging.finish(self.console, dispatch, outcomes)
        self.handled += 1

    def _answer(self, reply: Reply) -> None:
        try:
            if post_reply(self.console, reply, make=self.make_service):
                self.log(f"chat: replied in {reply.via}")
        except claims.Offline:
            self._pending.append(reply)
            for lost in self._pending[:-PENDING_MAX]:
                self.log(f"chat: a reply in {lost.via} dropped, too many waiting for the shared store")
            self._pending = self._pending[-PENDING_MAX:]

    def _refresh(self) -> None:
        with self.lock:
            self.console.catch_up()  # channels another console (the window's engine) made since
            hearing = incidents_hearing(self.console)
            configs = connections(self.console)
            waiting, self._pending = self._pending, []
            for reply in waiting:
                self._answer(reply)
        wanted: dict[str, frozenset[str]] = {}
        for via, config in configs.items():
            declare = config.options.get("declare_channel", "")
            found = set(hearing.get(via, {})) | ({declare} if declare else set())
            if found:
                wanted[via] = frozenset(found)
        with self._guard:
            self._channels = wanted
        for via in wanted:
            self._listen(via)
        for via, channels in hearing.items():
            running = self._listening.get(via)
            if running is not None and running.thread is not None:
                for channel in channels:
                    if (via, channel) not in self._fetched:
                        self._fetched.add((via, channel))
                        self._safely(f"the history of {via}", partial(self._catch_up, via, channel))

    def _listen(self, via: str) -> None:
        """Start hearing `via` (a listener first, then the history: what is said between the two is heard
        twice, which the events' ids make harmless, rather than not at all)."""
        running = self._listening.get(via)
        if running is not None:
            alive = running.thread is not None and running.thread.is_alive()
            if alive or running.failed_at is None or time.monotonic() - running.failed_at < RETRY_SECONDS:
                return
        stop = threading.Event()
        try:
            with self.lock:
                heard_by = self.make_listener(self.console, via)
        except (DomainError, ChatProblem) as problem:
            self.log(f"chat: not listening to {via}: {problem}")
            self._listening[via] = _Listening(None, stop, failed_at=time.monotonic())
            return
        except Exception:  # a bug (a service module missing) must not keep the other connections unheard
            _log.exception("chat feed: could not start listening to %s", via)
            self._listening[via] = _Listening(None, stop, failed_at=time.monotonic())
            return
        thread = threading.Thread(
            target=self._run_listener, args=(via, heard_by, stop), name=f"chat-{via}", daemon=True
        )
        self._listening[via] = _Listening(thread, stop)
        self._fetched = {(v, c) for v, c in self._fetched if v != via}  # a restart asks the history again
        thread.start()
        self.log(f"chat: listening to {via}")

    def _run_listener(self, via: str, heard_by: ChatListener, stop: threading.Event) -> None:
        def deliver(message: ChatMessage) -> None:
            self._queue.put((via, message))

        try:
            heard_by.run(lambda: self.channels_of(via), deliver, stop)
        except ChatProblem as problem:
            self.log(f"chat: stopped listening to {via}: {problem}")
        except Exception:
            _log.exception("chat listener %s failed", via)
        finally:
            listening = self._listening.get(via)
            if listening is not None and not stop.is_set():
                listening.failed_at = time.monotonic()

    def _catch_up(self, via: str, channel: str) -> None:
        """What was posted in the channel after the last message the log holds, recorded as if heard."""
        with self.lock:
            incident_id = incidents_hearing(self.console).get(via, {}).get(channel)
            if incident_id is None:
                return
            found = self.console.state(incident_id).channels.get(via)
            after = found.last_heard if found is not None else ""
            chat = self.make_service(self.console, via)
        missed = call(self.console, lambda client: chat.history(client, channel, after))
        for message in missed:
            self._queue.put((via, message))
        if missed:
            self.log(f"chat: {len(missed)} message(s) of {via} fetched after reconnecting")
