"""Slack's Web API for an incident's channel, against the fake Slack (tests/helpers/slack_fake.py): names made to
fit Slack's rules, a taken name tried again with a suffix, the topic, invitations by email, posts escaped, the
history read page by page, and every refusal worded for a person."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commander.integrations import chat
from commander.integrations.chat import slack
from commander.integrations.chat.base import POSTED, ChatProblem
from commander.integrations.chat.slack import NAME_TRIES, SlackChat, slack_name, suffixed, tokens
from commander.integrations.chat.slack_web import plain
from tests.helpers.fakes import Reply, serve
from tests.helpers.slack_fake import SlackFake, slack_fake

T = TypeVar("T")
VALID = re.compile(r"^[a-z0-9_-]{1,80}$")


def run(fake: SlackFake, action: Callable[[SlackChat, httpx.AsyncClient], Awaitable[T]]) -> T:
    service = chat.make("slack", "acme", fake.options, fake.secret)
    assert isinstance(service, SlackChat)

    async def go() -> T:
        async with httpx.AsyncClient(timeout=10) as client:
            return await action(service, client)

    return asyncio.run(go())


def called(fake: SlackFake, method: str) -> list[dict[str, object]]:
    return [params for name, params in fake.calls if name == method]


@given(st.text(max_size=300), st.integers(min_value=2, max_value=NAME_TRIES))
def test_any_text_makes_a_name_slack_takes(text: str, number: int) -> None:
    name = slack_name(text)
    assert VALID.match(name) and re.search(r"[a-z0-9]", name), name
    with_suffix = suffixed(name, number)
    assert VALID.match(with_suffix) and with_suffix.endswith(f"-{number}"), with_suffix


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("SEV1 Checkout API: returning 502s", "sev1-checkout-api-returning-502s"),
        ("Café déjà vu", "cafe-deja-vu"),
        ("db.primary  failover", "db-primary-failover"),
        ("snake_case_ok", "snake_case_ok"),
        ("...!!!", "incident"),
        ("障害", "incident"),
        ("a" * 100, "a" * 80),
    ],
)
def test_a_title_becomes_a_channel_name(text: str, name: str) -> None:
    assert slack_name(text) == name


def test_a_suffix_on_a_long_name_still_fits() -> None:
    assert suffixed("a" * 80, 10) == "a" * 77 + "-10"


def test_the_secret_holds_the_bot_token_then_the_app_token() -> None:
    assert tokens("xoxb-1-2") == ("xoxb-1-2", "")
    assert tokens("  xoxb-1-2\n  xapp-3-4 ") == ("xoxb-1-2", "xapp-3-4")
    assert tokens("xapp-3-4 xoxb-1-2") == ("xoxb-1-2", "xapp-3-4")


def test_a_channel_is_made_with_its_topic_and_link() -> None:
    with slack_fake() as fake:
        made = run(fake, lambda s, c: s.create_channel(c, "SEV1 Checkout API: 502s", topic="SEV1 · IC Alex"))
        assert made.name == "sev1-checkout-api-502s"
        assert fake.channels[made.id].topic == "SEV1 · IC Alex"
        assert made.url == f"https://fake.slack.com/archives/{made.id}"


def test_without_a_workspace_url_the_channel_links_through_slack() -> None:
    with slack_fake() as fake:
        service = slack.make("acme", {"api_url": fake.api_url}, fake.secret)
        assert service.channel_url("C0123") == "https://slack.com/app_redirect?channel=C0123"


def test_a_taken_name_is_tried_again_with_a_suffix() -> None:
    with slack_fake() as fake:
        fake.add_channel("sev2-search")
        fake.add_channel("sev2-search-2")
        made = run(fake, lambda s, c: s.create_channel(c, "SEV2 search"))
        assert made.name == "sev2-search-3"
        assert [params["name"] for params in called(fake, "conversations.create")] == [
            "sev2-search",
            "sev2-search-2",
            "sev2-search-3",
        ]


def test_when_every_name_is_taken_the_person_is_told_what_to_do() -> None:
    with slack_fake() as fake:
        fake.fail("conversations.create", "name_taken", times=NAME_TRIES)
        with pytest.raises(ChatProblem, match=r"#sev2-search to #sev2-search-10 already: archive or rename"):
            run(fake, lambda s, c: s.create_channel(c, "SEV2 search"))
        assert len(called(fake, "conversations.create")) == NAME_TRIES


def test_a_long_topic_is_cut_to_slacks_250_characters() -> None:
    with slack_fake() as fake:
        channel = fake.add_channel("inc")
        run(fake, lambda s, c: s.set_topic(c, channel, "x" * 300))
        assert len(fake.channels[channel].topic) == 250 and fake.channels[channel].topic.endswith("…")


def test_a_topic_slack_refuses_does_not_lose_the_new_channel(caplog: pytest.LogCaptureFixture) -> None:
    with slack_fake() as fake:
        fake.fail("conversations.setTopic", "not_in_channel")
        made = run(fake, lambda s, c: s.create_channel(c, "inc", topic="SEV1"))
        assert made.id in fake.channels and "its topic not set" in caplog.text


def test_people_are_found_by_email_and_invited() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com", display_name="Alex")
        sam = fake.add_user("Sam@Example.com")
        kim = fake.add_user("kim@example.com")
        channel = fake.add_channel("inc", [kim])

        async def go(service: SlackChat, client: httpx.AsyncClient) -> tuple[list[str | None], list[str]]:
            found = [await service.find_user(client, email) for email in ("alex@example.com", "sam@example.com")]
            found.append(await service.find_user(client, "nobody@example.com"))
            found.append(await service.find_user(client, "not an email"))
            failed = await service.invite(client, channel, [alex, sam, kim, "U0NOBODY99", alex, "bad id"])
            return found, failed

        found, failed = run(fake, go)
        assert found == [alex, sam, None, None]
        assert failed == ["bad id", "U0NOBODY99"]  # kim was in already: not a failure
        assert {alex, sam, kim} <= fake.channels[channel].members
        assert called(fake, "conversations.invite")[0]["users"] == f"{alex},{sam},{kim},U0NOBODY99"


def test_more_than_a_thousand_people_are_invited_in_batches() -> None:
    with slack_fake() as fake:
        people = [fake.add_user(f"p{number}@example.com") for number in range(1_500)]
        channel = fake.add_channel("inc")
        assert run(fake, lambda s, c: s.invite(c, channel, people)) == []
        batches = [str(params["users"]).split(",") for params in called(fake, "conversations.invite")]
        assert [len(batch) for batch in batches] == [1_000, 500]
        assert set(people) <= fake.channels[channel].members


def test_a_post_is_plain_text_escaped_and_a_reply_goes_in_its_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack, "POST_RATE", 0.0)  # one post a second per channel: not what this test is about
    with slack_fake() as fake:
        channel = fake.add_channel("inc")

        async def go(service: SlackChat, client: httpx.AsyncClient) -> tuple[str, str]:
            first = await service.post(client, channel, "<!channel> rollback & <b>done</b>")
            return first, await service.post(client, channel, "thanks", thread=first)

        first, reply = run(fake, go)
        messages = {message["ts"]: message for message in fake.channels[channel].messages}
        assert messages[first]["text"] == "&lt;!channel&gt; rollback &amp; &lt;b&gt;done&lt;/b&gt;"
        assert messages[reply]["thread_ts"] == first and reply != first


def test_a_post_to_a_channel_the_app_left_says_to_invite_it() -> None:
    with slack_fake() as fake:
        channel = fake.add_channel("inc")
        fake.channels[channel].members.discard(fake.bot_user)
        with pytest.raises(ChatProblem, match=r"\(not_in_channel\): the app is not in the channel: invite it"):
            run(fake, lambda s, c: s.post(c, channel, "hello"))


def test_archiving_twice_is_no_error() -> None:
    with slack_fake() as fake:
        channel = fake.add_channel("inc")
        run(fake, lambda s, c: s.archive(c, channel))
        run(fake, lambda s, c: s.archive(c, channel))
        assert fake.channels[channel].archived


def test_history_is_read_page_by_page_oldest_first_after_a_message() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com", display_name="Alex")
        channel = fake.add_channel("inc", [alex])
        said = [
            fake.say(channel, alex, f"line {number} <@{alex}> &amp; <https://x.test|dash>") for number in range(450)
        ]
        fake.say(channel, alex, "a reply in a thread", thread=said[0])  # not in conversations.history
        everything = run(fake, lambda s, c: s.history(c, channel, ""))
        assert [message.id for message in everything] == said
        assert len(called(fake, "conversations.history")) == 3  # 200 + 200 + 50
        first = everything[0]
        assert first.change == POSTED and first.author_id == alex and first.channel == channel
        assert first.text == f"line 0 @{alex} & dash (https://x.test)"
        assert first.url == f"https://fake.slack.com/archives/{channel}/p{said[0].replace('.', '')}"
        assert first.at is not None and first.at.timestamp() == pytest.approx(float(said[0]))
        later = run(fake, lambda s, c: s.history(c, channel, said[399]))
        assert [message.id for message in later] == said[400:]


def test_one_catch_up_is_bounded_and_keeps_the_newest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack, "HISTORY_MAX", 300)
    monkeypatch.setattr(slack, "HISTORY_PAGE", 100)
    with slack_fake() as fake:
        channel = fake.add_channel("inc")
        said = [fake.say(channel, "U0SOMEONE1", f"line {number}") for number in range(500)]
        heard = run(fake, lambda s, c: s.history(c, channel, ""))
        assert [message.id for message in heard] == said[200:]


def test_slack_markup_is_made_plain_and_bounded() -> None:
    said = plain("<!here> see <#C1|ops> and <mailto:a@b.test|a@b.test> 1 &lt; 2")
    assert said == "@here see #ops and a@b.test (mailto:a@b.test) 1 < 2"
    assert len(plain("x" * 10_000)) <= 4_000


@pytest.mark.parametrize(
    ("error", "status", "needed", "words", "transient"),
    [
        ("missing_scope", 200, "channels:manage", "lacks the channels:manage scope: add it under OAuth", False),
        ("missing_scope", 200, "", "lacks the channels:manage (groups:write for private channels) scope", False),
        ("invalid_auth", 200, "", "the bot token is not accepted: set the Slack connection's token again", False),
        ("restricted_action", 200, "", "ask a Slack admin", False),
        (
            "ratelimited",
            429,
            "",
            "could not create the channel #inc (ratelimited); Commander will try again in 7 s",
            True,
        ),
        ("internal_error", 200, "", "Commander will try again", True),
        ("some_new_error", 200, "", "see Slack's page for conversations.create", False),
    ],
)
def test_each_refusal_says_what_to_do(error: str, status: int, needed: str, words: str, transient: bool) -> None:
    with slack_fake() as fake:
        fake.fail("conversations.create", error, status=status, needed=needed, retry_after=7 if status == 429 else None)
        with pytest.raises(ChatProblem) as refused:
            run(fake, lambda s, c: s.create_channel(c, "inc"))
        assert words in str(refused.value)
        assert refused.value.transient is transient
        assert refused.value.retry_after == (7 if status == 429 else None)


def test_a_wrong_token_is_refused_as_slack_refuses_it() -> None:
    with slack_fake() as fake:
        service = slack.make("acme", fake.options, "xoxb-wrong")
        with pytest.raises(ChatProblem, match=r"\(invalid_auth\): the bot token is not accepted"):
            asyncio.run(_lookup(service))


async def _lookup(service: SlackChat) -> str | None:
    async with httpx.AsyncClient(timeout=10) as client:
        return await service.find_user(client, "alex@example.com")


def test_an_html_page_in_between_is_named_and_passes() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    with serve(lambda request: Reply(502, page, {"content-type": "text/html"})) as proxy:
        service = slack.make("acme", {"api_url": proxy.base + "/api"}, "xoxb-1")
        with pytest.raises(ChatProblem, match="answered 502 with an HTML page titled '502 Bad Gateway'") as refused:
            asyncio.run(_lookup(service))
        assert refused.value.transient


def test_slack_out_of_reach_passes() -> None:
    service = slack.make("acme", {"api_url": "http://127.0.0.1:9/api"}, "xoxb-1")
    with pytest.raises(ChatProblem, match="could not be reached") as refused:
        asyncio.run(_lookup(service))
    assert refused.value.transient


def test_history_after_something_that_is_no_message_id_is_a_bug_said_at_once() -> None:
    with slack_fake() as fake:
        channel = fake.add_channel("inc")
        with pytest.raises(ValueError, match="not a Slack message id"):
            run(fake, lambda s, c: s.history(c, channel, "yesterday"))
        assert not called(fake, "conversations.history")
