"""The public page "what became of the ideas", and the same data for the API and the exports."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.events.models import Event, EventStatus, Process
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.models import Idea, IdeaTag, Stand, Tag
from app.measures.links import root_cte
from app.measures.models import IdeaNotTaken, Measure, MeasureIdea, MeasureStatusChange


@dataclass
class PublicIdea:
    id: int
    text: str
    stand: str
    event: str
    event_id: int
    tags: list[str]
    dots: int = 0
    measures: list[tuple[int, str]] = field(default_factory=list)
    reason: str = ""


@dataclass
class PublicMeasure:
    measure: Measure
    history: list[MeasureStatusChange]
    ideas: list[PublicIdea] = field(default_factory=list)


@dataclass
class Outcome:
    measures: list[PublicMeasure]
    chapters: list[tuple[str, list[PublicMeasure]]]
    #: Ideas taken into measures, by event title and stand.
    taken: list[PublicIdea]
    not_taken: list[PublicIdea]


def _published_events(process_id: int) -> sa.Select:
    """Events whose results are published: only their ideas are public (as in the results and the API)."""
    return sa.select(Event.id).where(Event.process_id == process_id, Event.status == EventStatus.PUBLISHED.value)


def dot_totals(event_ids: Sequence[int], idea_ids: Sequence[int]) -> dict[int, int]:
    """Total dots (room, board, online; merged ideas counted for their survivor) of the given
    surviving ideas, counted as everywhere (:func:`app.ideas.merge_groups.dots_per_root`). One query."""
    if not event_ids or not idea_ids:
        return {}
    dots = merge_groups.dots_per_root(merge_groups.groups(event_ids))
    return {root_id: int(total or 0) for root_id, total in db.session.execute(
        sa.select(dots.c.root_id, dots.c.room + dots.c.online + dots.c.board).where(dots.c.root_id.in_(idea_ids))
    ).all()}


def outcome(process: Process) -> Outcome:
    """Everything the public page "what became of the ideas" shows, in a fixed number of queries.

    Only public data: measure texts and history comments, idea texts, stands, events, tags and
    dots. Ideas merged into another count for the survivor; hidden ideas are never shown, and
    ideas only once their event's results are published (as in the results and the API).
    """
    measures = list(db.session.execute(
        sa.select(Measure).where(Measure.process_id == process.id)
        .order_by(Measure.chapter, Measure.title, Measure.id).options(selectinload(Measure.history))
    ).scalars())
    roots = root_cte()
    links = db.session.execute(
        sa.select(MeasureIdea.measure_id, roots.c.root_id)
        .join(roots, roots.c.idea_id == MeasureIdea.idea_id)
        .join(Measure, Measure.id == MeasureIdea.measure_id)
        .where(Measure.process_id == process.id)
    ).all()
    reasons = dict(db.session.execute(
        sa.select(IdeaNotTaken.idea_id, IdeaNotTaken.reason)
        .join(Idea, Idea.id == IdeaNotTaken.idea_id).join(Stand, Stand.id == Idea.stand_id)
        .where(Stand.event_id.in_(_published_events(process.id)))
    ).all())
    linked_roots = {root_id for _, root_id in links}
    wanted = linked_roots | set(reasons)
    ideas: dict[int, PublicIdea] = {}
    if wanted:
        rows = db.session.execute(
            sa.select(Idea.id, Idea.text, Stand.title, Event.title, Event.id)
            .join(Stand, Stand.id == Idea.stand_id).join(Event, Event.id == Stand.event_id)
            .where(Idea.id.in_(wanted), Idea.is_visible,
                   Event.process_id == process.id, Event.status == EventStatus.PUBLISHED.value)
            .order_by(Event.starts_at, Event.id, Stand.position, Idea.id)
        ).all()
        for idea_id, text, stand_title, event_title, event_id in rows:
            ideas[idea_id] = PublicIdea(id=idea_id, text=text, stand=stand_title, event=event_title,
                                        event_id=event_id, tags=[])
        for idea_id, label in db.session.execute(
            sa.select(IdeaTag.idea_id, Tag.label).join(Tag, Tag.id == IdeaTag.tag_id)
            .where(IdeaTag.idea_id.in_(list(ideas))).order_by(Tag.label)
        ).all() if ideas else ():
            ideas[idea_id].tags.append(label)
        event_ids = sorted({i.event_id for i in ideas.values()})
        totals = dot_totals(event_ids, list(ideas))
        for idea in ideas.values():
            idea.dots = totals.get(idea.id, 0)
    by_measure: dict[int, list[int]] = {}
    titles = {m.id: m.title for m in measures}
    for measure_id, root_id in links:
        if root_id in ideas and root_id not in by_measure.setdefault(measure_id, []):
            by_measure[measure_id].append(root_id)
            ideas[root_id].measures.append((measure_id, titles[measure_id]))
    public = []
    for measure in measures:
        entry = PublicMeasure(measure=measure, history=list(measure.history))
        entry.ideas = sorted((ideas[i] for i in by_measure.get(measure.id, [])), key=lambda i: (-i.dots, i.id))
        public.append(entry)
    chapters: dict[str, list[PublicMeasure]] = {}
    for entry in public:
        chapters.setdefault(entry.measure.chapter, []).append(entry)
    taken = [i for i in ideas.values() if i.measures]
    for idea in taken:
        idea.measures.sort(key=lambda m: m[1])
    not_taken = []
    for idea_id, reason in reasons.items():
        idea = ideas.get(idea_id)
        if idea is not None and not idea.measures:
            idea.reason = reason
            not_taken.append(idea)
    order = {idea_id: n for n, idea_id in enumerate(ideas)}
    not_taken.sort(key=lambda i: order[i.id])
    return Outcome(measures=public, chapters=list(chapters.items()), taken=taken, not_taken=not_taken)


def process_measures(process_id: int) -> list[dict]:
    """The measures of a process as plain data (for the API and the exports): texts, status,
    progress, history and the ids of the visible ideas taken into each (merged ideas count
    for their survivor)."""
    process = db.session.get(Process, process_id)
    if process is None:
        return []
    data = outcome(process)
    return [{
        "id": entry.measure.id,
        "title": entry.measure.title,
        "description": entry.measure.description,
        "chapter": entry.measure.chapter,
        "office": entry.measure.office,
        "status": entry.measure.status,
        "status_date": entry.measure.status_date.isoformat(),
        "progress": entry.measure.progress,
        "history": [{"from_status": h.from_status, "to_status": h.to_status, "date": h.changed_on.isoformat(),
                     "comment": h.comment} for h in entry.history],
        "idea_ids": [i.id for i in entry.ideas],
    } for entry in data.measures]
