"""Applications for staff: counts, the searchable list, and the CSV export (streamed)."""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.formatting import format_moment
from app.core.spreadsheets import FORMULA_START, csv_safe
from app.core.text import clean_text
from app.events.application_input import SOURCE_LABELS, STATUS_LABELS
from app.events.models import Application, ApplicationAnswer, ApplicationStatus, Criterion, Event
from app.extensions import db

__all__ = ["FORMULA_START", "ORIGINS", "count_needing_call", "counts_by_option", "counts_by_status", "csv_safe",
           "export_rows", "has_invitations", "invited_ids", "search_query"]

#: The list's filter by how people came: answered an invitation from the register draw, or the open call.
ORIGINS = ("invited", "open")


def counts_by_status(event: Event) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Application.status, sa.func.count())
        .where(Application.event_id == event.id).group_by(Application.status)
    ).all()
    return {status: count for status, count in rows}


def counts_by_option(event: Event, statuses: tuple[str, ...] | None = None) -> dict[int, int]:
    """Applications per criterion option (one GROUP BY), by default only those that count
    (confirmed by mail or entered by staff, not withdrawn)."""
    statuses = statuses or tuple(
        s for s in (ApplicationStatus.APPLIED.value, ApplicationStatus.SELECTED.value,
                    ApplicationStatus.WAITLISTED.value, ApplicationStatus.NOT_SELECTED.value,
                    ApplicationStatus.CONFIRMED.value, ApplicationStatus.DECLINED.value))
    rows = db.session.execute(
        sa.select(ApplicationAnswer.option_id, sa.func.count())
        .join(Application, Application.id == ApplicationAnswer.application_id)
        .where(Application.event_id == event.id, Application.status.in_(statuses))
        .group_by(ApplicationAnswer.option_id)
    ).all()
    return {option_id: count for option_id, count in rows}


def _needs_call():
    """Drawn for a seat, not yet answered, and no email: the seat mail cannot reach them, staff must call."""
    return sa.and_(Application.status == ApplicationStatus.SELECTED.value,
                   sa.or_(Application.email.is_(None), Application.email == ""))


def count_needing_call(event: Event) -> int:
    """How many drawn applicants of ``event`` have no email and wait for a call (see :func:`_needs_call`)."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Application).where(Application.event_id == event.id, _needs_call())
    ).scalar_one()


def _invited():
    """True for an application that answers an invitation of the register draw: the invitations feature
    (app/invitations, which builds on this one) points the answered invitation to it."""
    from app.invitations.models import Invitation  # invitations build on events: a top-level import is circular

    return sa.exists().where(Invitation.application_id == Application.id)


def has_invitations(event: Event) -> bool:
    """Whether invitations were drawn for ``event`` (then the open applicants are marked as such)."""
    from app.invitations.models import Invitation  # invitations build on events: a top-level import is circular

    return db.session.execute(sa.select(sa.exists().where(Invitation.event_id == event.id))).scalar_one()


def invited_ids(application_ids) -> set[int]:
    """Those of ``application_ids`` that answer an invitation."""
    ids = list(application_ids)
    if not ids:
        return set()
    return set(db.session.execute(sa.select(Application.id).where(Application.id.in_(ids), _invited())).scalars())


def search_query(event: Event, term: str = "", needs_call: bool = False, origin: str = ""):
    """The staff list: newest first, optionally filtered by a name or email fragment, to those
    who need a call, or by origin (``invited`` or ``open``, see :data:`ORIGINS`)."""
    stmt = sa.select(Application).where(Application.event_id == event.id)
    if needs_call:
        stmt = stmt.where(_needs_call())
    if origin == "invited":
        stmt = stmt.where(_invited())
    elif origin == "open":
        stmt = stmt.where(~_invited())
    term = clean_text(term)[:100]
    if term:
        like = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.or_(sa.func.lower(Application.name).like(like, escape="\\"),
                                 Application.email.like(like, escape="\\")))
    return stmt.order_by(Application.created_at.desc(), Application.id.desc())


def export_rows(event: Event, batch: int = 1000) -> Iterator[list[str]]:
    """The CSV rows of an event's applications (header first), streamed from the database.

    Rows are read in batches (``yield_per``) and answers joined per batch, so
    memory stays flat however many applications there are.
    """
    criteria = db.session.execute(
        sa.select(Criterion).where(Criterion.event_id == event.id).order_by(Criterion.position, Criterion.id)
    ).scalars().all()
    labels = {o.id: o.label for c in criteria for o in c.options}
    yield [csv_safe(v) for v in (
        _("ID"), _("Name"), _("Email"), _("Status"), _("Source"), _("Invited"), _("Language"),
        _("Applied at (UTC)"), _("Confirmed at (UTC)"), *(c.label for c in criteria))]

    answer_cols = [c.id for c in criteria]
    answers = ApplicationAnswer.__table__
    stmt = (
        sa.select(Application.id, Application.name, Application.email, Application.status,
                  Application.source, _invited().label("invited"), Application.language,
                  Application.created_at, Application.confirmed_at)
        .where(Application.event_id == event.id)
        .order_by(Application.id)
        .execution_options(yield_per=batch)
    )
    # The answers of each batch are read with one query over the batch's id range.
    answer_stmt = (
        sa.select(answers.c.application_id, answers.c.criterion_id, answers.c.option_id)
        .join(Application.__table__, Application.__table__.c.id == answers.c.application_id)
        .where(Application.__table__.c.event_id == event.id)
        .order_by(answers.c.application_id)
    )
    status_labels = {k: str(v) for k, v in STATUS_LABELS.items()}
    source_labels = {k: str(v) for k, v in SOURCE_LABELS.items()}
    yes_no = {True: _("yes"), False: _("no")}
    result = db.session.execute(stmt)
    for partition in result.partitions():
        ids = [row.id for row in partition]
        pending = _answers_for(answer_stmt, ids[0], ids[-1])
        for row in partition:
            chosen = pending.get(row.id, {})
            yield [csv_safe(v) for v in (
                row.id, row.name or "", row.email or "", status_labels.get(row.status, row.status),
                source_labels.get(row.source, row.source), yes_no[bool(row.invited)], row.language,
                format_moment(row.created_at),
                format_moment(row.confirmed_at),
                *(labels.get(chosen.get(cid), "") for cid in answer_cols))]


def _answers_for(answer_stmt, first_id: int, last_id: int) -> dict[int, dict[int, int]]:
    answers = ApplicationAnswer.__table__
    rows = db.session.execute(
        answer_stmt.where(answers.c.application_id.between(first_id, last_id))
    ).all()
    by_application: dict[int, dict[int, int]] = {}
    for application_id, criterion_id, option_id in rows:
        by_application.setdefault(application_id, {})[criterion_id] = option_id
    return by_application
