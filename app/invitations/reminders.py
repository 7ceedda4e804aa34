"""Reminder letters (issue 17): staff choose a date, and everyone invited who has not answered by then
(and has not answered since) gets a reminder letter with the same personal code.

A reminder run marks its invitations (``state`` ``reminded``, ``reminded_at`` the run's moment, the
same for all of them) in the request, audit-logged, and is kept in the history
(:class:`~app.invitations.models.ReminderRun`: moment, date, again, count, who). A run may set a new,
later answer deadline (``new_deadline``): it becomes the draw's ``answer_deadline``, so the answer pages,
the reminder letters, the reminders' checks and the deletion of non-answerers' register data all follow
it (the deadline is not part of the draw's commitment); the letters' PDF or the CSV for a print-and-mail
service is made by a job from the invitations of that run (:func:`app.invitations.jobs.reminders_job`),
so a retried or repeated file holds the same people. A second run reminds only those not reminded yet
unless staff ask to remind everyone again. Services flush; the request commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit.services import log_action
from app.core.models import utcnow
from app.extensions import db
from app.invitations.errors import InvitationError
from app.events.models import Event
from app.invitations.models import (
    Invitation,
    InvitationDraw,
    InvitationDrawState,
    InvitationState,
    ReminderRun,
)


@dataclass(frozen=True)
class Run:
    """One reminder run: its moment (the invitations' ``reminded_at``) and how many it reminded."""

    at: datetime
    count: int


def counts(draw: InvitationDraw) -> dict[str, int]:
    """invited, answered, reminded (ever, answered since or not), open (not answered) of a draw."""
    row = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.count(Invitation.answered_at),
                  sa.func.count(Invitation.reminded_at))
        .where(Invitation.draw_id == draw.id)).one()
    invited, answered, reminded = (int(v or 0) for v in row)
    return {"invited": invited, "answered": answered, "reminded": reminded, "open": invited - answered}


def _due(draw: InvitationDraw, again: bool):
    """Who a run reminds: not answered, register data still held; not reminded before unless ``again``."""
    conditions = [Invitation.draw_id == draw.id, Invitation.state != InvitationState.ANSWERED.value,
                  Invitation.person_id.is_not(None)]
    if not again:
        conditions.append(Invitation.reminded_at.is_(None))
    return conditions


def due_count(draw: InvitationDraw, again: bool = False) -> int:
    return int(db.session.execute(sa.select(sa.func.count()).select_from(Invitation)
                                  .where(*_due(draw, again))).scalar_one())


def parse_date(text: str | None) -> date:
    """The run's date as the form sends it (YYYY-MM-DD).

    :raises InvitationError: ``bad_reminder`` (field ``not_answered_by``).
    """
    text = (text or "").strip()
    if not text:
        raise InvitationError("bad_reminder", _l("Please enter the date: who has not answered by then is reminded."),
                              field="not_answered_by")
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InvitationError("bad_reminder", _l("Please enter the date as a date, e.g. 2027-01-15."),
                              field="not_answered_by") from None


