"""The ballot: what a voter sees (the stands and their votable ideas, their own dots, what is left)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.models import Idea, Stand
from app.voting.base import settings_for
from app.voting.dots import removed_dots
from app.voting.models import Dot, DotScope, Ticket, VotingSettings
from app.voting.receipts import receipt


@dataclass
class StandBallot:
    stand: Stand
    ideas: list[Idea]
    remaining: int | None = None  # with scope "stand"


@dataclass
class Ballot:
    """What a voter sees: the stands and ideas, their own dots, and what is left."""

    settings: VotingSettings
    stands: list[StandBallot]
    mine: dict[int, int]
    used: int
    remaining: int
    removed: int
    receipt: str
    by_stand: dict[int, int] = field(default_factory=dict)

    @property
    def per_stand(self) -> bool:
        return self.settings.scope == DotScope.STAND.value


def event_ideas(event: Event) -> list[tuple[Stand, list[Idea]]]:
    """The event's stands in order, each with its visible (votable) ideas; two queries."""
    stands = list(db.session.execute(
        sa.select(Stand).where(Stand.event_id == event.id).order_by(Stand.position, Stand.id)).scalars())
    ideas = db.session.execute(
        sa.select(Idea).where(Idea.stand_id.in_([s.id for s in stands]), Idea.is_visible)
        .order_by(Idea.created_at, Idea.id)).scalars().all() if stands else []
    by_stand: dict[int, list[Idea]] = defaultdict(list)
    for idea in ideas:
        by_stand[idea.stand_id].append(idea)
    return [(stand, by_stand[stand.id]) for stand in stands]


def my_dots(ticket: Ticket) -> dict[int, int]:
    """The ticket's dots per surviving idea (dots on merged ideas count for their survivor)."""
    roots = merge_groups.groups()
    return dict(db.session.execute(
        sa.select(roots.c.root_id, sa.func.count(Dot.id)).join(roots, roots.c.idea_id == Dot.idea_id)
        .where(Dot.ticket_id == ticket.id).group_by(roots.c.root_id)).all())


def ballot(ticket: Ticket) -> Ballot:
    settings = settings_for(ticket.event)
    stands = event_ideas(ticket.event)
    mine = my_dots(ticket)
    used_by_scope = dict(db.session.execute(
        sa.select(Dot.scope_id, sa.func.count(Dot.id)).where(Dot.ticket_id == ticket.id).group_by(Dot.scope_id)
    ).all())
    removed = len(removed_dots(ticket))
    used = sum(used_by_scope.values())
    stand_ballots = [StandBallot(stand, ideas) for stand, ideas in stands]
    if settings.scope == DotScope.STAND.value:
        for entry in stand_ballots:
            entry.remaining = settings.dots_per_ticket - used_by_scope.get(entry.stand.id, 0)
        remaining = sum(e.remaining or 0 for e in stand_ballots)
    else:
        remaining = settings.dots_per_ticket - used
    return Ballot(settings=settings, stands=stand_ballots, mine=mine, used=used, remaining=max(0, remaining),
                  removed=removed, receipt=receipt(ticket),
                  by_stand={e.stand.id: e.remaining for e in stand_ballots if e.remaining is not None})
