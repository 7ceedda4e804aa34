"""Ideas one by one, for the open-data API and the exports: the listed ideas and those merged into them."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.ideas.models import Idea, IdeaTag, Stand, Tag
from app.results.base import MAX_PAGE_SIZE, Scope, ranked_ideas, scope_merge_groups
from app.results.ranking import TagRef


@dataclass(frozen=True)
class IdeaRecord:
    """One idea of a scope for the open-data API and the exports: a listed surviving idea, or an
    idea merged into one (``merged_into``: the surviving idea at the end of its chain).

    The dots of a merged idea count for its survivor, so a merged idea carries zeros and
    the sum over all records is the scope's total (nothing counted twice).
    """

    id: int
    text: str
    status: str
    stand_id: int
    stand_title: str
    event_id: int
    merged_into: int | None
    room: int
    board: int
    online: int
    total: int
    tags: tuple[TagRef, ...] = ()
    #: room | online (issue 18)
    channel: str = "room"
    #: Online supports of its merge group (a merged idea carries 0, as with the dots); not in ``total``.
    supports: int = 0


def _records_statement(scope: Scope):
    roots = scope_merge_groups(scope, name="record_group")
    ranked = ranked_ideas(scope)
    survivor = Idea.merged_into_id.is_(None)

    def own(column):
        return sa.case((survivor, column), else_=0)

    return (sa.select(Idea.id, Idea.text, Idea.status, Idea.stand_id, Stand.title, Stand.event_id,
                      sa.case((survivor, None), else_=roots.c.root_id), own(ranked.c.room), own(ranked.c.board),
                      own(ranked.c.online), own(ranked.c.total), Idea.channel, own(ranked.c.supports))
            .select_from(Idea).join(Stand, Stand.id == Idea.stand_id)
            .join(roots, roots.c.idea_id == Idea.id).join(ranked, ranked.c.root_id == roots.c.root_id)
            .where(Stand.event_id.in_(scope.event_ids)))


def idea_records(scope: Scope, *, limit: int | None = 100, offset: int = 0) -> list[IdeaRecord]:
    """The scope's listed ideas and the ideas merged into them, by id (two queries).

    Only ideas recorded at the scope's events are listed; hidden ideas (and ideas merged into
    hidden ones) only in staff scopes with ``include_hidden``.

    :param limit: page size (at most :data:`MAX_PAGE_SIZE`); None: all (exports).
    """
    if not scope.event_ids:
        return []
    stmt = _records_statement(scope).order_by(Idea.id)
    if limit is not None:
        stmt = stmt.limit(max(1, min(int(limit), MAX_PAGE_SIZE)))
    if offset:
        stmt = stmt.offset(max(0, int(offset)))
    rows = db.session.execute(stmt).all()
    tags = _tags_of([row[0] for row in rows]) if limit is not None else _tags_of_scope(scope)
    return [IdeaRecord(id=r[0], text=r[1], status=r[2], stand_id=r[3], stand_title=r[4], event_id=r[5],
                       merged_into=r[6], room=int(r[7]), board=int(r[8]), online=int(r[9]), total=int(r[10]),
                       tags=tuple(tags.get(r[0], ())), channel=r[11], supports=int(r[12] or 0)) for r in rows]


def idea_record_count(scope: Scope) -> int:
    """How many records :func:`idea_records` lists for the scope (one query)."""
    if not scope.event_ids:
        return 0
    return db.session.execute(
        sa.select(sa.func.count()).select_from(_records_statement(scope).subquery())).scalar_one()


def _tags_of(idea_ids: Sequence[int]) -> dict[int, list[TagRef]]:
    tags: dict[int, list[TagRef]] = defaultdict(list)
    if idea_ids:
        for idea_id, tag_id, label in db.session.execute(
                sa.select(IdeaTag.idea_id, Tag.id, Tag.label).join(Tag, Tag.id == IdeaTag.tag_id)
                .where(IdeaTag.idea_id.in_(idea_ids)).order_by(Tag.label, Tag.id)):
            tags[idea_id].append(TagRef(tag_id, label))
    return tags


def _tags_of_scope(scope: Scope) -> dict[int, list[TagRef]]:
    """Tags of every idea of the scope's events (one query, for exports of all ideas)."""
    tags: dict[int, list[TagRef]] = defaultdict(list)
    for idea_id, tag_id, label in db.session.execute(
            sa.select(IdeaTag.idea_id, Tag.id, Tag.label).join(Tag, Tag.id == IdeaTag.tag_id)
            .join(Idea, Idea.id == IdeaTag.idea_id).join(Stand, Stand.id == Idea.stand_id)
            .where(Stand.event_id.in_(scope.event_ids)).order_by(Tag.label, Tag.id)):
        tags[idea_id].append(TagRef(tag_id, label))
    return tags
