"""The lottery's part of an applicant's data (issue 23, item 6; orchestrated by app/privacy).

Its entries and audit record carry pseudonyms and the criteria answers fixed at commitment, so
they stay after an erasure (the published record must keep verifying). The one personal part is
the applicants' objections to the record and the staff's answers (:class:`LotteryObjection`):
exported to the applicant, deleted with the erasure and by the retention purge.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from flask_babel import gettext as _

from app.audit.services import jsonable
from app.core.personal import Cover
from app.events.models import Application
from app.extensions import db
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry, LotteryObjection
from app.lottery.seats import process_draw

COVERS = {
    LotteryObjection.text: Cover(
        export="lottery_objections[].text",
        erase="deleted with the objection by anonymise (erasure, retention purge) and by the retention "
              "purge of the event (also objections whose application was deleted)"),
    LotteryObjection.answer: Cover(export="lottery_objections[].answer", erase="as the objection's text"),
}


def _objections(application: Application) -> list[LotteryObjection]:
    return list(db.session.execute(
        sa.select(LotteryObjection).join(LotteryEntry, LotteryEntry.id == LotteryObjection.entry_id)
        .where(LotteryEntry.application_id == application.id).order_by(LotteryObjection.id)
    ).scalars())


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
    objections = []
    for objection in _objections(application):
        objections.append({
            "draw_attempt": objection.draw.attempt, "pseudonym": objection.entry.pseudonym,
            "text": objection.text, "created_at": jsonable(objection.created_at), "status": objection.status,
            "answer": objection.answer, "answered_at": jsonable(objection.answered_at),
        })
        history.append({"at": jsonable(objection.created_at), "what": "objection to the lottery record"})
        if objection.answered_at:
            history.append({"at": jsonable(objection.answered_at), "what": "objection answered"})
    return {"lottery": lottery, "lottery_objections": objections, "status_history": history}


def anonymise(application: Application, now: datetime) -> None:
    """The applicant's objections and their answers go (the audit log keeps only that there was one)."""
    for objection in _objections(application):
        db.session.delete(objection)


def purge(plan, report):
    """Delete the objections against the draws of events past their retention (with or without an application)."""
    if not plan.event_ids:
        return None
    objections = list(db.session.execute(
        sa.select(LotteryObjection).join(LotteryDraw, LotteryDraw.id == LotteryObjection.draw_id)
        .where(LotteryDraw.event_id.in_(plan.event_ids)).order_by(LotteryObjection.id)
    ).scalars())
    if not objections:
        return None
    ids = [o.id for o in objections]
    report.add_part("lottery_objections", len(ids), [
        (_("lottery objection %(id)d: would delete with its answer") if report.dry_run
         else _("lottery objection %(id)d: delete with its answer")) % {"id": i} for i in ids])

    def apply():
        for objection in objections:
            db.session.delete(objection)
    return apply


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
