"""Demo data for voting: the paper dots counted on the workshop's pin boards.

The 2019 workshop voted with sticky dots on paper, so the demo has board counts only
(no tickets, no personal data). Counts are fixed per idea text, so a re-run sets nothing new.
"""
from __future__ import annotations

import zlib

import sqlalchemy as sa

from app.events.models import Event, Process
from app.extensions import db


def ensure_demo_board_counts(process: Process) -> None:
    """Give every visible demo idea without a board count its paper dots (between 1 and 9)."""
    from app.ideas.models import Idea, Stand
    from app.voting import services
    from app.voting.models import BoardCount

    if not sa.inspect(db.session.connection()).has_table("board_count"):
        return  # the database is older than the voting feature
    db.session.flush()
    ideas = db.session.execute(
        sa.select(Idea).join(Stand, Stand.id == Idea.stand_id).join(Event, Event.id == Stand.event_id)
        .outerjoin(BoardCount, BoardCount.idea_id == Idea.id)
        .where(Event.process_id == process.id, BoardCount.id.is_(None), Idea.status.in_(services.VOTABLE_STATUSES))
        .order_by(Idea.id)
    ).scalars().all()
    for idea in ideas:
        services.set_board_count(idea, 1 + zlib.crc32(idea.text.encode()) % 9)
