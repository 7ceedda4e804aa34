"""The results dashboard for the council and admins: per process and per event, with filters.

Read-only. Every page runs a fixed number of queries, whatever the number of ideas.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_login import current_user

from app.core.access import staff_required
from app.events.models import Event, Process
from app.events.services import EVENT_STATUS_LABELS, available_actions
from app.extensions import db
from app.results import bp, display
from app.results.base import ResultsError, prepared
from app.results.participation import participation, participation_by_option
from app.results.scope import make_scope
from app.results.stakeholders import group_comparison, stakeholder_groups
from app.results.totals import channel_totals


def _get_or_404(model, object_id: int):
    found = db.session.get(model, object_id) if 0 < object_id < 2**31 else None
    if found is None:
        abort(404)
    return found


@bp.route("/manage/results")
@staff_required("admin", "council")
def dashboard_index():
    """All processes with their events, each linking to its dashboard."""
    processes = db.session.execute(sa.select(Process).order_by(Process.created_at.desc())).scalars().all()
    events = db.session.execute(
        sa.select(Event).order_by(Event.starts_at.is_(None), Event.starts_at, Event.id)).scalars().all()
    by_process: dict[int, list[Event]] = {}
    for event in events:
        by_process.setdefault(event.process_id, []).append(event)
    return render_template("results/dashboard_index.html", processes=processes, by_process=by_process,
                           status_labels=EVENT_STATUS_LABELS)


@bp.route("/manage/results/processes/<int:process_id>")
@staff_required("admin", "council")
def process_dashboard(process_id: int):
    process = _get_or_404(Process, process_id)
    event_filter = request.args.get("event") or None
    return _dashboard(process, None, event_ids=[event_filter] if event_filter else None)


@bp.route("/manage/results/events/<int:event_id>")
@staff_required("admin", "council")
def event_dashboard(event_id: int):
    event = _get_or_404(Event, event_id)
    return _dashboard(event.process, event, event_ids=[event.id])


def _dashboard(process: Process, event: Event | None, *, event_ids):
    args = request.args
    include_hidden = args.get("hidden") == "1"
    error, status = None, 200
    try:
        scope = make_scope(process, event_ids=event_ids, stand_id=args.get("stand"),
                           tag_id=args.get("tag"), stakeholder_group=args.get("group"), public=False,
                           include_hidden=include_hidden)
    except ResultsError as exc:
        error, status = exc.message, 400
        scope = make_scope(process, event_ids=[event.id] if event else None, public=False,
                           include_hidden=include_hidden)
    unfiltered = make_scope(process, event_ids=scope.event_ids, public=False) if scope.event_ids else scope
    events = db.session.execute(
        sa.select(Event).where(Event.process_id == process.id)
        .order_by(Event.starts_at.is_(None), Event.starts_at, Event.id)).scalars().all()
    by_event = participation([e.id for e in events])
    in_scope = [by_event[i] for i in scope.event_ids]
    with prepared(scope) as counted:
        context = display.results_context(counted, unfiltered, page=display.page_number(args.get("page")),
                                          per_page=display.STAFF_PAGE_SIZE)
        by_channel = channel_totals(counted)
        comparison = group_comparison(counted) if event is None else None
        stand_comparison = group_comparison(counted, dimension="stand") if event is None else None
    funnel = display.combined_participation(in_scope)
    return render_template(
        "results/dashboard.html", process=process, event=event, events=events, error=error,
        participation=by_event, funnel=funnel, funnel_chart=display.funnel_chart(funnel, "dashboard-funnel"),
        groups=stakeholder_groups(process.id, public=False),
        by_option=participation_by_option(event.id) if event else [],
        top_tags=context["tags"][:10],
        comparison=comparison, stand_comparison=stand_comparison,
        is_admin="admin" in current_user.role_names,
        can_publish=bool(event and "publish" in available_actions(event)),
        status_labels=EVENT_STATUS_LABELS, by_channel=by_channel, **context,
    ), status
