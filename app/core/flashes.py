"""The page's messages ("flashes") and pages that reload themselves.

Flask shows a flashed message once, on the next page rendered. A page that reloads itself at
once (it sends the form asking for a background job as soon as it has loaded, or follows a
running job: app/jobs/templates/jobs/_progress.html) would show the message for a moment only:
"applications closed" vanished before anyone, or a screen reader, could read it. Such a page
calls :func:`page_reloads` while it is rendered; its messages are then kept for the page shown
after the reload, until a page that stays is rendered.
"""
from __future__ import annotations

from flask import g, get_flashed_messages, session


def page_reloads() -> str:
    """Called by the templates of pages that reload themselves (before the messages are shown)."""
    g.page_reloads = True
    return ""


def page_messages() -> list[tuple[str, str]]:
    """``(category, message)`` of the messages to show on this page."""
    messages = get_flashed_messages(with_categories=True)
    if messages and g.get("page_reloads"):
        session["_flashes"] = [tuple(message) for message in messages]
    return messages


def init_app(app) -> None:
    app.jinja_env.globals["page_reloads"] = page_reloads
    app.jinja_env.globals["page_messages"] = page_messages
