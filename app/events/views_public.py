"""Public pages of processes and events: lists, the event page and its calendar file."""
from __future__ import annotations

from datetime import timezone

import sqlalchemy as sa
from flask import Response, abort, render_template, request, url_for
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from app.core.access import public
from app.core.markdown import markdown_to_text
from app.core.models import utcnow
from app.events import bp, services
from app.events.models import Event, EventStatus, Process
from app.extensions import db


def get_public_event_or_404(event_id: int) -> Event:
    """An event the public may see: drafts do not exist for them."""
    event = db.session.get(Event, event_id)
    if event is None or event.status == EventStatus.DRAFT.value:
        abort(404)
    return event


@bp.route("/processes")
@public
def process_list():
    processes = db.session.execute(sa.select(Process).order_by(Process.created_at.desc())).scalars().all()
    return render_template("events/public/processes.html", processes=processes)


@bp.route("/processes/<int:process_id>")
@public
def process_detail(process_id: int):
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    upcoming, past = services.split_upcoming(services.public_events(process))
    return render_template("events/public/process.html", process=process, upcoming=upcoming, past=past)


@bp.route("/events/<int:event_id>")
@public
def event_detail(event_id: int):
    event = get_public_event_or_404(event_id)
    from app.ideas.models import Stand

    stands = db.session.execute(
        sa.select(Stand).where(Stand.event_id == event.id).order_by(Stand.position, Stand.id)
    ).scalars().all()
    return render_template("events/public/event.html", event=event, stands=stands,
                           window=services.window_state(event))


@bp.route("/events/<int:event_id>/calendar.ics")
@public
def event_ics(event_id: int):
    event = get_public_event_or_404(event_id)
    if event.starts_at is None:
        abort(404)
    return Response(
        build_ics(event), mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}.ics"'},
    )


def build_ics(event: Event) -> bytes:
    """An iCalendar file with the event (times in UTC)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Ideenmarkt//Events//DE")
    calendar.add("version", "2.0")
    entry = CalendarEvent()
    host = request.host.split(":")[0] if request else "ideenmarkt"
    entry.add("uid", f"event-{event.id}@{host}")
    entry.add("dtstamp", utcnow().replace(tzinfo=timezone.utc))
    entry.add("dtstart", event.starts_at.replace(tzinfo=timezone.utc))
    if event.ends_at:
        entry.add("dtend", event.ends_at.replace(tzinfo=timezone.utc))
    entry.add("summary", event.title)
    if event.place:
        entry.add("location", event.place)
    entry.add("description", markdown_to_text(event.description))
    entry.add("url", url_for("events.event_detail", event_id=event.id, _external=True))
    calendar.add_component(entry)
    return calendar.to_ical()
