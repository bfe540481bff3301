"""The team's update destinations, as events in the `settings:destinations` stream (shared through the
store like everything else). A destination's secret (webhook URL, token) is never in an event: each
console keeps it in its own OS keyring under `secret_name`.

Each kind checks its settings when the destination is added (`Kind.check`), and again when a send is
prepared (settings added by an older console, or written straight into the shared store, are input too):
a destination whose settings are wrong fails on its own, with the sentence below, and the others go."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from commander.domain.core.connections import Connection, Family, Kind
from commander.domain.core.errors import DomainError

STREAM = "settings:destinations"

# Matrix identifiers, per the specification's appendix "Identifier Grammar"
# (https://spec.matrix.org/v1.16/appendices/#room-ids, #room-aliases, #server-name) and room version 12
# (https://spec.matrix.org/v1.16/rooms/v12/, MSC4291): a room id is `!opaque_id:server_name` in room
# versions 1 to 11 and `!` + 43 unpadded URL-safe base64 characters (the create event's hash), with no
# server part, from version 12 on; an alias is `#alias:server_name`. Both are at most 255 bytes.
_DNS_NAME = re.compile(r"^[A-Za-z0-9.-]{1,255}$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_V12_ROOM = re.compile(r"^![A-Za-z0-9_-]{43}$")
_OPAQUE = re.compile(r"^[^\s:\x00]+$")  # room ids of versions 1-11 are opaque: any visible characters
MATRIX_ID_BYTES = 255


def server_name(value: str) -> bool:
    """`hostname [ ":" port ]`, where hostname is an IPv4 address, `[IPv6]`, or a DNS name."""
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        if not bracket:
            return False
    else:
        host = value.partition(":")[0]
        if not _DNS_NAME.match(host):
            return False
        rest = value[len(host) :]
    if not rest:
        return True
    return rest.startswith(":") and bool(_PORT.match(rest[1:])) and 0 < int(rest[1:]) < 65536


def matrix_room(value: str) -> bool:
    """A room id (any room version) or a room alias, as the Matrix specification defines them."""
    if not value or len(value.encode()) > MATRIX_ID_BYTES:
        return False
    if value.startswith("!"):
        if _V12_ROOM.match(value):
            return True
        opaque, colon, server = value[1:].partition(":")
        return bool(colon) and bool(_OPAQUE.match(opaque)) and server_name(server)
    if value.startswith("#"):
        alias, colon, server = value[1:].partition(":")
        return bool(colon) and bool(_OPAQUE.match(alias)) and server_name(server)
    return False


def web_address(option: str, value: str) -> None:
    """A whole http(s) address with a host: `https://`, `https://exa mple.org` or a port past 65535
    would only fail later, at every send."""
    problem = f"{option} '{value}' is not a web address: give the whole address, e.g. https://status.example.com."
    if any(c.isspace() for c in value):
        raise DomainError(problem)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (reading it checks it: a port that is not a number raises ValueError)
    except ValueError as error:
        raise DomainError(problem) from error
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise DomainError(problem)


_PAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_COMPONENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def components(value: str, kind: str, numeric: bool = False) -> None:
    """`service=id, service=id`: each service once, each id a component id of the page."""
    seen: set[str] = set()
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        service, sep, component = (piece.strip() for piece in item.partition("="))
        if not sep or not service or not component:
            raise DomainError(
                f"The components setting has '{item}': write each as service=component-id, "
                f"separated by commas (e.g. components=checkout=abc123,payments=def456)."
            )
        if numeric and not component.isdigit():
            raise DomainError(
                f"The components setting maps {service} to '{component}': {kind} component ids are "
                f"numbers (the id in the component's address in the dashboard)."
            )
        if not _COMPONENT_ID.match(component):
            raise DomainError(
                f"The components setting maps {service} to '{component}': use the component's id "
                f"from {kind} (letters, digits, - and _), not its name."
            )
        if service in seen:
            raise DomainError(f"The components setting names {service} twice: give each service one component.")
        seen.add(service)


def _page(options: Mapping[str, str], kind: str) -> None:
    if not _PAGE_ID.match(options.get("page_id", "")):
        raise DomainError(
            f"page_id '{options.get('page_id', '')}' is not a page id for {kind}: copy the id from the "
            f"page's API settings (letters and digits, no spaces or slashes)."
        )


def _check_status_page(kind: str, numeric: bool = False) -> Callable[[Mapping[str, str]], None]:
    def check(options: Mapping[str, str]) -> None:
        if "page_id" in options:
            _page(options, kind)
        components(options.get("components", ""), kind, numeric)

    return check


def _check_matrix(options: Mapping[str, str]) -> None:
    room = options.get("room", "")
    if not matrix_room(room):
        raise DomainError(
            f"The room '{room}' is not a Matrix room id or alias: use the room's id (!… as the "
            f"room's settings show it; rooms made before version 12 end in :server) or an alias "
            f"(#name:server)."
        )


TEAMS_FORMATS = ("adaptive", "messagecard")


def _check_teams(options: Mapping[str, str]) -> None:
    chosen = options.get("format", "").lower()
    if chosen and chosen not in TEAMS_FORMATS:
        raise DomainError(
            f"format '{chosen}' is not a Teams card format: use adaptive (a Workflows webhook) or "
            f"messagecard (an Office 365 connector)."
        )


def _check_discord(options: Mapping[str, str]) -> None:
    # https://docs.discord.com/developers/resources/webhook ("Create Webhook"): 1 to 80 characters, not
    # containing "clyde" or "discord"; Discord refuses the whole message otherwise.
    name = options.get("username", "")
    if name and (len(name) > 80 or any(word in name.lower() for word in ("discord", "clyde"))):
        raise DomainError(
            f"username '{name}' cannot be a Discord webhook's name: use up to 80 characters, "
            f"without the words discord or clyde."
        )


def _check_channel(options: Mapping[str, str]) -> None:
    channel = options.get("channel", "")
    if channel and any(c.isspace() for c in channel):
        raise DomainError(
            f"channel '{channel}' has spaces: use the channel's name or id (town-square, C0123ABC), "
            f"not the name people see."
        )


ADDRESSES = ("url", "api_url", "homeserver")


def _checked(specific: Callable[[Mapping[str, str]], None] | None = None) -> Callable[[Mapping[str, str]], None]:
    """A kind's check: its web addresses whole, then what is particular to it."""

    def check(options: Mapping[str, str]) -> None:
        for option in ADDRESSES:
            if options.get(option):
                web_address(option, options[option])
        if specific is not None:
            specific(options)

    return check


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("slack", "Slack (incoming webhook)", "the webhook URL", check=_checked()),
        Kind(
            "slack-api",
            "Slack (Web API, chat.postMessage)",
            "a bot token (xoxb-…)",
            ("channel",),
            ("api_url",),
            check=_checked(_check_channel),
        ),
        Kind(
            "teams",
            "Microsoft Teams (Workflows or connector webhook)",
            "the webhook URL",
            (),
            ("format",),
            check=_checked(_check_teams),
        ),
        Kind(
            "mattermost",
            "Mattermost (incoming webhook)",
            "the webhook URL",
            (),
            ("channel", "username"),
            check=_checked(_check_channel),
        ),
        Kind("discord", "Discord (webhook)", "the webhook URL", (), ("username",), check=_checked(_check_discord)),
        Kind(
            "matrix",
            "Matrix (client-server API)",
            "an access token",
            ("homeserver", "room"),
            check=_checked(_check_matrix),
        ),
        Kind("webhook", "JSON webhook, signed with HMAC-SHA256", "the signing key", ("url",), check=_checked()),
        Kind(
            "statuspage",
            "Atlassian Statuspage",
            "an API key",
            ("page_id",),
            ("components", "api_url"),
            True,
            check=_checked(_check_status_page("Statuspage")),
        ),
        Kind(
            "cachet",
            "Cachet status page",
            "an API token",
            ("url",),
            ("components",),
            True,
            check=_checked(_check_status_page("Cachet", numeric=True)),
        ),
        Kind(
            "instatus",
            "Instatus status page",
            "an API key",
            ("page_id",),
            ("components", "api_url"),
            True,
            check=_checked(_check_status_page("Instatus")),
        ),
    )
}


def check_options(kind: str, options: Mapping[str, str]) -> None:
    """Everything a destination of this kind needs from its settings, or a DomainError saying what to
    fix: run at add (through `Kind.check`) and again before each send."""
    found = KINDS.get(kind)
    if found is None:
        raise DomainError(
            f"'{kind}' is not a kind of destination this Commander knows: update Commander, or "
            f"remove the destination and add it again as one of: {', '.join(KINDS)}."
        )
    if not isinstance(options, Mapping) or not all(isinstance(v, str) for v in options.values()):
        raise DomainError("Its settings are not text: remove it and add it again.")
    missing = [option for option in found.required if not options.get(option, "").strip()]
    if missing:
        raise DomainError(
            f"A {kind} destination needs {' and '.join(missing)}: remove it and add it again "
            f"with " + " ".join(f"--option {m}=…" for m in missing) + "."
        )
    if found.check is not None:
        found.check({key: value.strip() for key, value in options.items()})


FAMILY = Family("destination", STREAM, KINDS, "commander destination list")
DestinationConfig = Connection
