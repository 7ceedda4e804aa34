"""How events read on pages: dates in the visitor's language, the application window in words."""
from __future__ import annotations

from flask_babel import format_date, format_datetime, format_time, get_locale, gettext as _, to_user_timezone

from app.events.models import Event
from app.events.services import window_state


def event_when(event: Event) -> str:
    """``Montag, 1. April 2019, 18:00–21:00 Uhr`` / ``Monday, April 1, 2019, 6:00 PM – 9:00 PM``."""
    if event.starts_at is None:
        return ""
    start_day = format_date(event.starts_at, "full")
    start_time = format_time(event.starts_at, "short")
    german = str(get_locale()) == "de"
    suffix = " Uhr" if german else ""
    if event.ends_at is None:
        return f"{start_day}, {start_time}{suffix}"
    if to_user_timezone(event.ends_at).date() == to_user_timezone(event.starts_at).date():
        dash = "–" if german else " – "
        return f"{start_day}, {start_time}{dash}{format_time(event.ends_at, 'short')}{suffix}"
    return f"{start_day}, {start_time}{suffix} – {format_datetime(event.ends_at, 'medium')}"


def window_text(event: Event) -> str:
    """The application window in one sentence, for the event page."""
    state = window_state(event)
    if state == "open":
        return _("Applications are open until %(when)s.", when=format_datetime(event.applications_close_at, "medium"))
    if state == "not_yet":
        return _("Applications open on %(when)s.", when=format_datetime(event.applications_open_at, "medium"))
    if event.seats == 0:
        return _("This event has no seats to apply for.")
    return _("Applications are closed.")
