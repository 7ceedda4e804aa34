"""Paper dots: the count on the board per idea, set by staff and logged."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.audit.services import log_action
from app.core.models import utcnow
from app.events.models import Event
from app.extensions import db
from app.ideas.models import Idea
from app.voting.base import VotingError, insert_on_conflict
from app.voting.models import BoardCount, BoardCountLog

MAX_BOARD_COUNT = 100_000


def parse_count(raw: object) -> int:
    """A count of paper dots from a form field (digits only, 0..100000)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 6:
        value = int(raw.strip())
    else:
        raise VotingError(_l("Please enter the number of dots as a whole number (0 or more)."), "bad_count")
    if not 0 <= value <= MAX_BOARD_COUNT:
        raise VotingError(_l("Please enter a number between 0 and %(max)d.", max=MAX_BOARD_COUNT), "bad_count")
    return value


def set_board_count(idea: Idea, count: object, *, user: User | None = None) -> int:
    """Set the paper dots counted on the board for ``idea`` (replaces the earlier count; logged).

    :raises VotingError: ``bad_count``, ``hidden_idea``.
    """
    value = parse_count(count)
    if not idea.is_visible:
        raise VotingError(_l("Dots can only be counted for visible ideas."), "hidden_idea")
    now = utcnow()
    user_id = user.id if user is not None else None
    previous = db.session.execute(sa.select(BoardCount.count).where(BoardCount.idea_id == idea.id)).scalar()
    table = BoardCount.__table__
    stmt = insert_on_conflict(table).values(event_id=idea.stand.event_id, idea_id=idea.id, count=value,
                                            updated_at=now, updated_by_id=user_id)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=["idea_id"],
        set_={"count": stmt.excluded.count, "updated_at": now, "updated_by_id": user_id}))
    db.session.add(BoardCountLog(event_id=idea.stand.event_id, idea_id=idea.id, count=value, user_id=user_id,
                                 created_at=now))
    db.session.flush()
    log_action("voting.board_count", idea, event_id=idea.stand.event_id, before={"count": previous},
               after={"count": value})
    return value


def board_counts(event: Event) -> dict[int, BoardCount]:
    return {b.idea_id: b for b in db.session.execute(
        sa.select(BoardCount).where(BoardCount.event_id == event.id)).scalars()}
