"""The watcher's HTTP side: who may call, what a body may be, what /healthz says, and a clean stop. Served by
waitress on 127.0.0.1 with a fake callback; a caller from elsewhere is played through the WSGI app directly
(REMOTE_ADDR), so no traffic leaves this host."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from commander.domain.core.errors import DomainError
from commander.integrations import inbound
from commander.integrations.inbound import Health, Refused

TOKEN = "s3cr3t-token-for-tests-0123456789"
MESSAGE = {
    "version": "4",
    "status": "firing",
    "receiver": "commander",
    "groupKey": '{}:{alertname="HighErrorRate"}',
    "alerts": [{"status": "firing", "labels": {"alertname": "HighErrorRate"}, "annotations": {}}],
}


class Receiver:
    """Keeps what it is handed; refuses what is not a JSON object with an alerts list, as the store's would."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, str]] = []
        self.fail_with: Exception | None = None

    def __call__(self, text: str, caller: str) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        try:
            data = json.loads(text)
        except ValueError as error:
            raise Refused(f"That is not JSON ({error}).") from None
        if not isinstance(data, dict) or not isinstance(data.get("alerts"), list):
            raise DomainError("The message is not an Alertmanager webhook message (no 'alerts' list).")
        self.bodies.append((text, caller))
        return f"{len(data['alerts'])} firing"


class Served:
    def __init__(self, token: str | None, health: Health | None = None, max_body: int = inbound.MAX_BODY) -> None:
        self.receiver = Receiver()
        self.health = health or Health(True, {"store": "reachable"})
        app = inbound.make_app(receive=self.receiver, health=lambda: self.health, token=token, max_body=max_body)
        self.server = inbound.serve("127.0.0.1", 0, app, max_body=max_body)
        self.url = f"http://127.0.0.1:{self.server.port}"

    def post(self, body: bytes | str | None = None, *, token: str | None = None, **headers: Any) -> httpx.Response:
        sent: dict[str, Any] = {"Content-Type": "application/json", **headers}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        content = json.dumps(MESSAGE) if body is None else body
        return httpx.post(f"{self.url}/alertmanager", content=content, headers=sent, timeout=5)


@pytest.fixture
def open_server() -> Iterator[Any]:
    made: list[Served] = []

    def make(token: str | None = None, **kwargs: Any) -> Served:
        served = Served(token, **kwargs)
        made.append(served)
        return served

    yield make
    for served in made:
        served.server.close()


