"""A local HTTP server on 127.0.0.1 that answers as a scripted service would, and records requests."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering: a slow or hanging service
    drop: bool = False  # close the connection without answering


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Script = Callable[[Request], Reply]


@dataclass
class FakeService:
    url: str  # http://127.0.0.1:PORT/hook
    requests: list[Request]

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT, for services addressed by API paths rather than one hook URL."""
        return self.url.removesuffix("/hook")


@contextmanager
def serve(script: Script) -> Iterator[FakeService]:
    requests: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = Request(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            requests.append(request)
            reply = script(request)
            if reply.delay:  # a slow service on purpose: the sleep is what the script asks for
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            payload = reply.body.encode()
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: what a hanging service's client does

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer  # noqa: N815 - the http.server names

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeService(f"http://127.0.0.1:{server.server_address[1]}/hook", requests)
    finally:
        server.shutdown()
        server.server_close()


# --- what the services check, as their documentation says (sources in each destination module's docstring) ---

SLACK_BLOCK_TEXT = {"header": 150, "section": 3_000, "context": 3_000}
SLACK_BLOCKS = 50
SLACK_BLOCKS_TEXT = 12_000  # the whole message's block text: past it, msg_blocks_too_long
SLACK_TEXT = 40_000  # the top-level text: past it, msg_too_long
_SLACK_NOTIFYING = re.compile(r"<!(channel|here|everyone)(\|[^>]*)?>|<@[UW][A-Z0-9]+>|<!subteam\^[A-Z0-9]+>")


def _slack_texts(block: dict[str, Any]) -> list[tuple[str, str]]:
    """(type, text) of every text object in a block: its own and its elements'."""
    found = []
    if isinstance(block.get("text"), dict):
        found.append((block["text"].get("type", ""), str(block["text"].get("text", ""))))
    for element in block.get("elements", []) if isinstance(block.get("elements"), list) else []:
        if isinstance(element, dict) and "text" in element:
            found.append((element.get("type", ""), str(element["text"])))
    return found


def slack_refusal(body: dict[str, Any]) -> str | None:
    """The error Slack gives this message, or None when it takes it: chat.postMessage's and a webhook's."""
    text, blocks = body.get("text", ""), body.get("blocks")
    if not text and not blocks:
        return "no_text"
    if len(text) > SLACK_TEXT:
        return "msg_too_long"
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > SLACK_BLOCKS:
        return "invalid_blocks"
    total = 0
    for block in blocks:
        limit = SLACK_BLOCK_TEXT.get(block.get("type", "")) if isinstance(block, dict) else None
        if limit is None:
            return "invalid_blocks"
        for _, said in _slack_texts(block):
            if not said or len(said) > limit:
                return "invalid_blocks"
            total += len(said)
    return "msg_blocks_too_long" if total > SLACK_BLOCKS_TEXT else None


def slack_notified(body: dict[str, Any]) -> list[str]:
    """Mentions Slack would act on in this message: in the top-level text and in mrkdwn text objects (plain
    text is shown as it is)."""
    texts = [str(body.get("text", ""))]
    for block in body.get("blocks") or []:
        texts += [said for kind, said in _slack_texts(block) if kind == "mrkdwn"]
    return [found.group(0) for text in texts for found in _SLACK_NOTIFYING.finditer(text)]
