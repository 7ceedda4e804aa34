"""Stakeholder groups: the groups of a process's events and their comparison by theme."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.events.models import Event, EventStatus, Process
from app.extensions import db
from app.ideas.models import IdeaTag, Stand, Tag
from app.results.base import Scope, ranked_ideas


@dataclass(frozen=True)
class GroupCell:
    """One theme (tag or stand title) in one stakeholder group."""

    ideas: int = 0
    dots: int = 0
    #: Share of the group's ideas / dots (0..1); ideas with several tags count for each.
    idea_share: float = 0.0
    dot_share: float = 0.0


@dataclass(frozen=True)
class GroupTotals:
    group: str
    events: int
    ideas: int
    dots: int


@dataclass
class GroupComparison:
    """Stakeholder groups × themes: which themes mattered to which group.

    :ivar dimension: ``"tag"`` or ``"stand"`` (stands of different events with the same title
        are one theme).
    :ivar groups: the groups in process order ("" for events without a group).
    :ivar themes: the themes, most dots over all groups first.
    :ivar cells: ``cells[theme][group]``.
    """

    dimension: str
    groups: list[GroupTotals]
    themes: list[str]
    cells: dict[str, dict[str, GroupCell]] = field(default_factory=dict)

    def cell(self, theme: str, group: str) -> GroupCell:
        return self.cells.get(theme, {}).get(group, GroupCell())


def group_comparison(scope: Scope, *, dimension: str = "tag") -> GroupComparison:
    """Compare the stakeholder groups of the scope's events by theme (three queries).

    A group's ideas are the listed ideas recorded at its events; its dots are the dots on
    them (merged ideas included). Shares are of the group's own totals, so a small group
    and a large one can be compared.

    :param dimension: ``"tag"`` (tags are shared by all events of a process) or ``"stand"``
        (stand titles).
    :raises ValueError: for another dimension.
    """
    if dimension not in ("tag", "stand"):
        raise ValueError(dimension)
    if not scope.event_ids:
        return GroupComparison(dimension, [], [])
    ranked = ranked_ideas(scope)
    group_col = Event.stakeholder_group
    totals = db.session.execute(
        sa.select(group_col, sa.func.count(sa.distinct(ranked.c.event_id)), sa.func.count(),
                  sa.func.coalesce(sa.func.sum(ranked.c.total), 0))
        .select_from(ranked).join(Event, Event.id == ranked.c.event_id).group_by(group_col)).all()
    event_counts = dict(db.session.execute(
        sa.select(group_col, sa.func.count(Event.id)).where(Event.id.in_(scope.event_ids))
        .group_by(group_col)).all())
    if dimension == "tag":
        theme = Tag.label
        stmt = (sa.select(group_col, theme, sa.func.count(), sa.func.sum(ranked.c.total))
                .select_from(ranked).join(Event, Event.id == ranked.c.event_id)
                .join(IdeaTag, IdeaTag.idea_id == ranked.c.root_id).join(Tag, Tag.id == IdeaTag.tag_id))
    else:
        theme = Stand.title
        stmt = (sa.select(group_col, theme, sa.func.count(), sa.func.sum(ranked.c.total))
                .select_from(ranked).join(Event, Event.id == ranked.c.event_id)
                .join(Stand, Stand.id == ranked.c.stand_id))
    rows = db.session.execute(stmt.group_by(group_col, theme)).all()
    by_group = {g: (int(i), int(d)) for g, _, i, d in totals}
    order = {g: n for n, g in enumerate(_group_order(scope.process_id))}
    groups = sorted((GroupTotals(g, int(event_counts.get(g, 0)), i, d) for g, (i, d) in by_group.items()),
                    key=lambda t: (order.get(t.group, len(order)), t.group))
    cells: dict[str, dict[str, GroupCell]] = defaultdict(dict)
    theme_dots: dict[str, int] = defaultdict(int)
    for group, name, ideas, dots in rows:
        group_ideas, group_dots = by_group.get(group, (0, 0))
        dots = int(dots or 0)
        cells[name][group] = GroupCell(int(ideas), dots, int(ideas) / group_ideas if group_ideas else 0.0,
                                       dots / group_dots if group_dots else 0.0)
        theme_dots[name] += dots
    themes = sorted(cells, key=lambda name: (-theme_dots[name], name.casefold()))
    return GroupComparison(dimension, groups, themes, dict(cells))


def _group_order(process_id: int) -> list[str]:
    """The process's stakeholder groups in the order the process lists them (one query)."""
    text = db.session.execute(
        sa.select(Process.stakeholder_groups).where(Process.id == process_id)).scalar_one_or_none() or ""
    return [line.strip() for line in text.splitlines() if line.strip()]


def stakeholder_groups(process_id: int, *, public: bool = True) -> list[str]:
    """The stakeholder groups of the process's events (published ones for the public), one query."""
    stmt = sa.select(sa.distinct(Event.stakeholder_group)).where(Event.process_id == process_id,
                                                                  Event.stakeholder_group != "")
    if public:
        stmt = stmt.where(Event.status == EventStatus.PUBLISHED.value)
    found = set(db.session.execute(stmt).scalars())
    order = {g: n for n, g in enumerate(_group_order(process_id))}
    return sorted(found, key=lambda g: (order.get(g, len(order)), g))
