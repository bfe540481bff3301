"""A real Matrix homeserver (Synapse, `matrix-synapse` from PyPI) on a free loopback port, for one test
module: SQLite, no federation, registration through the shared secret, and the message rate limit low
enough that parallel sends meet it.

Synapse lives in its own virtual environment (its dependencies are not Commander's): VENV, which .ci/run
makes. Without it the tests skip with the reason, unless CI is set: then they fail, because CI installs
it. A test module takes the fixture by assigning it (`synapse = shared.synapse`).

The admin registration API (https://element-hq.github.io/synapse/latest/admin_api/register_api.html):
GET /_synapse/admin/v1/register gives a nonce; POST it back with the user name, password and an
HMAC-SHA1 of `nonce NUL user NUL password NUL notadmin` keyed with registration_shared_secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.helpers.alertmanager import free_port
from tests.helpers.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("COMMANDER_SYNAPSE_VENV", ROOT / ".synapse-venv"))
PYTHON = VENV / "bin" / "python"
SERVER_NAME = "commander.test"
SHARED_SECRET = "commander-tests-" + uuid.uuid4().hex
READY_WITHIN = 60.0  # seconds: Synapse prepares its database schema on the first start
# Low enough that a handful of sends at once are told to wait (429 M_LIMIT_EXCEEDED with retry_after_ms),
# high enough that the tests stay short: a burst of 3 messages, then one every half second.
MESSAGES_PER_SECOND = 2.0
MESSAGE_BURST = 3

CONFIG = """\
server_name: "{server_name}"
pid_file: "{folder}/homeserver.pid"
public_baseurl: "http://127.0.0.1:{port}/"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{folder}/homeserver.db"
log_config: "{folder}/log.yaml"
media_store_path: "{folder}/media"
signing_key_path: "{folder}/signing.key"
registration_shared_secret: "{secret}"
enable_registration: false
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
presence:
  enabled: false
enable_metrics: false
rc_message:
  per_second: {per_second}
  burst_count: {burst}
rc_registration:
  per_second: 100
  burst_count: 100
rc_login:
  address: {{per_second: 100, burst_count: 100}}
  account: {{per_second: 100, burst_count: 100}}
rc_room_creation:
  per_second: 100
  burst_count: 100
rc_joins:
  local: {{per_second: 100, burst_count: 100}}
"""

LOG = """\
version: 1
formatters:
  plain: {format: "%(asctime)s %(levelname)s %(name)s %(message)s"}
handlers:
  file: {class: logging.FileHandler, filename: "FOLDER/homeserver.log", formatter: plain}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


@dataclass(frozen=True)
class RunningSynapse:
    url: str  # the client API's base, http://127.0.0.1:PORT
    folder: Path

    def register(self, name: str) -> str:
        """A new user; returns its access token."""
        nonce = httpx.get(f"{self.url}/_synapse/admin/v1/register", timeout=10).json()["nonce"]
        password = uuid.uuid4().hex
        mac = hmac.new(
            SHARED_SECRET.encode(),
            b"\x00".join(part.encode() for part in (nonce, name, password, "notadmin")),
            hashlib.sha1,
        ).hexdigest()
        answer = httpx.post(
            f"{self.url}/_synapse/admin/v1/register",
            timeout=10,
            json={"nonce": nonce, "username": name, "password": password, "admin": False, "mac": mac},
        )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def create_room(self, token: str, **body: Any) -> str:
        """A private room made by this user (the server's default room version unless given)."""
        answer = httpx.post(
            f"{self.url}/_matrix/client/v3/createRoom",
            json={"preset": "private_chat", **body},
            headers=_auth(token),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        room: str = answer.json()["room_id"]
        return room

    def room_version(self, token: str, room: str) -> str:
        answer = httpx.get(
            f"{self.url}/_matrix/client/v3/rooms/{quote(room, safe='')}/state/m.room.create/",
            headers=_auth(token),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json().get("room_version", "1"))

    def messages(self, token: str, room: str) -> list[dict[str, Any]]:
        """Every m.room.message in the room, oldest first (GET /rooms/{id}/messages, page by page)."""
        found: list[dict[str, Any]] = []
        since: str | None = None
        while True:
            params: dict[str, str | int] = {
                "dir": "f",
                "limit": 100,
                "filter": json.dumps({"types": ["m.room.message"]}),
            }
            if since:
                params["from"] = since
            answer = httpx.get(
                f"{self.url}/_matrix/client/v3/rooms/{quote(room, safe='')}/messages",
                params=params,
                headers=_auth(token),
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()
            found.extend(page.get("chunk", []))
            if not page.get("chunk") or not page.get("end"):
                return found
            since = page["end"]


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def missing() -> str | None:
    """Why Synapse cannot run here, or None."""
    if not (VENV / "bin" / "synapse_homeserver").exists():
        return (
            f"Synapse is not installed in {VENV} (python3 -m venv {VENV} && {VENV}/bin/pip install "
            f"'matrix-synapse==1.163.*'; .ci/run does it)"
        )
    return None


def start(folder: Path) -> Iterator[RunningSynapse]:
    reason = missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install it.")
        pytest.skip(reason)
    port = free_port()
    config = folder / "homeserver.yaml"
    config.write_text(
        CONFIG.format(
            server_name=SERVER_NAME,
            folder=folder,
            port=port,
            secret=SHARED_SECRET,
            per_second=MESSAGES_PER_SECOND,
            burst=MESSAGE_BURST,
        ),
        encoding="utf-8",
    )
    (folder / "log.yaml").write_text(LOG.replace("FOLDER", str(folder)), encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    output = (folder / "stdout.log").open("w")
    # the default "generate missing files and run" makes the signing key on the first start
    process = subprocess.Popen(
        [str(PYTHON), "-m", "synapse.app.homeserver", "-c", str(config)],
        cwd=folder,
        stdout=output,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": ""},
    )
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(
                    f"Synapse exited at start ({process.returncode}): {(folder / 'stdout.log').read_text()[-3000:]}"
                )
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, READY_WITHIN, 0.1, message=f"Synapse was not ready within {READY_WITHIN:g} s.")
        yield RunningSynapse(url, folder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


@pytest.fixture(scope="module")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSynapse]:
    yield from start(tmp_path_factory.mktemp("synapse"))
