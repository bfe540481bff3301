"""Runbook text's inline Markdown as rich text (safe), plain words and Markdown again (escaped once)."""

from __future__ import annotations

import re

import pytest

from commander.domain.runbooks.inline_markdown import code_span, html, markdown, plain, safe_url

STEP = "Check **every** pod with `kubectl get pods -A` and read [the guide](https://example.org/g?a=1&b=2)."


def test_plain_text_strips_the_markers() -> None:
    assert plain(STEP) == (
        "Check every pod with kubectl get pods -A and read the guide (https://example.org/g?a=1&b=2)."
    )
    assert plain("_em_ and *em* and __b__ and ~~gone~~") == "em and em and b and gone"
    assert plain("a \\*literal\\* star and 2 * 3") == "a *literal* star and 2 * 3"
    assert plain("see <https://example.org>") == "see https://example.org"


def test_plain_text_of_a_sentence_without_markdown_is_the_sentence() -> None:
    assert plain("Restart the consumer pods") == "Restart the consumer pods"
    assert plain("# Drain the node") == "# Drain the node"  # one run of text: never a heading


def test_plain_text_keeps_raw_html_and_images_as_words() -> None:
    assert plain("<b>bold</b> ![graph](https://grafana.example/x.png) ![](/dev/zero)") == (
        "<b>bold</b> graph (https://grafana.example/x.png) image (/dev/zero)"
    )


def test_plain_prose_keeps_paragraphs_lists_tables_and_code() -> None:
    prose = (
        "The **queue** backs up.\n\n- first `a`\n- second\n  1. inner\n\n"
        "| metric | meaning |\n| --- | --- |\n| `up` | **alive** |\n\n```\nkubectl get <x>\n```\n"
    )
    assert plain(prose, block=True) == (
        "The queue backs up.\n\n- first a\n- second\n  1. inner\n\nmetric | meaning\nup | alive\n\n    kubectl get <x>"
    )


def test_rich_text_formats_bold_code_emphasis_and_links() -> None:
    shown = html(STEP)
    assert "<b>every</b>" in shown
    assert "<code>kubectl get pods -A</code>" in shown
    assert (
        '<a href="https://example.org/g?a=1&amp;b=2" title="https://example.org/g?a=1&amp;b=2">the guide</a>' in shown
    )
    assert "**" not in shown and "`" not in shown
    assert html("_quick_ look") == "<i>quick</i> look"


def test_rich_text_never_passes_html_from_the_source() -> None:
    shown = html('<b>x</b> <img src="/dev/zero"> <script>alert(1)</script> &lt; **b<i>**')
    tags = re.findall(r"<(/?\w+)", shown)
    assert set(tags) <= {"b", "/b"}, shown
    assert "&lt;img src=&quot;/dev/zero&quot;&gt;" in shown or '&lt;img src="/dev/zero"&gt;' in shown


def test_rich_text_never_shows_an_image() -> None:
    remote = html("![dashboard](https://grafana.example/d.png)")
    assert "<img" not in remote
    assert remote == (
        'dashboard (<a href="https://grafana.example/d.png" title="https://grafana.example/d.png">'
        "https://grafana.example/d.png</a>)"
    )
    local = html('![zero](/dev/zero "t") ![](file:///etc/passwd)')
    assert "<img" not in local and "<a" not in local
    assert local == "zero (/dev/zero) ![](file:///etc/passwd)"  # markdown-it refuses a file: image: text


def test_only_web_and_mail_links_become_links() -> None:
    assert safe_url("https://x.example") and safe_url("HTTP://x.example") and safe_url("mailto:oncall@x.example")
    for target in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "../other.md", "#anchor", ""):
        assert not safe_url(target)
        shown = html(f"[open]({target})")
        assert "<a" not in shown, shown
    assert html("[docs](../docs/runbook.md)") == "docs"
    assert plain("[docs](../docs/runbook.md)") == "docs (../docs/runbook.md)"


def test_prose_renders_lists_tables_and_code_blocks() -> None:
    shown = html(
        "Intro **x**.\n\n- one\n- two `c`\n\n| a | b |\n| - | -: |\n| 1 | <2> |\n\n```sh\nrm -rf <x>\n```", block=True
    )
    assert "<p>Intro <b>x</b>.</p>" in shown
    assert "<ul><li>one</li><li>two <code>c</code></li></ul>" in shown
    assert "<table" in shown and '<td align="right">&lt;2&gt;</td>' in shown
    assert "<pre>rm -rf &lt;x&gt;</pre>" in shown


def test_markdown_keeps_the_formatting_and_escapes_once() -> None:
    assert markdown(STEP) == (
        "Check **every** pod with `kubectl get pods -A` and read [the guide](<https://example.org/g?a=1&b=2>)."
    )
    assert markdown("a \\*literal\\* star") == "a \\*literal\\* star"
    assert markdown("plain words") == "plain words"
    assert markdown("_em_") == "*em*"


@pytest.mark.parametrize(
    "source",
    [
        "# Drain",
        "- a list",
        "1. one",
        "> quote",
        "<b>x</b>",
        "| a | b |",
        "[x](javascript:alert(1))",
        "![i](/dev/zero)",
    ],
)
def test_markdown_cannot_add_structure_or_html(source: str) -> None:
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable("table").render(f"- [ ] {markdown(source)}")
    assert re.findall(r"<(\w+)", rendered) == ["ul", "li", "p"] or re.findall(r"<(\w+)", rendered) == ["ul", "li"], (
        rendered
    )
    assert plain(markdown(source)) == plain(source).replace("\n", " ")


def test_a_code_span_holds_its_backticks() -> None:
    assert code_span("echo `date`") == "`` echo `date` ``"
    assert plain(code_span("echo `date`")) == "echo `date`"
    assert markdown("run ``a`b``") == "run ``a`b``"


def test_an_entity_stays_as_written_and_an_escape_gives_its_character() -> None:
    assert plain("R&amp;D **now** \\*") == "R&amp;D now *"
    assert html("R&amp;D **now**") == "R&amp;amp;D <b>now</b>"
    assert markdown("R&amp;D") == "R\\&amp;D"


def test_a_note_keeps_its_title_on_a_line_of_its_own() -> None:
    note = "Before.\n\n> **Warning: Do not delete the pod**\n> Its logs go with it. Read them **first**.\n"
    assert html(note, block=True) == (
        "<p>Before.</p><blockquote><p><b>Warning: Do not delete the pod</b><br>Its "
        "logs go with it. Read them <b>first</b>.</p></blockquote>"
    )
    assert plain(note, block=True) == "Before.\n\nWarning: Do not delete the pod\nIts logs go with it. Read them first."
    quote = "> **Not** a title: bold in the middle\n> of a quote"
    assert "<br>" not in html(quote, block=True)
