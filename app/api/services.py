"""What the API shows: the public records and their JSON form (no personal data).

Visibility follows the public site:

* a process is public (as on ``/processes``);
* an event is public unless it is a draft (as on ``/events/<id>``);
* its ideas and results once the results are published (status ``published``);
* its lottery from the moment of commitment (the audit record the lottery page offers).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.api.errors import MAX_ID, not_found
from app.events.models import Event, EventStatus, Process
from app.events.services import public_event
from app.extensions import db
from app.ideas.models import Stand
from app.lottery.base import draws_of
from app.lottery.published import audit_of
from app.measures.outcome import process_measures
from app.results.base import prepared
from app.results.participation import participation
from app.results.ranking import idea_ranking
from app.results.records import idea_record_count, idea_records
from app.results.scope import event_scope
from app.results.totals import stand_totals, sum_of_stands, tag_totals


def iso(value: datetime | None) -> str | None:
    """Naive UTC from the database as RFC 3339 (``2026-05-04T16:00:00Z``)."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def public_process_or_404(process_id: int) -> Process:
    process = db.session.get(Process, process_id) if 0 < process_id <= MAX_ID else None
    if process is None:
        raise not_found()
    return process


def public_event_or_404(event_id: int) -> Event:
    """:func:`app.events.services.public_event`, with the API's JSON 404."""
    event = public_event(event_id)
    if event is None:
        raise not_found()
    return event


def results_published(event: Event) -> bool:
    return event.status == EventStatus.PUBLISHED.value


def published_event_or_404(event_id: int) -> Event:
    """An event whose results are published (its ideas and results are open data)."""
    event = public_event_or_404(event_id)
    if not results_published(event):
        raise not_found()
    return event


def processes() -> list[Process]:
    return list(db.session.execute(sa.select(Process).order_by(Process.created_at.desc(), Process.id.desc()))
                .scalars())


def process_json(process: Process, event_ids: list[int]) -> dict[str, Any]:
    return {
        "id": process.id,
        "title": process.title,
        "description": process.description,
        "stakeholder_groups": process.stakeholder_group_list,
        "created_at": iso(process.created_at),
        "event_ids": event_ids,
    }


def stands_of(event: Event) -> list[Stand]:
    return list(db.session.execute(
        sa.select(Stand).where(Stand.event_id == event.id).order_by(Stand.position, Stand.id)).scalars())


def event_json(event: Event, participation: dict[str, int], stands: list[Stand] | None = None) -> dict[str, Any]:
    data = {
        "id": event.id,
        "process_id": event.process_id,
        "title": event.title,
        "description": event.description,
        "place": event.place,
        "stakeholder_group": event.stakeholder_group,
        "starts_at": iso(event.starts_at),
        "ends_at": iso(event.ends_at),
        "applications_open_at": iso(event.applications_open_at),
        "applications_close_at": iso(event.applications_close_at),
        "seats": event.seats,
        "status": event.status,
        "results_published": results_published(event),
        "participation": participation,
    }
    if stands is not None:
        data["stands"] = [{"id": s.id, "title": s.title, "description": s.description, "position": s.position}
                          for s in stands]
    return data


def participation_of(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """The participation funnel of each event (see :func:`app.results.participation.participation`)."""
    return {event_id: {
        "applications": p.valid,
        "selected": p.selected,
        "confirmed": p.seat_confirmed,
        "checked_in": p.checked_in,
        "walk_ins": p.walk_ins,
        "room_voters": p.room_voters,
        "online_voters": p.online_voters,
    } for event_id, p in participation(event_ids).items()}


def public_draw(event: Event):
    """The event's current draw from the moment of its commitment (None before, or without a lottery)."""
    draws = draws_of(event)
    return next((d for d in draws if d.is_active), None), draws


def lottery_json(event: Event) -> dict[str, Any]:
    """The public audit record of the event's draw, as the lottery page offers it for download.

    :raises ApiError: 404 before the commitment.
    """
    draw, draws = public_draw(event)
    if draw is None:
        raise not_found()
    return {
        "event_id": event.id,
        "attempt": draw.attempt,
        "state": draw.state,
        "seats": draw.seats,
        "table_size": draw.table_size,
        "number": draw.number,
        "number_source": draw.number_source,
        "commitment": draw.commitment,
        "committed_at": iso(draw.committed_at),
        "drawn_at": iso(draw.drawn_at),
        "superseded": [
            {"attempt": d.attempt, "commitment": d.commitment, "reason": d.supersede_reason or "",
             "superseded_at": iso(d.superseded_at)}
            for d in draws if not d.is_active],
        "audit": audit_of(draw),
    }


def measure_ids(idea_ids: list[int]) -> dict[int, list[int]]:
    """Per idea, the ids of the strategy measures it went into (empty without the measures feature)."""
    try:
        from app.measures.links import measure_ids_for_ideas  # the measures feature may be left out
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("app.measures"):
            raise
        return {}
    return measure_ids_for_ideas(idea_ids)


def measures_json(process: Process) -> dict[str, Any]:
    """The strategy measures of a process with status, progress, history and the ideas taken
    into them (ideas of events with published results only; merged ideas count for their survivor)."""
    return {"process_id": process.id, "items": process_measures(process.id)}


def dots_json(item) -> dict[str, int]:
    return {"room": item.room, "board": item.board, "online": item.online, "total": item.total}


def tags_json(tags) -> list[dict[str, Any]]:
    return [{"id": t.id, "label": t.label} for t in tags]


def idea_json(idea, measures: dict[int, list[int]]) -> dict[str, Any]:
    """The public fields of a ranked idea or an idea record."""
    return {
        "id": idea.id,
        "text": idea.text,
        "stand": {"id": idea.stand_id, "title": idea.stand_title},
        "tags": tags_json(idea.tags),
        "dots": dots_json(idea),
        "supports": idea.supports,
        "channel": idea.channel,
        "status": idea.status,
        "measure_ids": measures.get(idea.id, []),
    }


def ideas_page_json(event: Event, page: int, per_page: int) -> dict[str, Any]:
    """One page of the event's published ideas (merged ones included, pointing to their survivor)."""
    scope = event_scope(event, public=True)
    total = idea_record_count(scope)
    records = idea_records(scope, limit=per_page, offset=(page - 1) * per_page)
    measures = measure_ids([r.id for r in records])
    return {
        "event_id": event.id,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": (total + per_page - 1) // per_page,
        "items": [{**idea_json(r, measures), "merged_into": r.merged_into} for r in records],
    }


def results_json(event: Event, limit: int) -> dict[str, Any]:
    """The event's published results: totals per stand and tag, the ideas ranked by dots, with the
    online supports beside the dots (issue 18; never added into them)."""
    with prepared(event_scope(event, public=True)) as scope:  # dots counted once
        ranking = idea_ranking(scope, limit=limit)
        stands = stand_totals(scope)
        tags = tag_totals(scope)
    measures = measure_ids([i.id for i in ranking])
    totals = sum_of_stands(stands)
    return {
        "event_id": event.id,
        "participation": participation_of([event.id])[event.id],
        "ideas": totals.ideas,
        "dots": dots_json(totals),
        "supports": totals.supports,
        "stands": [{"id": s.stand_id, "title": s.title, "ideas": s.ideas, "dots": dots_json(s),
                    "supports": s.supports} for s in stands],
        "tags": [{"id": t.tag_id, "label": t.label, "ideas": t.ideas, "dots": dots_json(t),
                  "supports": t.supports} for t in tags],
        "ranking": [{"rank": i.rank, **idea_json(i, measures), "merged": i.merged} for i in ranking],
    }