def call(app: inbound.WsgiApp, remote: str, *, path: str = "/healthz", auth: str | None = None) -> tuple[str, str]:
    """One request straight into the app, as from `remote`: (status, body)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "REMOTE_ADDR": remote,
        "wsgi.input": io.BytesIO(b""),
    }
    if auth is not None:
        environ["HTTP_AUTHORIZATION"] = auth
    said: list[str] = []
    body = b"".join(app(environ, lambda status, headers: said.append(status)))
    return said[0], body.decode("utf-8")


# -- who may call ---------------------------------------------------------------------------------------------


def test_without_a_token_a_caller_on_this_host_is_served(open_server: Any) -> None:
    served = open_server()
    answer = served.post()
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True, "stored": "1 firing"}
    assert served.receiver.bodies == [(json.dumps(MESSAGE), "127.0.0.1")]


@pytest.mark.parametrize("remote", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_without_a_token_every_loopback_address_is_this_host(remote: str) -> None:
    app = inbound.make_app(receive=Receiver(), health=lambda: Health(True), token=None)
    assert call(app, remote)[0] == "200 OK"


@pytest.mark.parametrize("remote", ["203.0.113.5", "10.0.0.2", "2001:db8::1", "::ffff:198.51.100.1", "", "nonsense"])
def test_without_a_token_a_caller_from_elsewhere_is_refused_saying_how_to_allow_it(remote: str) -> None:
    app = inbound.make_app(receive=Receiver(), health=lambda: Health(True), token=None)
    status, body = call(app, remote)
    assert status == "403 Forbidden"
    assert "COMMANDER_WATCH_TOKEN" in body and body.count("\n") == 1


def test_with_a_token_a_caller_from_elsewhere_with_it_is_served() -> None:
    app = inbound.make_app(receive=Receiver(), health=lambda: Health(True), token=TOKEN)
    assert call(app, "203.0.113.5", auth=f"Bearer {TOKEN}")[0] == "200 OK"
    assert call(app, "203.0.113.5", auth=f"bearer   {TOKEN}")[0] == "200 OK"  # the scheme is case-insensitive
    assert call(app, "203.0.113.5")[0] == "401 Unauthorized"
    assert call(app, "203.0.113.5", auth="Bearer ")[0] == "401 Unauthorized"
    assert call(app, "203.0.113.5", auth=f"Bearer {TOKEN}\udcff")[0] == "401 Unauthorized"  # not UTF-8 on the wire


def test_the_right_token_is_served(open_server: Any) -> None:
    served = open_server(TOKEN)
    assert served.post(token=TOKEN).status_code == 200
    assert len(served.receiver.bodies) == 1


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer é".encode()],
)
def test_a_missing_or_wrong_token_is_401_with_the_scheme_even_from_this_host(
    open_server: Any, authorization: str | bytes | None
) -> None:
    served = open_server(TOKEN)
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = served.post(**headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="commander"')
    assert TOKEN not in answer.text
    assert served.receiver.bodies == []
    assert httpx.get(f"{served.url}/healthz", timeout=5).status_code == 401


# -- what a body may be ---------------------------------------------------------------------------------------


def test_a_body_past_the_limit_is_413_and_never_handed_on(open_server: Any) -> None:
    served = open_server(max_body=4096)
    answer = served.post(json.dumps({**MESSAGE, "pad": "x" * 5000}))
    assert answer.status_code == 413
    assert served.receiver.bodies == []
    assert served.post().status_code == 200  # the server is still there for the next one


def test_the_apps_own_limit_holds_without_waitress() -> None:
    receiver = Receiver()
    app = inbound.make_app(receive=receiver, health=lambda: Health(True), token=None, max_body=10)
    said: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/alertmanager",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(b'{"alerts": [1, 2, 3, 4, 5]}'),
    }
    b"".join(app(environ, lambda status, headers: said.append(status)))
    assert said == ["413 Content Too Large"] and receiver.bodies == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{", "That is not JSON"),
        ("[1, 2]", "no 'alerts' list"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_a_body_refused_is_400_with_a_one_line_reason(open_server: Any, body: str | bytes, reason: str) -> None:
    served = open_server()
    answer = served.post(body)
    assert answer.status_code == 400
    assert reason in answer.text and answer.text.count("\n") == 1
    assert served.receiver.bodies == []


def test_a_body_that_is_not_json_by_its_type_is_415(open_server: Any) -> None:
    served = open_server()
    answer = served.post(**{"Content-Type": "text/plain"})
    assert answer.status_code == 415 and "application/json" in answer.text
    assert served.post(**{"Content-Type": "application/json; charset=utf-8"}).status_code == 200


def test_a_store_that_cannot_take_it_now_is_503_so_alertmanager_sends_it_again(open_server: Any) -> None:
    served = open_server()
    served.receiver.fail_with = RuntimeError("database is locked")
    answer = served.post()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    assert "locked" not in answer.text  # the cause goes to the log, not to the caller


def test_wrong_method_and_unknown_path(open_server: Any) -> None:
    served = open_server()
    assert httpx.get(f"{served.url}/alertmanager", timeout=5).status_code == 405
    assert httpx.post(f"{served.url}/healthz", timeout=5).status_code == 405
    assert httpx.get(f"{served.url}/", timeout=5).status_code == 404


# -- health ---------------------------------------------------------------------------------------------------


def test_healthz_says_what_the_callback_says(open_server: Any) -> None:
    served = open_server(health=Health(True, {"store": "reachable", "engine_idle": True, "last_event": None}))
    answer = httpx.get(f"{served.url}/healthz", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "store": "reachable", "engine_idle": True, "last_event": None}
    served.health = Health(False, {"store": "unusable"})
    answer = httpx.get(f"{served.url}/healthz", timeout=5)
    assert answer.status_code == 503 and answer.json() == {"ok": False, "store": "unusable"}


def test_a_health_check_that_fails_is_503() -> None:
    def broken() -> Health:
        raise OSError("disk I/O error")

    app = inbound.make_app(receive=Receiver(), health=broken, token=None)
    status, body = call(app, "127.0.0.1")
    assert status == "503 Service Unavailable"
    assert json.loads(body)["store"] == "unusable"


# -- the server -----------------------------------------------------------------------------------------------


def test_close_stops_listening_and_joins_its_threads(open_server: Any) -> None:
    served = open_server()
    keep_alive = httpx.Client(timeout=5)  # a connection left open must not hold the stop up
    assert keep_alive.get(f"{served.url}/healthz").status_code == 200
    served.server.close(timeout=5)
    assert not any(t.name == "commander-watch-http" and t.is_alive() for t in threading.enumerate())
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served.url}/healthz", timeout=2)
    keep_alive.close()
    served.server.close()  # a second close does nothing


def test_an_address_in_use_is_an_oserror(open_server: Any) -> None:
    served = open_server()
    app = inbound.make_app(receive=Receiver(), health=lambda: Health(True), token=None)
    with pytest.raises(OSError):
        inbound.serve("127.0.0.1", served.server.port, app)
