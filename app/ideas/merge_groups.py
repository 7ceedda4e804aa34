"""The one home of three rules every page that counts ideas or dots follows.

* **A visible idea** is new or taken into a measure (:data:`VISIBLE_STATUSES`) and released
  (``Idea.is_released``: an online idea not waiting for pre-moderation and not withdrawn by its
  participant, issue 18); hidden and merged ideas are not. ``Idea.is_visible`` states the rule for both sides: in Python on an
  idea (templates) and as SQL on the class or an alias (``sa.select(Idea).where(Idea.is_visible)``).
* **A merge group** is a surviving idea (``merged_into_id IS NULL``) with every idea merged
  into it, directly or along a chain of merges. Un-merging just clears ``merged_into_id``,
  so the group shrinks again and the source's dots go back with it.
* **Dots per surviving idea** (:func:`dots_per_root`): the room and online dot rows and the
  board counts of every member of a group, at any event, count for its survivor.

The voting pages (ballot, totals), the results (dashboard, public results, exports, the
open-data API and the council report PDF) and the measures count through these functions,
so they show the same numbers by construction.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.ideas.models import VISIBLE_STATUSES, Idea, Stand
from app.participation.models import Support
from app.voting.models import BoardCount, Channel, Dot

__all__ = ["VISIBLE_STATUSES", "dots_per_root", "group_ids", "group_members", "groups", "root_of", "supports_per_root"]


def groups(event_ids: Sequence[int] | None = None, *, root_ids: Sequence[int] | None = None,
           process_id: int | None = None, stand_id: int | None = None, name: str = "merge_group"):
    """Recursive CTE ``(idea_id, root_id)``: every surviving idea with itself and with every
    idea of its merge group.

    :param event_ids: only the groups whose survivor was recorded at these events (its members
        may come from any event); None: every group.
    :param root_ids: only the groups of these surviving ideas (a page of ideas).
    :param process_id: only the groups whose survivor was recorded at an event of this process.
    :param stand_id: only the groups whose survivor was recorded at this stand (a stand's list).
    :param name: of the CTE; a statement that uses it twice needs a second name.
    """
    base = sa.select(Idea.id.label("idea_id"), Idea.id.label("root_id")).where(Idea.merged_into_id.is_(None))
    if event_ids is not None or process_id is not None:
        base = base.join(Stand, Stand.id == Idea.stand_id)
    if event_ids is not None:
        base = base.where(Stand.event_id.in_(tuple(event_ids)))
    if process_id is not None:
        base = base.where(Stand.event_id.in_(sa.select(Event.id).where(Event.process_id == process_id)))
    if stand_id is not None:
        base = base.where(Idea.stand_id == stand_id)
    if root_ids is not None:
        base = base.where(Idea.id.in_(tuple(root_ids)))
    cte = base.cte(name, recursive=True)
    member = sa.orm.aliased(Idea, name=f"{name}_member")
    return cte.union_all(
        sa.select(member.id, cte.c.root_id).join(cte, member.merged_into_id == cte.c.idea_id))


def group_members(idea_id: int, *, name: str = "merge_group_members"):
    """Recursive CTE ``(id)``: ``idea_id`` and every idea merged into it, directly or along a chain."""
    cte = sa.select(Idea.id).where(Idea.id == idea_id).cte(name, recursive=True)
    member = sa.orm.aliased(Idea, name=f"{name}_member")
    return cte.union_all(sa.select(member.id).where(member.merged_into_id == cte.c.id))


def group_ids(idea_id: int) -> list[int]:
    """The ids of :func:`group_members`, ascending (one query)."""
    members = group_members(idea_id)
    return sorted(db.session.execute(sa.select(members.c.id)).scalars())


def root_of(idea: Idea) -> Idea:
    """The survivor at the end of ``idea``'s chain of merges (the idea itself if not merged)."""
    seen = set()
    while idea.merged_into is not None and idea.id not in seen:
        seen.add(idea.id)
        idea = idea.merged_into
    return idea


def dots_per_root(members=None):
    """Subquery ``(root_id, room, online, board)``: the dots of every merge group of ``members``.

    :param members: a CTE or table ``(idea_id, root_id)``: :func:`groups` (the default, every
        group) or a table filled from it.
    """
    members = groups() if members is None else members
    # Dots per idea first: read in the order of the covering index (idea_id, channel), they are
    # counted without sorting or hashing every dot; only the per-idea counts meet the groups.
    per_idea = (sa.select(Dot.idea_id.label("idea_id"),
                          sa.func.count().filter(Dot.channel == Channel.ROOM.value).label("room"),
                          sa.func.count().filter(Dot.channel == Channel.ONLINE.value).label("online"))
                .where(Dot.idea_id.in_(sa.select(members.c.idea_id))).group_by(Dot.idea_id)).subquery("per_idea")
    dots = (sa.select(members.c.root_id.label("root_id"), per_idea.c.room.label("room"),
                      per_idea.c.online.label("online"), sa.literal(0).label("board"))
            .select_from(members).join(per_idea, per_idea.c.idea_id == members.c.idea_id))
    boards = (sa.select(members.c.root_id.label("root_id"), sa.literal(0).label("room"),
                        sa.literal(0).label("online"), sa.func.sum(BoardCount.count).label("board"))
              .select_from(members).join(BoardCount, BoardCount.idea_id == members.c.idea_id)
              .group_by(members.c.root_id))
    counts = sa.union_all(dots, boards).subquery("group_counts")
    return (sa.select(counts.c.root_id, sa.func.sum(counts.c.room).label("room"),
                      sa.func.sum(counts.c.online).label("online"), sa.func.sum(counts.c.board).label("board"))
            .group_by(counts.c.root_id)).subquery("root_dots")


def supports_per_root(members=None):
    """Subquery ``(root_id, supports)``: the online supports of every merge group of ``members``
    (issue 18): a support of an idea merged into another counts for its survivor, and a
    participant who supported two ideas of one group counts once.

    :param members: a CTE or table ``(idea_id, root_id)``, :func:`groups` by default.
    """
    members = groups() if members is None else members
    return (sa.select(members.c.root_id.label("root_id"),
                      sa.func.count(sa.distinct(Support.participant_id)).label("supports"))
            .select_from(members).join(Support, Support.idea_id == members.c.idea_id)
            .group_by(members.c.root_id)).subquery("root_supports")
