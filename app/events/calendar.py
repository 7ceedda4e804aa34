"""The event as an iCalendar file: downloaded from the public event page and attached to mails."""
from __future__ import annotations

from datetime import timezone

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from app.core.mail import Attachment
from app.core.markdown import markdown_to_text
from app.core.models import utcnow
from app.core.urls import absolute_url, public_host
from app.events.models import Event

CONTENT_TYPE = "text/calendar"


def event_ics(event: Event) -> bytes:
    """An iCalendar file with the event (times in UTC); the event must have a start."""
    calendar = Calendar()
    calendar.add("prodid", "-//Ideenmarkt//Events//DE")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}@{public_host()}")
    entry.add("dtstamp", utcnow().replace(tzinfo=timezone.utc))
    entry.add("dtstart", event.starts_at.replace(tzinfo=timezone.utc))
    if event.ends_at:
        entry.add("dtend", event.ends_at.replace(tzinfo=timezone.utc))
    entry.add("summary", event.title)
    if event.place:
        entry.add("location", event.place)
    entry.add("description", markdown_to_text(event.description))
    entry.add("url", absolute_url("events.event_detail", event_id=event.id))
    calendar.add_component(entry)
    return calendar.to_ical()


def ics_filename(event: Event) -> str:
    return f"event-{event.id}.ics"


def event_attachments(event: Event) -> list[Attachment]:
    """What a mail about taking part in ``event`` carries: its calendar file (if it has a date)."""
    if event.starts_at is None:
        return []
    return [Attachment(ics_filename(event), CONTENT_TYPE, event_ics(event))]
