"""The lottery's part of an applicant's data (issue 23, item 6; orchestrated by app/privacy).

The lottery stores no personal column: its entries and audit record carry pseudonyms and the
criteria answers fixed at commitment, so they stay after an erasure (the published record
must keep verifying).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.audit.services import jsonable
from app.events.models import Application
from app.extensions import db
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry
from app.lottery.services import process_draw

COVERS: dict = {}


def export(application: Application) -> dict:
    """The application's entries in every draw: pseudonym, seat, waiting rank, release."""
    entries = db.session.execute(
        sa.select(LotteryEntry, LotteryDraw).join(LotteryDraw, LotteryDraw.id == LotteryEntry.draw_id)
        .where(LotteryEntry.application_id == application.id).order_by(LotteryDraw.attempt)
    ).all()
    lottery, history = [], []
    for entry, draw in entries:
        lottery.append({
            "draw_attempt": draw.attempt, "draw_state": draw.state, "pseudonym": entry.pseudonym,
            "drawn": entry.seat_since is not None and entry.rank is None,
            "waiting_list_rank": entry.rank, "seat_since": jsonable(entry.seat_since),
            "confirm_deadline": jsonable(entry.confirm_deadline), "released_at": jsonable(entry.released_at),
            "release_reason": entry.release_reason,
        })
        if entry.seat_since:
            history.append({"at": jsonable(entry.seat_since), "what": "seat given"})
        if entry.released_at:
            history.append({"at": jsonable(entry.released_at), "what": f"seat released ({entry.release_reason})"})
    return {"lottery": lottery, "status_history": history}


def keeps_record(application: Application) -> bool:
    """A lottery commitment lists the application: it is anonymised, never deleted."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(LotteryEntry).where(LotteryEntry.application_id == application.id)
    ).scalar_one() > 0


def held_seat(application: Application) -> bool:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(LotteryEntry)
        .where(LotteryEntry.application_id == application.id, LotteryEntry.seat_since.is_not(None))
    ).scalar_one() > 0


def erased(application: Application, now: datetime) -> None:
    """A seat the erasure gave back goes to the waiting list at once."""
    draw = db.session.execute(
        sa.select(LotteryDraw).where(LotteryDraw.event_id == application.event_id,
                                     LotteryDraw.state == DrawState.DRAWN.value)
    ).scalar_one_or_none()
    if draw is not None:
        process_draw(draw, now=now)
