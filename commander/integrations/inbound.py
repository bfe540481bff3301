"""What `commander watch` answers over HTTP: Alertmanager's webhook and a health check, served by waitress.

Two routes, one small WSGI app (`make_app`), no framework:

- `POST /alertmanager`: Alertmanager's webhook message, version 4 (`{"version": "4", "groupKey", "status",
  "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "truncatedAlerts",
  "alerts": [{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}]}`,
  https://prometheus.io/docs/alerting/latest/configuration/#webhook_config ; a sample:
  https://docs.rs/crate/alertmanager-webhook-types/latest/source/assets/sample-v4-payload.json). The body,
  at most `MAX_BODY` bytes of UTF-8 JSON (`Content-Type: application/json`, as Alertmanager sends it), is
  handed to the `receive` callback, which stores it and returns a short summary: 200. A body it refuses
  (`Refused`, or a `DomainError` from the rules) gets 400 with the one-line reason; Alertmanager does not
  retry a 4xx. Anything else the callback raises (the store busy or gone) gets 503, which Alertmanager does
  retry. A message larger than the limit gets 413: a group with many alerts is split by the receiver's
  `max_alerts` setting (same page).
- `GET /healthz`: 200 with `{"ok": true, "store": "reachable", "last_event": ..., "engine_idle": ...}`, or
  503 with the same shape when the store cannot be used.

Who may call. Alertmanager sends a bearer token when its receiver's `http_config` says so:
`authorization: {type: Bearer, credentials: TOKEN}` or `credentials_file: PATH` (the older `bearer_token` /
`bearer_token_file` do the same), https://prometheus.io/docs/alerting/latest/configuration/#http_config .
With a token configured every caller must send `Authorization: Bearer TOKEN` (compared in constant time,
`hmac.compare_digest`); a missing or wrong one gets 401 with `WWW-Authenticate: Bearer realm="commander"`
(RFC 6750 section 3). With no token configured only callers on this host (127.0.0.0/8, ::1) are served;
any other gets 403 saying to configure a token. REMOTE_ADDR is the socket's peer (waitress trusts no proxy
header unless told to, and it is not told to): behind a reverse proxy on this host every caller looks
local, so configure a token there.

The server. waitress (https://docs.pylonsproject.org/projects/waitress/en/stable/api.html, `create_server`
with the same arguments as `serve`: host, port, threads, `max_request_body_size`, `channel_timeout`,
`ident`, https://docs.pylonsproject.org/projects/waitress/en/stable/arguments.html) buffers a whole request
before calling the app, so its own `max_request_body_size` is what bounds the memory a caller can take: it
answers 413 itself past `MAX_BODY`. `serve` runs its loop on a thread; `Server.close` stops the loop from
inside it (waitress's trigger), then its worker threads.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from commander.domain.core.errors import DomainError

MAX_BODY = 1024 * 1024  # bytes; Alertmanager's messages are a few kB per alert: split bigger groups (max_alerts)
CHANNEL_TIMEOUT = 30  # seconds an idle or trickling connection is kept (waitress's default is 120)
THREADS = 4  # waitress's worker threads: one webhook is one short store write
REALM = 'Bearer realm="commander"'

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_log = logging.getLogger(__name__)


class Refused(Exception):
    """The callback's refusal of a body: its message is one line saying why (answered with 400)."""


@dataclass(frozen=True)
class Health:
    """What `/healthz` says: `ok` decides 200 or 503; `details` are added to the JSON as they are."""

    ok: bool
    details: Mapping[str, object] = field(default_factory=dict)


def make_app(
    *,
    receive: Callable[[str, str], str],
    health: Callable[[], Health],
    token: str | None,
    max_body: int = MAX_BODY,
    log: logging.Logger = _log,
) -> WsgiApp:
    """The WSGI app. `receive(text, caller)` stores a webhook body and returns a short summary (logged, and
    sent back); `health()` is asked at each `/healthz`. `token` None or empty: loopback callers only."""
    expected = token.encode("utf-8") if token else None

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        caller = str(environ.get("REMOTE_ADDR") or "")
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        refusal = _refuse_caller(environ, expected, caller)
        if refusal is not None:
            status, reason, extra = refusal
            log.warning("refused %s %s caller=%s status=%s reason=%s", method, path, caller, status[:3], reason)
            return _text(start_response, status, reason, extra)
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return _text(start_response, "405 Method Not Allowed", "Use GET /healthz.", [("Allow", "GET, HEAD")])
            return _health(start_response, health)
        if path == "/alertmanager":
            if method != "POST":
                return _text(
                    start_response,
                    "405 Method Not Allowed",
                    "Alertmanager's webhook is POST /alertmanager.",
                    [("Allow", "POST")],
                )
            return _alertmanager(environ, start_response, receive, caller, max_body, log)
        return _text(start_response, "404 Not Found", "Nothing here: POST /alertmanager or GET /healthz.")

    return app


