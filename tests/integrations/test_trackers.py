"""Trackers against local services that answer as Jira, GitHub, Linear and Asana do: credentials and
payloads checked exactly, their real error bodies explained, 429 and Retry-After honoured."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest

from commander.integrations.trackers import make
from commander.integrations.trackers.base import (
    Created,
    ExternalStatus,
    Issue,
    Tracker,
    TrackerRefused,
    retrying,
)
from tests.helpers.fakes import Reply, serve
from tests.helpers.tracker_fakes import EMAIL, FAKES, TOKEN, FakeGitHub, FakeJira, FakeLinear, options

T = TypeVar("T")
ISSUE = Issue(
    "Alert on consumer lag",
    ("Action item from incident INC-7K2M9QXA: Checkout 502s", "Type: detect · Priority: P2\nOwner: Sam"),
    ("commander", "INC-7K2M9QXA", "action-detect"),
)


def run(work: Callable[[httpx.AsyncClient], Awaitable[T]], waits: list[str] | None = None) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return await retrying(
                lambda: work(client),
                backoff=(0.0,),
                on_wait=(waits.append if waits is not None else lambda detail: None),
            )

    return asyncio.run(go())


def tracker(kind: str, base: str, secret: str = TOKEN, **extra: str) -> Tracker:
    return make(kind, f"ops-{kind}", {**options(kind, base), **extra}, secret)


@pytest.mark.parametrize("kind", sorted(FAKES))
def test_each_tracker_creates_the_issue_and_reads_its_status_back(kind: str) -> None:
    fake = FAKES[kind]()
    with serve(fake) as service:
        made = tracker(kind, service.base)
        created = run(lambda client: made.create(client, ISSUE))
        assert isinstance(created, Created) and created.key and created.url.startswith(("https://", service.base))
        assert run(lambda client: made.status(client, created.key)).done is False
        fake.done.add(created.key)
        finished = run(lambda client: made.status(client, created.key))
    assert isinstance(finished, ExternalStatus) and finished.done
    assert len(fake.created) == 1


def test_jira_gets_basic_auth_and_an_adf_description() -> None:
    fake = FakeJira()
    with serve(fake) as jira:
        created = run(lambda client: tracker("jira", jira.base, labels="ops, post mortem").create(client, ISSUE))
        sent = jira.requests[0]
    assert created == Created("OPS-12", f"{jira.base}/browse/OPS-12")
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert json.loads(sent.body) == {
        "fields": {
            "project": {"key": "OPS"},
            "summary": "Alert on consumer lag",
            "issuetype": {"name": "Task"},
            "labels": ["commander", "INC-7K2M9QXA", "action-detect", "ops", "post", "mortem"],
            "description": {
                "type": "doc",
                "version": 1,
                "content": [
                    {
                        "type": "paragraph",
                        "content": [{"type": "text", "text": "Action item from incident INC-7K2M9QXA: Checkout 502s"}],
                    },
                    {
                        "type": "paragraph",
                        "content": [
                            {"type": "text", "text": "Type: detect · Priority: P2"},
                            {"type": "hardBreak"},
                            {"type": "text", "text": "Owner: Sam"},
                        ],
                    },
                ],
            },
        }
    }


def test_jira_errors_say_what_to_fix() -> None:
    with serve(FakeJira()) as jira:
        with pytest.raises(TrackerRefused, match=r"issuetype: Specify a valid issue type.*issuetype"):
            run(lambda client: tracker("jira", jira.base, issuetype="Story").create(client, ISSUE))
        with pytest.raises(TrackerRefused, match=r"401.*email and API token are not accepted"):
            run(lambda client: tracker("jira", jira.base, secret="wrong").create(client, ISSUE))
        with pytest.raises(TrackerRefused, match="Issue does not exist"):
            run(lambda client: tracker("jira", jira.base).status(client, "OPS-99"))
        assert len(jira.requests) == 3  # none of these is retried


def test_github_sends_the_token_and_the_api_headers() -> None:
    fake = FakeGitHub()
    with serve(fake) as github:
        created = run(lambda client: tracker("github", github.base).create(client, ISSUE))
        sent = github.requests[0]
    assert created == Created("acme/shop#12", "https://github.com/acme/shop/issues/12")
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["accept"] == "application/vnd.github+json"
    assert sent.headers["x-github-api-version"] == "2022-11-28"
    assert json.loads(sent.body) == {"title": ISSUE.title, "body": ISSUE.text}  # labels only when configured


def test_github_refusals_are_explained() -> None:
    gone = Reply(
        410,
        json.dumps(
            {"message": "Issues are disabled for this repo", "documentation_url": "https://docs.github.com/rest"}
        ),
    )
    with serve(FakeGitHub(queue=[gone])) as github:
        with pytest.raises(TrackerRefused, match="Issues are disabled.*turn them on"):
            run(lambda client: tracker("github", github.base).create(client, ISSUE))
        with pytest.raises(TrackerRefused, match="Bad credentials.*new token"):
            run(lambda client: tracker("github", github.base, secret="old").create(client, ISSUE))
        with pytest.raises(TrackerRefused, match=r"Validation Failed \(title missing_field\)"):
            run(lambda client: tracker("github", github.base).create(client, Issue("", ("x",))))


def test_github_rate_limit_by_403_is_waited_out() -> None:
    limited = Reply(
        403,
        json.dumps({"message": "API rate limit exceeded for user ID 1."}),
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0"},
    )
    fake = FakeGitHub(queue=[limited])
    waits: list[str] = []
    with serve(fake) as github:
        created = run(lambda client: tracker("github", github.base).create(client, ISSUE), waits)
    assert created.key == "acme/shop#12" and len(fake.created) == 1
    assert waits and "rate limiting" in waits[0]


def test_linear_sends_the_key_bare_and_the_mutation_with_variables() -> None:
    fake = FakeLinear()
    with serve(fake) as linear:
        created = run(lambda client: tracker("linear", linear.base).create(client, ISSUE))
        sent = linear.requests[0]
    assert created == Created("ENG-12", "https://linear.app/acme/issue/ENG-12")
    assert sent.headers["authorization"] == TOKEN  # a personal key takes no "Bearer"
    body = json.loads(sent.body)
    assert "issueCreate(input: $input)" in body["query"]
    assert body["variables"] == {"input": {"teamId": "team-uuid-1", "title": ISSUE.title, "description": ISSUE.text}}


def test_linear_errors_inside_a_200_are_refusals() -> None:
    with serve(FakeLinear()) as linear:
        with pytest.raises(TrackerRefused, match="teamId must be a UUID.*not its key"):
            run(lambda client: tracker("linear", linear.base, team="ENG").create(client, ISSUE))
        with pytest.raises(TrackerRefused, match="You need to authenticate.*valid key"):
            run(lambda client: tracker("linear", linear.base, secret="lin_wrong").create(client, ISSUE))


def test_linear_ratelimited_is_retried() -> None:
    limited = Reply(
        400,
        json.dumps(
            {
                "errors": [
                    {
                        "message": "Rate limit exceeded",
                        "extensions": {"code": "RATELIMITED", "userPresentableMessage": "Too many requests."},
                    }
                ]
            }
        ),
        {"retry-after": "0"},
    )
    fake = FakeLinear(queue=[limited])
    with serve(fake) as linear:
        created = run(lambda client: tracker("linear", linear.base).create(client, ISSUE))
    assert created.key == "ENG-12" and len(fake.created) == 1


@pytest.mark.parametrize("kind", sorted(FAKES))
def test_429_with_retry_after_is_retried_and_then_succeeds(kind: str) -> None:
    fake = FAKES[kind](queue=[Reply(429, "Too Many Requests", {"retry-after": "0"})] * 2)
    waits: list[str] = []
    with serve(fake) as service:
        created = run(lambda client: tracker(kind, service.base).create(client, ISSUE), waits)
        assert len(service.requests) == 3
    assert created.key and len(fake.created) == 1
    assert len(waits) == 2 and "429" in waits[0]


def test_a_tracker_that_stays_busy_is_given_up_with_advice() -> None:
    with serve(FakeGitHub(queue=[Reply(429, "slow down", {"retry-after": "0"})] * 9)) as github:
        with pytest.raises(TrackerRefused, match="gave up after 4 attempts. Try again in a few minutes"):
            run(lambda client: tracker("github", github.base).create(client, ISSUE))
        assert len(github.requests) == 4


def test_a_5xx_while_creating_is_not_retried_it_may_have_created_the_issue() -> None:
    with serve(FakeJira(queue=[Reply(502, "Bad Gateway")])) as jira:
        with pytest.raises(TrackerRefused, match="may have been created anyway. Look in ops-jira"):
            run(lambda client: tracker("jira", jira.base).create(client, ISSUE))
        assert len(jira.requests) == 1


def test_a_5xx_while_reading_is_retried() -> None:
    fake = FakeJira()
    with serve(fake) as jira:
        made = tracker("jira", jira.base)
        created = run(lambda client: made.create(client, ISSUE))
        fake.queue = [Reply(502, "Bad Gateway"), Reply(503, "busy", {"retry-after": "0"})]
        status = run(lambda client: made.status(client, created.key))
        assert len(jira.requests) == 4
    assert status == ExternalStatus("In Progress", False)


def test_an_unreachable_tracker_is_retried_then_explained() -> None:
    made = tracker("asana", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(TrackerRefused, match=r"could not be reached \(ConnectError\); gave up after 4"):
        run(lambda client: made.create(client, ISSUE))


def test_asana_wraps_the_task_in_data_and_asks_for_its_link() -> None:
    fake = FAKES["asana"]()
    with serve(fake) as asana:
        created = run(lambda client: tracker("asana", asana.base).create(client, ISSUE))
        sent = asana.requests[0]
    assert created == Created("1205012", "https://app.asana.com/0/1201/1205012")
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert fake.created[0] == {
        "query": {"opt_fields": "permalink_url"},
        "body": {"data": {"name": ISSUE.title, "notes": ISSUE.text, "workspace": "1200", "projects": ["1201"]}},
    }
    with serve(fake) as asana:
        with pytest.raises(TrackerRefused, match="workspace: Missing input.*workspace and project"):
            run(lambda client: tracker("asana", asana.base, workspace="9").create(client, ISSUE))
        with pytest.raises(TrackerRefused, match="Not Authorized.*personal access token"):
            run(lambda client: tracker("asana", asana.base, secret="x").create(client, ISSUE))


def test_github_mentions_in_the_text_notify_nobody() -> None:
    fake = FakeGitHub()
    with serve(fake) as github:
        run(
            lambda client: tracker("github", github.base).create(
                client, Issue("Ask @alice about #12", ("Finding: @bob-ops saw it; see issue #7",))
            )
        )
    assert fake.created[0] == {
        "title": "Ask @\u200balice about #\u200b12",
        "body": "Finding: @\u200bbob-ops saw it; see issue #\u200b7",
    }
