"""The open-data endpoints: every one public, read-only, JSON."""
from __future__ import annotations

from flask import jsonify

from app.api import bp, openapi, services
from app.api.errors import MAX_ID, ApiError, int_arg
from app.api.openapi import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from app.core.access import public
from app.core.errors import render_error
from app.events.services import public_event_ids, public_events


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    return render_error(exc.status, str(exc.message), exc.code)


@bp.route("/openapi.json")
@public
def openapi_document():
    return jsonify(openapi.document())


@bp.route("/processes")
@public
def process_list():
    processes = services.processes()
    event_ids = public_event_ids([p.id for p in processes])
    return jsonify({"items": [services.process_json(p, event_ids[p.id]) for p in processes]})


@bp.route("/processes/<int:process_id>")
@public
def process_detail(process_id: int):
    process = services.public_process_or_404(process_id)
    return jsonify(services.process_json(process, public_event_ids([process.id])[process.id]))


@bp.route("/processes/<int:process_id>/measures")
@public
def process_measures(process_id: int):
    process = services.public_process_or_404(process_id)
    return jsonify(services.measures_json(process))


@bp.route("/events")
@public
def event_list():
    process_id = int_arg("process", None, 1, MAX_ID)
    events = public_events(None if process_id is None else services.public_process_or_404(process_id))
    participation = services.participation_of([e.id for e in events])
    return jsonify({"items": [services.event_json(e, participation[e.id]) for e in events]})


@bp.route("/events/<int:event_id>")
@public
def event_detail(event_id: int):
    event = services.public_event_or_404(event_id)
    return jsonify(services.event_json(event, services.participation_of([event.id])[event.id],
                                       stands=services.stands_of(event)))


@bp.route("/events/<int:event_id>/lottery")
@public
def event_lottery(event_id: int):
    event = services.public_event_or_404(event_id)
    return jsonify(services.lottery_json(event))


@bp.route("/events/<int:event_id>/ideas")
@public
def event_ideas(event_id: int):
    page = int_arg("page", 1, 1, MAX_PAGE)
    per_page = int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    event = services.published_event_or_404(event_id)
    return jsonify(services.ideas_page_json(event, page, per_page))


@bp.route("/events/<int:event_id>/results")
@public
def event_results(event_id: int):
    limit = int_arg("limit", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    event = services.published_event_or_404(event_id)
    return jsonify(services.results_json(event, limit))
