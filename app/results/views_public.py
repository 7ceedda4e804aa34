"""Public results of published events and of a process (no personal data).

Unpublished events (and processes without a published event) do not exist for the
public: 404. Every page runs a fixed number of queries, whatever the number of ideas.
"""
from __future__ import annotations

from flask import abort, render_template, request

from app.core.access import public
from app.events.models import Event, EventStatus, Process
from app.extensions import db
from app.results import bp, display, services
from app.results.services import ResultsError


def get_published_event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or event.status != EventStatus.PUBLISHED.value:
        abort(404)
    return event


@bp.route("/events/<int:event_id>/results")
@public
def event_results(event_id: int):
    event = get_published_event_or_404(event_id)
    error, status = None, 200
    try:
        scope = services.make_scope(event.process_id, event_ids=[event.id], stand_id=request.args.get("stand"),
                                    tag_id=request.args.get("tag"))
    except ResultsError as exc:
        error, status = exc.message, 400
        scope = services.event_scope(event)
    unfiltered = services.event_scope(event)
    page = display.page_number(request.args.get("page"))
    with services.prepared(scope) as counted:
        context = display.results_context(counted, unfiltered, page=page, per_page=display.PUBLIC_PAGE_SIZE)
    return render_template("results/public_event.html", event=event, error=error,
                           participation=services.participation([event.id])[event.id], **context), status


@bp.route("/processes/<int:process_id>/results")
@public
def process_results(process_id: int):
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    events = services.published_events(process.id)
    if not events:
        abort(404)
    with services.prepared(services.make_scope(process.id)) as scope:
        stands = services.stand_totals(scope)
        tags = services.top_tags(scope, limit=10)
        top = services.idea_ranking(scope, limit=10)
        comparison = services.group_comparison(scope)
    return render_template(
        "results/public_process.html", process=process, events=events,
        participation=services.participation([e.id for e in events]),
        event_totals=display.sum_by_event(stands), totals=display.sum_totals(stands),
        top=top, tags=tags, tag_chart=display.tag_chart(tags), comparison=comparison,
    )