def _refuse_caller(
    environ: Mapping[str, Any], expected: bytes | None, caller: str
) -> tuple[str, str, list[tuple[str, str]]] | None:
    if expected is None:
        if _loopback(caller):
            return None
        return (
            "403 Forbidden",
            "No token is configured, so only callers on this host are served. Set COMMANDER_WATCH_TOKEN or "
            "--token-file, and send it as Authorization: Bearer TOKEN.",
            [],
        )
    scheme, _, given = str(environ.get("HTTP_AUTHORIZATION") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return "401 Unauthorized", "Send Authorization: Bearer TOKEN.", [("WWW-Authenticate", REALM)]
    # WSGI gives header values as latin-1 decoded bytes (PEP 3333): encoded back, they are the bytes sent.
    if not hmac.compare_digest(given.strip().encode("latin-1", "replace"), expected):
        return (
            "401 Unauthorized",
            "The bearer token is wrong.",
            [("WWW-Authenticate", REALM + ', error="invalid_token"')],
        )
    return None


def _loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id ("fe80::1%eth0") is no part of it
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def _alertmanager(
    environ: dict[str, Any],
    start_response: StartResponse,
    receive: Callable[[str, str], str],
    caller: str,
    max_body: int,
    log: logging.Logger,
) -> Iterable[bytes]:
    kind = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        return _text(
            start_response,
            "415 Unsupported Media Type",
            f"Send JSON with Content-Type: application/json (got '{kind[:60] or 'none'}').",
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _text(start_response, "400 Bad Request", "The Content-Length is not a number.")
    if length > max_body:
        return _too_large(start_response, max_body)
    body = environ["wsgi.input"].read(min(length, max_body + 1) if length else max_body + 1)
    if len(body) > max_body:
        return _too_large(start_response, max_body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return _text(start_response, "400 Bad Request", f"The body is not UTF-8 (byte {error.start:,}).")
    try:
        summary = receive(text, caller)
    except (Refused, DomainError) as error:
        reason = _one_line(str(error))
        log.warning("webhook refused caller=%s bytes=%d reason=%s", caller, len(body), reason)
        return _text(start_response, "400 Bad Request", reason)
    except Exception:
        log.exception("webhook not stored caller=%s bytes=%d", caller, len(body))
        return _text(
            start_response,
            "503 Service Unavailable",
            "Commander could not store the alerts just now; send them again (Alertmanager retries).",
            [("Retry-After", "10")],
        )
    return _json(start_response, "200 OK", {"ok": True, "stored": _one_line(summary)})


def _too_large(start_response: StartResponse, max_body: int) -> Iterable[bytes]:
    return _text(
        start_response,
        "413 Content Too Large",
        f"The body is larger than {max_body:,} bytes; set max_alerts on the webhook receiver to split groups.",
    )


def _health(start_response: StartResponse, health: Callable[[], Health]) -> Iterable[bytes]:
    try:
        found = health()
    except Exception as error:  # the check itself failed: that is the answer
        _log.exception("health check failed")
        found = Health(False, {"store": "unusable", "error": _one_line(str(error))})
    status = "200 OK" if found.ok else "503 Service Unavailable"
    return _json(start_response, status, {"ok": found.ok, **found.details})


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _text(
    start_response: StartResponse, status: str, message: str, extra: list[tuple[str, str]] | None = None
) -> Iterable[bytes]:
    body = (_one_line(message) + "\n").encode("utf-8")
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers + list(extra or []))
    return [body]


def _json(start_response: StartResponse, status: str, data: Mapping[str, object]) -> Iterable[bytes]:
    body = json.dumps(data, ensure_ascii=True).encode("ascii")
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
    )
    return [body]


# -- the server ---------------------------------------------------------------------------------------------


class Server:
    """A waitress server running on its own thread; `close` stops it and joins its threads."""

    def __init__(self, server: Any, socket_map: dict[int, Any], listening: list[tuple[str, int]]) -> None:
        self._server = server
        self._map = socket_map
        self.listening = listening  # (host, port) of every socket, the port chosen when 0 was asked
        self._thread = threading.Thread(target=server.run, name="commander-watch-http", daemon=True)
        self._closed = False

    @property
    def port(self) -> int:
        return self.listening[0][1]

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop accepting, let the requests under way finish, close every connection, and join the loop and
        the worker threads."""
        if self._closed:
            return
        self._closed = True
        from waitress import wasyncore
        from waitress.server import BaseWSGIServer
        from waitress.trigger import trigger

        def stop_accepting() -> None:
            for listening in [d for d in list(self._map.values()) if isinstance(d, BaseWSGIServer)]:
                wasyncore.dispatcher.close(listening)  # the listening socket only: its own close ends the trigger

        pull = next((d for d in list(self._map.values()) if isinstance(d, trigger)), None)
        if pull is None or not self._thread.is_alive():
            self._server.task_dispatcher.shutdown(timeout=timeout)
            wasyncore.close_all(self._map)
            return
        _in_loop(pull, stop_accepting)
        # The workers first: each wakes the loop (through the trigger) when it has finished a response, so
        # the trigger's pipe must outlive them.
        self._server.task_dispatcher.shutdown(timeout=timeout)
        _in_loop(pull, lambda: wasyncore.close_all(self._map))
        self._thread.join(timeout)


def _in_loop(pull: Any, thunk: Callable[[], object]) -> None:
    """Run `thunk` inside waitress's loop, so its select never sees a socket closed under it. Not through
    `pull_trigger`: it queues the thunk before it writes the wake-up byte, so the loop, woken by a byte a
    finished response left, could run the thunk (closing the pipe) first, and the write then go to a closed,
    or reused, descriptor. Holding the trigger's lock, the thunk waits for the byte."""
    with pull.lock:
        pull.thunks.append(thunk)
        pull._physical_pull()


def serve(host: str, port: int, app: WsgiApp, *, max_body: int = MAX_BODY) -> Server:
    """Listen on host:port (port 0: any free one) and serve `app` on a thread until `close()`.
    Raises OSError when the address cannot be taken (in use, not this host's)."""
    from waitress import create_server

    socket_map: dict[int, Any] = {}
    server = create_server(
        app,
        map=socket_map,
        host=host,
        port=port,
        threads=THREADS,
        max_request_body_size=max_body,
        channel_timeout=CHANNEL_TIMEOUT,
        ident="commander",
        expose_tracebacks=False,
    )
    effective = getattr(server, "effective_listen", None)
    if effective is None:
        effective = [(server.effective_host, server.effective_port)]
    running = Server(server, socket_map, [(str(h), int(p)) for h, p in effective])
    running.start()
    return running