def parse_new_deadline(text: str | None) -> date | None:
    """The run's new answer deadline as the form sends it (YYYY-MM-DD), None when left empty.

    :raises InvitationError: ``bad_reminder`` (field ``new_deadline``).
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InvitationError("bad_reminder", _l("Please enter the new answer deadline as a date, e.g. 2027-01-15."),
                              field="new_deadline") from None


def _check_new_deadline(draw: InvitationDraw, new_deadline: date, now: datetime) -> datetime:
    """The new deadline as the draw stores it (the day's start, as the plan's deadline).

    :raises InvitationError: ``bad_reminder`` (field ``new_deadline``): not after today, not later than the
        current deadline, or not before the event begins.
    """
    moment = datetime.combine(new_deadline, time())
    if new_deadline <= now.date():
        raise InvitationError("bad_reminder", _l("The new answer deadline must be after today."), field="new_deadline")
    if draw.answer_deadline is not None and moment <= draw.answer_deadline:
        raise InvitationError("bad_reminder", _l("The new answer deadline must be later than the current one: those "
                                                 "who have the first letter count on it."), field="new_deadline")
    event = db.session.get(Event, draw.event_id)
    if event.starts_at is not None and moment >= event.starts_at:
        raise InvitationError("bad_reminder", _l("The new answer deadline must be before the event begins."),
                              field="new_deadline")
    return moment


def remind(draw: InvitationDraw, not_answered_by: date, *, again: bool = False, new_deadline: date | None = None,
           user=None) -> Run:
    """Mark everyone of ``draw`` who has not answered by ``not_answered_by`` (nor since) as reminded now.

    :param again: also those reminded before (a second reminder); otherwise they are left out.
    :param new_deadline: a later answer deadline the reminder letters state (and everything else honours).
    :raises InvitationError: ``wrong_state`` (not drawn), ``bad_reminder`` (a date in the future or after
        the answer deadline, a new deadline not later than the current one or not before the event),
        ``no_reminders`` (nobody is due).
    """
    if draw.state != InvitationDrawState.DRAWN.value:
        raise InvitationError("wrong_state", _l("Letters can be made only for drawn invitations."))
    now = utcnow()
    previous_deadline = draw.answer_deadline
    if new_deadline is not None:
        draw.answer_deadline = _check_new_deadline(draw, new_deadline, now)
    if not_answered_by > now.date():
        raise InvitationError("bad_reminder", _l("The date is in the future: who will not have answered by then is "
                                                 "not known yet."), field="not_answered_by")
    if draw.answer_deadline is not None and now > draw.answer_deadline:
        raise InvitationError("bad_reminder", _l("The answer deadline has passed: a reminder comes too late, unless "
                                                 "it sets a new answer deadline."), field="new_deadline")
    if draw.answer_deadline is not None and datetime.combine(not_answered_by, time()) > draw.answer_deadline:
        raise InvitationError("bad_reminder", _l("The date is after the answer deadline: a reminder then comes too "
                                                 "late."), field="not_answered_by")
    ids = db.session.execute(sa.select(Invitation.id).where(*_due(draw, again))).scalars().all()
    if not ids:
        if again or due_count(draw, again=True) == 0:
            raise InvitationError("no_reminders", _l("Everyone invited has answered, or their register data has been "
                                                     "deleted: there is nobody to remind."))
        raise InvitationError("no_reminders", _l("Everyone who has not answered has been reminded already. To send "
                                                 "them a second reminder, choose “Remind again”."), field="again")
    for start in range(0, len(ids), 500):
        db.session.execute(sa.update(Invitation).where(Invitation.id.in_(ids[start:start + 500]))
                           .values(state=InvitationState.REMINDED.value, reminded_at=now))
    db.session.add(ReminderRun(draw_id=draw.id, at=now, not_answered_by=not_answered_by, again=again, count=len(ids),
                               previous_deadline=previous_deadline if new_deadline is not None else None,
                               new_deadline=draw.answer_deadline if new_deadline is not None else None,
                               by_id=getattr(user, "id", None)))
    after = {"count": len(ids), "date": not_answered_by.isoformat(), "again": again}
    if new_deadline is not None:
        after["new_deadline"] = new_deadline.isoformat()
    log_action("invitation.reminders", draw, event_id=draw.event_id, after=after,
               before={"answer_deadline": previous_deadline.date().isoformat() if previous_deadline else None}
               if new_deadline is not None else None)
    db.session.flush()
    return Run(now, len(ids))


def history(draw: InvitationDraw) -> list[ReminderRun]:
    """The draw's reminder runs, the latest first."""
    return list(db.session.execute(sa.select(ReminderRun).where(ReminderRun.draw_id == draw.id)
                                   .order_by(ReminderRun.at.desc(), ReminderRun.id.desc())).scalars())


def latest_run(draw: InvitationDraw) -> Run | None:
    """The draw's last reminder run, if any."""
    at = db.session.execute(sa.select(sa.func.max(Invitation.reminded_at))
                            .where(Invitation.draw_id == draw.id)).scalar_one()
    if at is None:
        return None
    n = db.session.execute(sa.select(sa.func.count()).select_from(Invitation)
                           .where(Invitation.draw_id == draw.id, Invitation.reminded_at == at)).scalar_one()
    return Run(at, int(n))
