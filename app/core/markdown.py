"""Safe Markdown: staff write Markdown, visitors get sanitised HTML.

Two layers, so one mistake does not open a hole: markdown-it-py renders with
raw HTML switched off (``<script>`` in the source becomes visible text), then
nh3 (ammonia) keeps only an allow-list of tags and attributes and only
http(s)/mailto links, and marks every link ``rel="nofollow noopener"``.
"""
from __future__ import annotations

import html as html_lib
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _renderer() -> MarkdownIt:
    # Images are off: the CSP forbids external images, and a broken image helps nobody.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        "table").disable("image")


def render_markdown(text: str | None, shift_headings: int = 0) -> Markup:
    """Render Markdown to sanitised HTML, safe to put into a template.

    :param text: Markdown source; ``None`` or empty gives an empty string.
    :param shift_headings: move headings down this many levels (``# x`` under the
        page's ``h2`` should become ``h3``, so the heading order stays intact).
    :return: HTML as :class:`~markupsafe.Markup`.
    """
    if not text:
        return Markup("")
    md = _renderer()
    tokens = md.parse(text.replace("\x00", ""))
    if shift_headings:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(6, int(token.tag[1]) + shift_headings)}"
    html = md.renderer.render(tokens, md.options, {})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def markdown_to_text(text: str | None) -> str:
    """Plain text of Markdown (for calendar files and mails): tags dropped, entities kept readable."""
    if not text:
        return ""
    html = _renderer().render(text.replace("\x00", ""))
    stripped = nh3.clean(html, tags=set(), strip_comments=True)
    return html_lib.unescape(stripped).strip()
