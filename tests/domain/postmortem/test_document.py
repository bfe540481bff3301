"""The postmortem as a document: Markdown, HTML in which nothing typed is markup, and JSON that reads back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from commander.domain.postmortem.document import (
    DocumentSection,
    OpenConflict,
    PostmortemDocument,
    findings,
    from_json,
    markdown_html,
    neutralise_html,
    to_html,
    to_json,
    to_markdown,
)

AT = datetime(2026, 11, 28, 10, 40, 12, 345000, tzinfo=UTC)


def sample(**texts: str) -> PostmortemDocument:
    sections = tuple(
        DocumentSection(key, key.replace("_", " ").capitalize(), text, "Sam Okafor", AT)
        for key, text in ({"summary": "Checkout failed", "impact": ""} | texts).items()
    )
    return PostmortemDocument(
        "i-1",
        "INC-7K2M9QXA",
        "Checkout <b>502s</b>",
        "SEV1",
        ("Sam Okafor", "Priya Shah"),
        "in_review",
        "Priya Shah",
        date(2026, 12, 4),
        "default",
        "Priya Shah",
        AT,
        "",
        None,
        sections,
    )


def test_markdown_has_a_heading_the_facts_and_every_section() -> None:
    text = to_markdown(sample())
    assert text.startswith("# Postmortem: INC-7K2M9QXA Checkout &lt;b>502s&lt;/b>\n")
    assert "**Status:** in review · **Owner:** Priya Shah · **Review meeting:** 2026-12-04" in text
    assert "## Summary\n\nCheckout failed\n" in text
    assert "## Impact\n\n_Nothing written yet._\n" in text


def test_markdown_shows_html_as_characters_outside_code() -> None:
    assert neutralise_html("a <script>x</script> b `<kbd>` c") == "a &lt;script>x&lt;/script> b `<kbd>` c"
    assert neutralise_html("```\n<raw>\n```\n<x>") == "```\n<raw>\n```\n&lt;x>"


def test_html_escapes_everything_typed() -> None:
    doc = sample(summary='<script>alert(1)</script> & "quotes" <img src=x onerror=alert(1)>')
    page = to_html(doc)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &lt;img src=x onerror=alert(1)&gt;" in page
    assert "<title>Postmortem: INC-7K2M9QXA Checkout &lt;b&gt;502s&lt;/b&gt;</title>" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_markdown_becomes_safe_html() -> None:
    html = markdown_html(
        "## Heading\n\nSome **bold**, *em*, `code <x>` and ~~gone~~.\nSecond line\n\n"
        "- one\n  - nested\n- two\n\n1. first\n2. second\n\n"
        "| a | b |\n|---|---|\n| 1 \\| 2 | x |\n\n> quoted\n\n```\n<raw> **not bold**\n```"
    )
    assert "<h4>Heading</h4>" in html  # below the document's own h1 and h2
    assert "<strong>bold</strong>, <em>em</em>, <code>code &lt;x&gt;</code> and <s>gone</s>.<br>Second line" in html
    assert "<ul><li>one<ul><li>nested</li></ul></li><li>two</li></ul>" in html
    assert "<ol><li>first</li><li>second</li></ol>" in html
    assert "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1 | 2</td><td>x</td></tr>" in html
    assert "<blockquote><p>quoted</p></blockquote>" in html
    assert "<pre><code>&lt;raw&gt; **not bold**</code></pre>" in html


def test_task_lists_show_their_boxes() -> None:
    html = markdown_html("- [ ] to do\n- [x] ACT-ABC123 done")
    assert html == '<ul style="list-style-type: none"><li>\u2610 to do</li><li>\u2611 ACT-ABC123 done</li></ul>'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "[dashboard](https://grafana.example.com/d/a_b_c?x=1&y=2)",
            '<p><a href="https://grafana.example.com/d/a_b_c?x=1&amp;y=2">dashboard</a></p>',
        ),
        (
            "see https://example.com/a_b_c.",
            '<p>see <a href="https://example.com/a_b_c">https://example.com/a_b_c</a>.</p>',
        ),
        ("[click](javascript:alert(1))", "<p>[click](javascript:alert(1))</p>"),
        (
            '[x](https://e.com/"onmouseover="alert(1))',
            '<p><a href="https://e.com/&quot;onmouseover=&quot;alert(1">x</a>)</p>',
        ),
        (r"\*not em\* and snake_case_name", "<p>*not em* and snake_case_name</p>"),
    ],
)
def test_links_go_to_the_web_only_and_underscores_stay(text: str, html: str) -> None:
    assert markdown_html(text) == html


def test_json_reads_back_the_same_document() -> None:
    kept = OpenConflict("Priya Shah", AT, "- Memory regression", "Sam Okafor")
    conflicted = DocumentSection(
        "contributing_factors", "Contributing factors", "- The canary is optional", "Sam Okafor", AT, (kept,)
    )
    doc = replace(sample(), sections=(*sample().sections, conflicted))
    assert from_json(to_json(doc)) == doc
    with pytest.raises(ValueError, match="not a commander.postmortem document"):
        from_json('{"format": "commander.incident"}')


def test_json_carries_action_items_and_blameless_findings() -> None:
    import json

    doc = sample(
        action_items="- [ ] Alert on lag — owner: Sam; due: 2026-12-05\n- [x] ACT-ABC123 Canary",
        summary="Sam broke the deploy; human error.",
    )
    data = json.loads(to_json(doc))
    assert [(a["title"], a["owner"], a["reference"]) for a in data["action_items"]] == [
        ("Alert on lag", "Sam", None),
        ("Canary", "", "ACT-ABC123"),
    ]
    assert [(f["section"], f["text"]) for f in data["blameless"]] == [
        ("summary", "Sam broke"),
        ("summary", "human error"),
    ]
    assert [(key, found.text) for key, found in findings(doc)] == [("summary", "Sam broke"), ("summary", "human error")]
