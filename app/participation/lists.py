"""Public idea lists of a process and of a stand (issue 18): the released ideas of both channels,
with filters (stand, tag, channel, status), sorting and pages, and "what became of this idea" from
the measures.

What the public sees: online ideas of the process's public events once released (approved under
pre-moderation, not withdrawn); room ideas once their event's results are published (as in the
results, the outcome page and the API). A hidden online idea stays in its place with its public
reason from the netiquette, without its text; hidden room ideas are not shown. Sorting by date
or by supports (app/participation/supports.py; a merge group's supports count for its survivor).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.core.labels import Labels
from app.events.models import Event, EventStatus, Process
from app.events.services import PUBLIC_EVENT, PUBLIC_EVENT_ORDER
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.models import Idea, IdeaChannel, IdeaStatus, IdeaTag, Stand, Tag
from app.measures import links
from app.measures.base import status_label
from app.measures.models import Measure

PER_PAGE = 20

#: The status filter in words ("open": neither taken into a measure, merged nor hidden).
STATUS_FILTERS = Labels({
    "open": _l("open"),
    IdeaStatus.ADOPTED.value: _l("taken into a measure"),
    IdeaStatus.MERGED.value: _l("merged"),
    IdeaStatus.HIDDEN.value: _l("hidden"),
})
_STATUS_OF_FILTER = {"open": IdeaStatus.NEW.value, IdeaStatus.ADOPTED.value: IdeaStatus.ADOPTED.value,
                     IdeaStatus.MERGED.value: IdeaStatus.MERGED.value, IdeaStatus.HIDDEN.value: IdeaStatus.HIDDEN.value}
SORTS = Labels({"newest": _l("newest first"), "oldest": _l("oldest first"),
                "supported": _l("most supported first")})


@dataclass
class Filters:
    """What the visitor chose; unknown values are left out (the list unfiltered by them)."""

    stand_id: int | None = None
    tag_id: int | None = None
    channel: str | None = None
    status: str | None = None
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args, stands: list[Stand] | set[int] | None, tags: list[Tag] | None = None) -> Filters:
        """:param stands: the stands offered (:func:`public_stands`) or their ids;
            None: a stand number is kept unchecked (a form's way back to the list, which checks it again).
        :param tags: the tags offered (:func:`public_tags`); None: a tag number is kept unchecked
            (a form's way back to the list, which checks it again)."""
        def number(name: str) -> int | None:
            value = args.get(name, "")
            return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None

        stand_id = number("stand")
        tag_id = number("tag")
        channel = args.get("channel", "")
        status = args.get("status", "")
        sort = args.get("sort", "")
        stand_ids = stands if isinstance(stands, set) or stands is None else {s.id for s in stands}
        return cls(stand_id=stand_id if stand_ids is None or stand_id in stand_ids else None,
                   tag_id=tag_id if tags is None or tag_id in {t.id for t in tags} else None,
                   channel=channel if channel in (IdeaChannel.ROOM.value, IdeaChannel.ONLINE.value) else None,
                   status=status if status in STATUS_FILTERS else None,
                   sort=sort if sort in SORTS else "newest",
                   page=max(1, min(number("page") or 1, 100_000)))

    def args(self) -> dict:
        """The URL arguments for the pager (the page number aside)."""
        return {k: v for k, v in (("stand", self.stand_id), ("tag", self.tag_id), ("channel", self.channel),
                                  ("status", self.status),
                                  ("sort", self.sort if self.sort != "newest" else None)) if v}


@dataclass
class Outcome:
    """What became of an idea: the measures it went into (directly or through the idea it was
    merged into), why it was not taken, or nothing yet."""

    measures: list[tuple[int, str, str]] = field(default_factory=list)  # (id, title, status label)
    not_taken: str = ""
    merged_into: int | None = None


def public_stands(process: Process) -> list[Stand]:
    """The stands of the process's public events (not drafts), by event and position."""
    return list(db.session.execute(
        sa.select(Stand).join(Event, Event.id == Stand.event_id)
        .where(Event.process_id == process.id, PUBLIC_EVENT)
        .order_by(*PUBLIC_EVENT_ORDER, Stand.position, Stand.id)
        .options(selectinload(Stand.event))
    ).scalars())


def public_tags(process: Process) -> list[Tag]:
    """The tags the process's public ideas carry, by label (one query): the tag filter's choices."""
    shown = (sa.select(IdeaTag.tag_id).join(Idea, Idea.id == IdeaTag.idea_id).join(Stand, Stand.id == Idea.stand_id)
             .join(Event, Event.id == Stand.event_id).where(public_where(process), Idea.status != IdeaStatus.HIDDEN.value))
    return list(db.session.execute(
        sa.select(Tag).where(Tag.process_id == process.id, Tag.id.in_(shown)).order_by(Tag.label, Tag.id)).scalars())


def public_where(process: Process | int | sa.BindParameter):
    """The ideas of ``process`` (or of the process with this id, or a parameter for it) the public lists show."""
    process_id = process.id if isinstance(process, Process) else process
    online_shown = sa.and_(Idea.channel == IdeaChannel.ONLINE.value,
                           Idea.status.in_((*merge_groups.VISIBLE_STATUSES, IdeaStatus.MERGED.value,
                                            IdeaStatus.HIDDEN.value)))
    room_shown = sa.and_(Idea.channel == IdeaChannel.ROOM.value, Event.status == EventStatus.PUBLISHED.value,
                         Idea.status.in_((*merge_groups.VISIBLE_STATUSES, IdeaStatus.MERGED.value)))
    return sa.and_(Event.process_id == process_id, PUBLIC_EVENT, Idea.is_released,
                   sa.or_(online_shown, room_shown))


def ideas_query(process: Process, filters: Filters) -> sa.Select:
    query = (sa.select(Idea).join(Stand, Stand.id == Idea.stand_id).join(Event, Event.id == Stand.event_id)
             .where(public_where(process))
             .options(selectinload(Idea.stand).selectinload(Stand.event), selectinload(Idea.participant)))
    if filters.stand_id is not None:
        query = query.where(Idea.stand_id == filters.stand_id)
    if filters.tag_id is not None:
        query = query.where(sa.exists().where(IdeaTag.idea_id == Idea.id, IdeaTag.tag_id == filters.tag_id))
    if filters.channel is not None:
        query = query.where(Idea.channel == filters.channel)
    if filters.status is not None:
        query = query.where(Idea.status == _STATUS_OF_FILTER[filters.status])
    if filters.sort == "supported":
        # The process's groups only (a survivor at one of its events), not the whole database's;
        # on a stand's list only that stand's (the listed ideas are its survivors).
        per_root = merge_groups.supports_per_root(
            merge_groups.groups(process_id=process.id, stand_id=filters.stand_id))
        query = query.outerjoin(per_root, per_root.c.root_id == Idea.id)
        return query.order_by(sa.func.coalesce(per_root.c.supports, 0).desc(), Idea.created_at.desc(),
                              Idea.id.desc())
    order = (Idea.created_at.asc(), Idea.id.asc()) if filters.sort == "oldest" else (Idea.created_at.desc(),
                                                                                       Idea.id.desc())
    return query.order_by(*order)


def page_of_ideas(process: Process, filters: Filters):
    """One page (Flask-SQLAlchemy pagination) of the public ideas; a page past the end is empty."""
    return db.paginate(ideas_query(process, filters), page=filters.page, per_page=PER_PAGE, error_out=False)


def outcomes(ideas: list[Idea]) -> dict[int, Outcome]:
    """Per idea on the page: what became of it (a fixed number of queries for the page)."""
    roots = {idea.id: merge_groups.root_of(idea).id for idea in ideas}
    root_ids = sorted(set(roots.values()))
    measure_ids = links.measure_ids_for_ideas(root_ids)
    wanted = sorted({m for ids in measure_ids.values() for m in ids})
    measures = {m.id: m for m in db.session.execute(sa.select(Measure).where(Measure.id.in_(wanted))).scalars()} \
        if wanted else {}
    reasons = links.not_taken_reasons(root_ids)
    result = {}
    for idea in ideas:
        root = roots[idea.id]
        outcome = Outcome(merged_into=root if root != idea.id else None)
        outcome.measures = sorted(((m, measures[m].title, status_label(measures[m].status))
                                   for m in measure_ids.get(root, []) if m in measures), key=lambda t: t[1])
        if not outcome.measures:
            outcome.not_taken = reasons.get(root, "")
        result[idea.id] = outcome
    return result
