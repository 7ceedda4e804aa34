"""A measure's records: create and edit, the status flow with its history, and the lists.

Services flush; the request commits. A status change queues the notification mails
(:mod:`app.measures.notify`) in the same transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.audit.services import diff, log_action, snapshot
from app.core import signals
from app.core.formatting import format_day
from app.core.models import utcnow
from app.extensions import db
from app.events.models import Process
from app.measures import notify as notify_module
from app.measures.base import (
    MAX_COMMENT, MeasureError, clean, clean_fields, clean_progress, clean_title, next_statuses, status_label, today,
)
from app.measures.models import MEASURE_STATUSES, Measure, MeasureIdea, MeasureStatus, MeasureStatusChange


def _check_title_free(process_id: int, title: str, measure_id: int | None = None) -> None:
    query = sa.select(Measure.id).where(Measure.process_id == process_id,
                                        sa.func.lower(Measure.title) == title.lower())
    if measure_id is not None:
        query = query.where(Measure.id != measure_id)
    if db.session.execute(query.limit(1)).first():
        raise MeasureError(_l("This process already has a measure with this title."), "title_taken", "title")


def _check_date(on: date | None, measure: Measure | None) -> date:
    on = on or today()
    if on > today():
        raise MeasureError(_l("The date of a status change cannot be in the future."), "date_in_future", "changed_on")
    if measure is not None and measure.status_date and on < measure.status_date:
        raise MeasureError(
            _l("The date cannot be before the date of the current status (%(date)s).",
               date=format_day(measure.status_date, "long")), "date_before_current", "changed_on")
    return on


def create_measure(process: Process, *, title: object, description: object = "", chapter: object = "",
                   office: object = "", progress: object = 0, status: str = MeasureStatus.PROPOSED.value,
                   on: date | None = None, comment: object = "", user: User | None = None) -> Measure:
    """Create a measure of ``process`` with its first history row.

    :raises MeasureError: ``title_required``, ``title_too_long``, ``title_taken``, ``status_unknown``,
        ``progress_invalid``, ``date_in_future``, ``*_too_long``.
    """
    title = clean_title(title)
    if status not in MEASURE_STATUSES:
        raise MeasureError(_l("Unknown status."), "status_unknown", "status")
    fields = clean_fields(description, chapter, office)
    progress_value = clean_progress(progress)
    if status == MeasureStatus.DONE.value:
        progress_value = 100
    comment_text = clean(comment, MAX_COMMENT, multiline=True, code="comment", field_name="comment")
    on = _check_date(on, None)
    _check_title_free(process.id, title)
    measure = Measure(process_id=process.id, title=title, status=status, status_date=on, progress=progress_value,
                      **fields)
    db.session.add(measure)
    db.session.flush()
    db.session.add(MeasureStatusChange(measure_id=measure.id, from_status=None, to_status=status, changed_on=on,
                                       comment=comment_text, user_id=user.id if user else None))
    db.session.flush()
    log_action("measure.create", measure, after=snapshot(measure))
    return measure


def update_measure(measure: Measure, *, title: object, description: object = "", chapter: object = "",
                   office: object = "", progress: object = 0) -> Measure:
    """Change the texts and the progress of a measure (its status changes through :func:`change_status`).

    :raises MeasureError: as :func:`create_measure`.
    """
    title = clean_title(title)
    fields = clean_fields(description, chapter, office)
    progress_value = clean_progress(progress)
    _check_title_free(measure.process_id, title, measure.id)
    before = snapshot(measure, ("title", "description", "chapter", "office", "progress"))
    measure.title = title
    for name, value in fields.items():
        setattr(measure, name, value)
    measure.progress = progress_value
    measure.updated_at = utcnow()
    db.session.flush()
    changes = diff(before, measure)
    if changes["after"]:
        log_action("measure.edit", measure, **changes)
    return measure


def change_status(measure: Measure, status: str, *, on: date | None = None, comment: object = "",
                  progress: object = None, user: User | None = None, notify: bool = True) -> MeasureStatusChange:
    """Move ``measure`` to ``status``: writes a history row (date, public comment), updates the
    measure, and queues a mail to every participant who opted in and whose event's ideas the
    measure took up; the signal ``measure_status_changed`` lets online participation mail the
    followers of its ideas.

    :param on: the day of the change (default today); not in the future, not before the current status.
    :param progress: a new progress figure, or None to keep it ("done" sets 100).
    :raises MeasureError: ``status_unknown``, ``status_same``, ``transition_not_allowed``,
        ``date_in_future``, ``date_before_current``, ``comment_too_long``, ``progress_invalid``.
    """
    if status not in MEASURE_STATUSES:
        raise MeasureError(_l("Unknown status."), "status_unknown", "status")
    if status == measure.status:
        raise MeasureError(_l("The measure already has the status “%(status)s”.", status=status_label(status)),
                           "status_same", "status")
    if status not in next_statuses(measure):
        raise MeasureError(
            _l("A measure cannot go from “%(old)s” to “%(new)s”.", old=status_label(measure.status),
               new=status_label(status)), "transition_not_allowed", "status")
    comment_text = clean(comment, MAX_COMMENT, multiline=True, code="comment", field_name="comment")
    on = _check_date(on, measure)
    new_progress = clean_progress(progress) if progress is not None and progress != "" else measure.progress
    if status == MeasureStatus.DONE.value:
        new_progress = 100
    # Atomic guard: two admins changing the status at once cannot both pass the check above.
    changed = db.session.execute(
        sa.update(Measure).where(Measure.id == measure.id, Measure.status == measure.status)
        .values(status=status, status_date=on, progress=new_progress, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise MeasureError(_l("The measure was changed meanwhile. Please reload the page."), "conflict")
    change = MeasureStatusChange(measure_id=measure.id, from_status=measure.status, to_status=status,
                                 changed_on=on, comment=comment_text, user_id=user.id if user else None)
    db.session.add(change)
    db.session.flush()
    db.session.refresh(measure)
    log_action("measure.status", measure, before={"status": change.from_status},
               after={"status": status, "date": on, "comment": comment_text, "progress": new_progress})
    if notify:  # a change without notification (the demo's history) mails nobody
        notify_module.queue_status_mails(measure, change)
        signals.measure_status_changed.send(measure, change=change)  # participation mails the followers
    return change


def measures_of(process_id: int) -> list[Measure]:
    """The measures of a process, by chapter and title."""
    return list(db.session.execute(
        sa.select(Measure).where(Measure.process_id == process_id)
        .order_by(Measure.chapter, Measure.title, Measure.id)
    ).scalars())


def measure_count(process_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count(Measure.id)).where(Measure.process_id == process_id)).scalar_one()


def link_counts(measure_ids: Sequence[int]) -> dict[int, int]:
    if not measure_ids:
        return {}
    return dict(db.session.execute(
        sa.select(MeasureIdea.measure_id, sa.func.count(MeasureIdea.id))
        .where(MeasureIdea.measure_id.in_(measure_ids)).group_by(MeasureIdea.measure_id)
    ).all())
