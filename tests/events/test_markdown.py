"""Markdown of descriptions: formatting survives, scripts and raw HTML never do."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.markdown import ALLOWED_TAGS, markdown_to_text, render_markdown


def test_formatting_and_links():
    html = render_markdown("**15 Plätze** und [Infos](https://esslingen.de/x)\n\n- eins\n- zwei")
    assert "<strong>15 Plätze</strong>" in html
    assert '<a href="https://esslingen.de/x" rel="nofollow noopener">Infos</a>' in html
    assert "<li>eins</li>" in html


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
])
def test_raw_html_never_survives(source):
    html = render_markdown(source)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<svg" not in html
    assert "<div" not in html and "<a " not in html
    assert "&lt;" in html  # shown as text instead


@pytest.mark.parametrize("source", [
    "[klick](javascript:alert(1))",
    "[klick](JaVaScRiPt:alert(1))",
    "[klick](  javascript:alert(1))",
    "[klick](vbscript:msgbox(1))",
    "[klick](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "[klick][ref]\n\n[ref]: javascript:alert(1)",
])
def test_dangerous_link_targets_are_removed(source):
    html = render_markdown(source).lower()
    assert "href=\"javascript" not in html and "href=\"vbscript" not in html and "href=\"data:" not in html
    assert "<a " not in html


def test_headings_can_be_shifted_below_the_page_heading():
    assert "<h3>Ablauf</h3>" in render_markdown("# Ablauf", shift_headings=2)
    assert "<h6>x</h6>" in render_markdown("##### x", shift_headings=3)


def test_empty_and_nul():
    assert render_markdown(None) == "" and render_markdown("") == ""
    assert "\x00" not in render_markdown("a\x00b")


def test_plain_text_for_calendars():
    assert markdown_to_text("**fett** & <b>x</b>") == "fett & <b>x</b>"


@given(st.text(max_size=300), st.sampled_from(["", "<script>x</script>", "<img src=x onerror=y>",
                                               "[a](javascript:x)", "[a](https://ok.example)"]))
def test_fuzz_only_allowed_tags_and_link_schemes(source, tail):
    html = render_markdown(source + tail)
    tags = set(re.findall(r"<\s*([a-zA-Z0-9]+)", html))
    assert tags <= ALLOWED_TAGS
    for tag in re.findall(r"<[a-zA-Z][^>]*>", html):  # real tags only; escaped text has no "<"
        assert not re.search(r"\son[a-z]+\s*=", tag, re.IGNORECASE), tag
    for href in re.findall(r'href="([^"]*)"', html):
        scheme = href.split(":", 1)[0].lower() if ":" in href else ""
        assert scheme in ("", "http", "https", "mailto"), href


def test_jinja_filter_is_registered(app):
    with app.app_context():
        template = app.jinja_env.from_string("{{ text|markdown }}")
        assert template.render(text="<script>x</script>") == "<p>&lt;script&gt;x&lt;/script&gt;</p>\n"
