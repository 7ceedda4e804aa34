"""Dots and supports of a scope summed: per channel, in all, per stand and per tag."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.ideas.models import Idea, IdeaStatus, IdeaTag, Stand, Tag
from app.results.base import Scope, ranked_ideas


@dataclass(frozen=True)
class ChannelTotal:
    """The listed ideas of one channel (``room``: recorded at a stand; ``online``: submitted by a
    participant, issue 18) with their dots and their online supports (never added together)."""

    channel: str
    ideas: int = 0
    dots: int = 0
    supports: int = 0


def channel_totals(scope: Scope) -> dict[str, ChannelTotal]:
    """Per channel of the surviving ideas :func:`idea_ranking` lists: how many, their dots and
    their supports (``room`` and ``online`` always present); one query."""
    found = {channel: ChannelTotal(channel) for channel in ("room", "online")}
    if not scope.event_ids:
        return found
    ranked = ranked_ideas(scope)
    for channel, ideas, dots, backing in db.session.execute(
            sa.select(ranked.c.channel, sa.func.count(), sa.func.sum(ranked.c.total), sa.func.sum(ranked.c.supports))
            .group_by(ranked.c.channel)):
        found[channel] = ChannelTotal(channel, int(ideas), int(dots or 0), int(backing or 0))
    return found


@dataclass(frozen=True)
class DotTotals:
    """Dots of the listed ideas of a scope, per channel."""

    room: int = 0
    board: int = 0
    online: int = 0
    ideas: int = 0
    #: Online supports of the ideas (issue 18): beside the dots, not in ``total``.
    supports: int = 0

    @property
    def total(self) -> int:
        return self.room + self.board + self.online


def dot_totals(scope: Scope) -> DotTotals:
    """All dots on the scope's listed ideas (merged ideas included in their survivor), one query."""
    if not scope.event_ids:
        return DotTotals()
    ranked = ranked_ideas(scope)
    row = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(ranked.c.room), 0), sa.func.coalesce(sa.func.sum(ranked.c.board), 0),
        sa.func.coalesce(sa.func.sum(ranked.c.online), 0), sa.func.count(),
        sa.func.coalesce(sa.func.sum(ranked.c.supports), 0))).one()
    return DotTotals(room=int(row[0]), board=int(row[1]), online=int(row[2]), ideas=int(row[3]),
                     supports=int(row[4]))


@dataclass(frozen=True)
class StandTotal:
    """Ideas and dots of one stand.

    :ivar ideas: listed surviving ideas (see :attr:`Scope.listed_statuses`).
    :ivar hidden: hidden ideas (staff information; public pages do not show it).
    :ivar merged: ideas merged into another idea.
    """

    stand_id: int
    title: str
    event_id: int
    event_title: str
    ideas: int = 0
    hidden: int = 0
    merged: int = 0
    room: int = 0
    board: int = 0
    online: int = 0
    #: Online supports of its listed ideas (issue 18): beside the dots, not in ``total``.
    supports: int = 0

    @property
    def total(self) -> int:
        return self.room + self.board + self.online


def stand_totals(scope: Scope) -> list[StandTotal]:
    """Every stand of the scope's events (or the one stand filtered on), with idea counts and the
    dots of its listed ideas; in event and stand order. Three queries."""
    if not scope.event_ids:
        return []
    stands_stmt = (sa.select(Stand.id, Stand.title, Event.id, Event.title)
                   .join(Event, Event.id == Stand.event_id).where(Stand.event_id.in_(scope.event_ids))
                   .order_by(Event.starts_at.is_(None), Event.starts_at, Event.id, Stand.position, Stand.id))
    if scope.stand_id is not None:
        stands_stmt = stands_stmt.where(Stand.id == scope.stand_id)
    stands = db.session.execute(stands_stmt).all()
    ranked = ranked_ideas(scope)
    sums = {row[0]: row[1:] for row in db.session.execute(
        sa.select(ranked.c.stand_id, sa.func.count(), sa.func.sum(ranked.c.room), sa.func.sum(ranked.c.board),
                  sa.func.sum(ranked.c.online), sa.func.sum(ranked.c.supports)).group_by(ranked.c.stand_id))}
    status_stmt = (sa.select(Idea.stand_id, Idea.status, sa.func.count(Idea.id))
                   .join(Stand, Stand.id == Idea.stand_id)
                   .where(Stand.event_id.in_(scope.event_ids),
                          Idea.status.in_((IdeaStatus.HIDDEN.value, IdeaStatus.MERGED.value)))
                   .group_by(Idea.stand_id, Idea.status))
    if scope.tag_id is not None:
        status_stmt = status_stmt.where(
            sa.exists().where(IdeaTag.idea_id == Idea.id, IdeaTag.tag_id == scope.tag_id))
    statuses: dict[int, dict[str, int]] = defaultdict(dict)
    for stand_id, status, n in db.session.execute(status_stmt):
        statuses[stand_id][status] = n
    result = []
    for stand_id, title, event_id, event_title in stands:
        ideas, room, board, online, backing = sums.get(stand_id, (0, 0, 0, 0, 0))
        result.append(StandTotal(stand_id, title, event_id, event_title, ideas=int(ideas),
                                 hidden=statuses[stand_id].get(IdeaStatus.HIDDEN.value, 0),
                                 merged=statuses[stand_id].get(IdeaStatus.MERGED.value, 0),
                                 room=int(room or 0), board=int(board or 0), online=int(online or 0),
                                 supports=int(backing or 0)))
    return result


@dataclass(frozen=True)
class TagTotal:
    """Ideas with one tag and their dots."""

    tag_id: int
    label: str
    ideas: int
    room: int
    board: int
    online: int
    #: Online supports of the ideas with the tag (issue 18): beside the dots, not in ``total``.
    supports: int = 0

    @property
    def total(self) -> int:
        return self.room + self.board + self.online


def tag_totals(scope: Scope, *, limit: int | None = None) -> list[TagTotal]:
    """Per tag of the scope's listed ideas: how many ideas and their dots; most dots first
    (ties: more ideas, then label). Tags no listed idea carries are left out. One query."""
    if not scope.event_ids:
        return []
    ranked = ranked_ideas(scope)
    room, board, online = (sa.func.sum(ranked.c.room), sa.func.sum(ranked.c.board), sa.func.sum(ranked.c.online))
    stmt = (sa.select(Tag.id, Tag.label, sa.func.count(), room, board, online, sa.func.sum(ranked.c.supports))
            .select_from(ranked).join(IdeaTag, IdeaTag.idea_id == ranked.c.root_id)
            .join(Tag, Tag.id == IdeaTag.tag_id).group_by(Tag.id, Tag.label)
            .order_by((room + board + online).desc(), sa.func.count().desc(), Tag.label, Tag.id))
    if limit is not None:
        stmt = stmt.limit(max(1, int(limit)))
    return [TagTotal(r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0), int(r[6] or 0))
            for r in db.session.execute(stmt)]


def top_tags(scope: Scope, limit: int = 10) -> list[TagTotal]:
    """The ``limit`` tags with the most dots (see :func:`tag_totals`)."""
    return tag_totals(scope, limit=limit)


def sum_of_stands(stands: Sequence[StandTotal]) -> DotTotals:
    """The totals of a scope from its :func:`stand_totals` (no query): what :func:`dot_totals`
    returns for a scope without a stand filter, for callers that have the stands anyway."""
    return DotTotals(room=sum(s.room for s in stands), board=sum(s.board for s in stands),
                     online=sum(s.online for s in stands), ideas=sum(s.ideas for s in stands),
                     supports=sum(s.supports for s in stands))
