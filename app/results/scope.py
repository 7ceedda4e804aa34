"""From filters to a :class:`~app.results.base.Scope`: the checked filters of a process's results,
the scope of one event, and what the filters can offer.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.security import MAX_ID
from app.events.models import Event, EventStatus, Process
from app.extensions import db
from app.ideas.models import Idea, IdeaTag, Stand, Tag
from app.results.base import ResultsError, Scope


def published_events(process_id: int) -> list[Event]:
    """The process's events with published results, by start (one query)."""
    return list(db.session.execute(
        sa.select(Event).where(Event.process_id == process_id, Event.status == EventStatus.PUBLISHED.value)
        .order_by(Event.starts_at.is_(None), Event.starts_at, Event.id)).scalars())


def _as_int(value: object) -> int | None:
    """A positive id from a form or URL value; None for empty; ResultsError for junk."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ResultsError(_l("This filter value is not valid."), "bad_filter")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        number = int(value.strip())
    else:
        raise ResultsError(_l("This filter value is not valid."), "bad_filter")
    if number < 1 or number > MAX_ID:  # beyond the integer column: PostgreSQL would refuse the query
        raise ResultsError(_l("This filter value is not valid."), "bad_filter")
    return number


def make_scope(process: Process | int, *, event_ids: Iterable[object] | None = None, stand_id: object = None,
               tag_id: object = None, stakeholder_group: object = None, public: bool = True,
               include_hidden: bool = False) -> Scope:
    """Check the filters against the process and return the scope (two or three small queries).

    :param process: the process (or its id).
    :param event_ids: only these events (ids or digit strings); empty/None: all events in view.
    :param stand_id: only this stand (must be a stand of an event in view).
    :param tag_id: only this tag (must be a tag of the process).
    :param stakeholder_group: only events for this stakeholder group (exact text).
    :param public: public view: published events only, hidden ideas never listed.
    :param include_hidden: staff views may list hidden ideas too (ignored when ``public``).
    :raises ResultsError: ``bad_filter``, ``unknown_event``, ``unknown_stand``, ``unknown_tag``,
        ``unknown_group``.
    """
    process_id = process if isinstance(process, int) else process.id
    events_stmt = sa.select(Event.id, Event.stakeholder_group).where(Event.process_id == process_id)
    if public:
        events_stmt = events_stmt.where(Event.status == EventStatus.PUBLISHED.value)
    events = db.session.execute(events_stmt.order_by(Event.starts_at.is_(None), Event.starts_at, Event.id)).all()
    chosen = [e for e in (_as_int(v) for v in (event_ids or ())) if e is not None]
    known = {row.id for row in events}
    if any(e not in known for e in chosen):
        raise ResultsError(_l("This event is not part of the results."), "unknown_event")
    group = None
    if stakeholder_group not in (None, ""):
        if not isinstance(stakeholder_group, str) or len(stakeholder_group) > 120:
            raise ResultsError(_l("This filter value is not valid."), "bad_filter")
        group = stakeholder_group
        if group not in {row.stakeholder_group for row in events}:
            raise ResultsError(_l("No event of this process is for this stakeholder group."), "unknown_group")
    ids = tuple(row.id for row in events
                if (not chosen or row.id in chosen) and (group is None or row.stakeholder_group == group))
    stand = _as_int(stand_id)
    if stand is not None:
        stand_event = db.session.execute(sa.select(Stand.event_id).where(Stand.id == stand)).scalar_one_or_none()
        if stand_event is None or stand_event not in ids:
            raise ResultsError(_l("This stand is not part of the results."), "unknown_stand")
    tag = _as_int(tag_id)
    if tag is not None:
        tag_process = db.session.execute(sa.select(Tag.process_id).where(Tag.id == tag)).scalar_one_or_none()
        if tag_process != process_id:
            raise ResultsError(_l("This tag is not part of the results."), "unknown_tag")
    return Scope(process_id=process_id, event_ids=ids, stand_id=stand, tag_id=tag, stakeholder_group=group,
                 public=public, include_hidden=include_hidden and not public)


def event_scope(event: Event, *, public: bool = True, include_hidden: bool = False) -> Scope:
    """The scope of one event (no query). A public scope of an unpublished event covers nothing."""
    covered = (event.id,) if not public or event.status == EventStatus.PUBLISHED.value else ()
    return Scope(process_id=event.process_id, event_ids=covered, public=public,
                 include_hidden=include_hidden and not public)


@dataclass(frozen=True)
class FilterOptions:
    """What the stand and tag filters of a scope can offer."""

    #: ``(stand id, stand title, event title)`` in event and stand order.
    stands: list[tuple[int, str, str]]
    #: ``(tag id, label)`` of tags that listed ideas carry, by label.
    tags: list[tuple[int, str]]


def filter_options(scope: Scope) -> FilterOptions:
    """The stands of the scope's events and the tags their listed ideas carry (two light queries;
    the stand and tag filters of ``scope`` itself are ignored)."""
    if not scope.event_ids:
        return FilterOptions([], [])
    stands = [tuple(r) for r in db.session.execute(
        sa.select(Stand.id, Stand.title, Event.title).join(Event, Event.id == Stand.event_id)
        .where(Stand.event_id.in_(scope.event_ids))
        .order_by(Event.starts_at.is_(None), Event.starts_at, Event.id, Stand.position, Stand.id))]
    tagged = (sa.select(IdeaTag.tag_id).join(Idea, Idea.id == IdeaTag.idea_id)
              .join(Stand, Stand.id == Idea.stand_id)
              .where(Stand.event_id.in_(scope.event_ids), Idea.merged_into_id.is_(None),
                     Idea.status.in_(scope.listed_statuses), Idea.is_released))
    tags = [tuple(r) for r in db.session.execute(
        sa.select(Tag.id, Tag.label).where(Tag.id.in_(tagged)).order_by(Tag.label, Tag.id))]
    return FilterOptions(stands, tags)  # type: ignore[arg-type]
