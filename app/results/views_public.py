"""Public results of published events and of a process (no personal data).

Unpublished events (and processes without a published event) do not exist for the
public: 404. Every page runs a fixed number of queries, whatever the number of ideas.
"""
from __future__ import annotations

from flask import abort, render_template, request

from app.core.access import public
from app.events.models import Process
from app.extensions import db
from app.results import bp, display, live
from app.results.base import prepared
from app.results.participation import participation
from app.results.ranking import idea_ranking
from app.results.scope import make_scope, published_events
from app.results.stakeholders import group_comparison
from app.results.totals import stand_totals, top_tags


@bp.route("/events/<int:event_id>/results")
@public
def event_results(event_id: int):
    """Live while its results are being published (its sections: app/results/live.py)."""
    event = live.published_event_or_404(event_id)
    context, error = live.page_context(event, request.args)
    return render_template("results/public_event.html", error=error, sections=live.render_sections(context),
                           live_query=request.query_string.decode(), **context), 400 if error else 200


@bp.route("/processes/<int:process_id>/results")
@public
def process_results(process_id: int):
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    events = published_events(process.id)
    if not events:
        abort(404)
    with prepared(make_scope(process.id)) as scope:
        stands = stand_totals(scope)
        tags = top_tags(scope, limit=10)
        top = idea_ranking(scope, limit=10)
        comparison = group_comparison(scope)
    return render_template(
        "results/public_process.html", process=process, events=events,
        participation=participation([e.id for e in events]),
        event_totals=display.sum_by_event(stands), totals=display.sum_totals(stands),
        top=top, tags=tags, tag_chart=display.tag_chart(tags), comparison=comparison,
    )
