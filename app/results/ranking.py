"""The ranking of a scope's surviving ideas by dots, a page at a time."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.ideas.models import Idea, IdeaTag, Stand, Tag
from app.results.base import MAX_PAGE_SIZE, Scope, listed_roots, ranked_ideas


@dataclass(frozen=True)
class TagRef:
    id: int
    label: str


@dataclass(frozen=True)
class RankedIdea:
    """A surviving idea with its dots. No personal data (``said_by`` is never included).

    :ivar rank: 1 for the idea with the most dots; ideas with equal totals share a rank.
    :ivar merged: how many other ideas were merged into this one.
    """

    rank: int
    id: int
    text: str
    status: str
    stand_id: int
    stand_title: str
    event_id: int
    event_title: str
    room: int
    board: int
    online: int
    total: int
    merged: int = 0
    tags: tuple[TagRef, ...] = ()
    #: Online supports of its merge group (issue 18), one per participant; not dots, not in ``total``.
    supports: int = 0
    #: room | online: where the idea was recorded (issue 18).
    channel: str = "room"


def idea_ranking(scope: Scope, *, limit: int | None = 50, offset: int = 0) -> list[RankedIdea]:
    """The scope's surviving ideas, most dots first (ties: older idea first), with tags.

    Three queries whatever the number of ideas: the page of ranked ideas (ranks are
    computed over the whole scope), their tags, and how many ideas were merged into each.

    :param limit: page size (at most :data:`MAX_PAGE_SIZE`); None: all ideas (exports).
    :param offset: ideas to skip.
    """
    if not scope.event_ids:
        return []
    ranked = ranked_ideas(scope)
    # Rank and cut the page on the ranked ideas alone; only the page's ideas are joined to their
    # texts, stands and events.
    order = (ranked.c.total.desc(), ranked.c.created_at, ranked.c.root_id)
    # A ROWS frame: rank() ignores the frame, but with the default RANGE frame PostgreSQL 15 scans
    # every row's peers (ideas with the same total: often thousands with no dots) again and again,
    # spilling to disk (30,000 ideas: ~300 ms → a few ms).
    page = (sa.select(sa.func.rank().over(order_by=ranked.c.total.desc(), rows=(None, 0)).label("rank"), *ranked.c)
            .order_by(*order))
    if limit is not None:
        page = page.limit(max(1, min(int(limit), MAX_PAGE_SIZE))).offset(max(0, int(offset)))
    elif offset:
        page = page.offset(max(0, int(offset)))
    page = page.subquery("page")
    stmt = (sa.select(page.c.rank, Idea.id, Idea.text, page.c.status, page.c.stand_id, Stand.title,
                      page.c.event_id, Event.title, page.c.room, page.c.board, page.c.online, page.c.total,
                      page.c.supports, page.c.channel)
            .select_from(page).join(Idea, Idea.id == page.c.root_id)
            .join(Stand, Stand.id == page.c.stand_id).join(Event, Event.id == page.c.event_id)
            .order_by(page.c.total.desc(), page.c.created_at, page.c.root_id))
    rows = db.session.execute(stmt).all()
    if not rows:
        return []
    if limit is None:
        idea_filter = Idea.id.in_(sa.select(listed_roots(scope).subquery().c.root_id))
    else:
        idea_filter = Idea.id.in_([row[1] for row in rows])
    tags: dict[int, list[TagRef]] = defaultdict(list)
    for idea_id, tag_id, label in db.session.execute(
            sa.select(IdeaTag.idea_id, Tag.id, Tag.label).join(Tag, Tag.id == IdeaTag.tag_id)
            .join(Idea, Idea.id == IdeaTag.idea_id).where(idea_filter).order_by(Tag.label, Tag.id)):
        tags[idea_id].append(TagRef(tag_id, label))
    source = sa.orm.aliased(Idea, name="source")
    merged = dict(db.session.execute(
        sa.select(Idea.id, sa.func.count(source.id)).join(source, source.merged_into_id == Idea.id)
        .where(idea_filter).group_by(Idea.id)).all())
    return [RankedIdea(rank=r[0], id=r[1], text=r[2], status=r[3], stand_id=r[4], stand_title=r[5],
                       event_id=r[6], event_title=r[7], room=int(r[8]), board=int(r[9]), online=int(r[10]),
                       total=int(r[11]), merged=merged.get(r[1], 0), tags=tuple(tags.get(r[1], ())),
                       supports=int(r[12] or 0), channel=r[13])
            for r in rows]


def idea_count(scope: Scope) -> int:
    """How many ideas :func:`idea_ranking` lists for the scope (one query)."""
    if not scope.event_ids:
        return 0
    roots = listed_roots(scope).subquery()
    return db.session.execute(sa.select(sa.func.count()).select_from(roots)).scalar_one()
