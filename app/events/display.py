"""How events read on pages: dates in the visitor's language, the application window in words."""
from __future__ import annotations

from flask_babel import gettext as _, to_user_timezone

from app.core.formatting import format_clock, format_day, format_moment
from app.events.models import Event
from app.events.services import window_state


def event_when(event: Event) -> str:
    """``Montag, 1. April 2019, 18:00–21:00 Uhr`` / ``Monday, 1 April 2019, 18:00–21:00``."""
    if event.starts_at is None:
        return ""
    if event.ends_at is None:
        return format_moment(event.starts_at, "long")
    if to_user_timezone(event.ends_at).date() == to_user_timezone(event.starts_at).date():
        # One day: the end time shares the start's suffix ("18:00–21:00 Uhr").
        return (f"{format_day(event.starts_at, 'long')}, {format_clock(event.starts_at)}"
                f"–{format_clock(event.ends_at, 'long')}")
    return f"{format_moment(event.starts_at, 'long')} – {format_moment(event.ends_at, 'long')}"


def window_text(event: Event) -> str:
    """The application window in one sentence, for the event page."""
    state = window_state(event)
    if state == "open":
        return _("Applications are open until %(when)s.", when=format_moment(event.applications_close_at, "long"))
    if state == "not_yet":
        return _("Applications open on %(when)s.", when=format_moment(event.applications_open_at, "long"))
    if event.seats == 0:
        return _("This event has no seats to apply for.")
    return _("Applications are closed.")
