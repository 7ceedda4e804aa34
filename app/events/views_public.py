"""Public pages of processes and events: lists, the event page and its calendar file."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, render_template

from app.core.access import public
from app.events import bp, calendar, services
from app.events.models import Process
from app.extensions import db
from app.ideas.models import Stand


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
    event = services.public_event_or_404(event_id)

    stands = db.session.execute(
        sa.select(Stand).where(Stand.event_id == event.id).order_by(Stand.position, Stand.id)
    ).scalars().all()
    return render_template("events/public/event.html", event=event, stands=stands,
                           window=services.window_state(event))


@bp.route("/events/<int:event_id>/calendar.ics")
@public
def event_ics(event_id: int):
    event = services.public_event_or_404(event_id)
    if event.starts_at is None:
        abort(404)
    return Response(
        calendar.event_ics(event), mimetype=calendar.CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{calendar.ics_filename(event)}"'},
    )
