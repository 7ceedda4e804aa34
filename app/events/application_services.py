"""Domain rules of applications: apply, confirm by mail, correct, withdraw, staff entries.

Functions flush; the calling view commits once. Every mail goes through the
outbox (:func:`app.core.mail.queue_mail`) in the same transaction, so an
application and its mail are stored together or not at all.

The manage link carries a random token (256 bits); only its SHA-256 is stored.
Applying again with the same email never replaces it: the reminder mail carries a
second, derived link (:func:`reminder_token`, an HMAC under ``SECRET_KEY`` over the
application id and the stored hash), the same in every reminder, so the links of
all mails keep working; at most one reminder goes out per application within
``APPLICATION_REMINDER_HOURS``. The confirmation link adds a signature
(itsdangerous, salted, valid ``APPLICATION_CONFIRM_HOURS``) over the application
id, so an expired confirmation link can be renewed by applying again.

The parts live beside this module and are re-exported here for the callers:
:mod:`~app.events.application_input` (labels, error, data, cleaning),
:mod:`~app.events.application_tokens` (manage, reminder and confirmation links),
:mod:`~app.events.application_mail` (the mails), :mod:`~app.events.application_lists`
(counts, the staff list, the CSV export) and :mod:`~app.events.application_status`
(the status machine).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.audit.services import log_action
from app.core.models import utcnow
from app.events import application_status
from app.events.application_input import (
    EMAIL_MAX, LANGUAGES, NAME_MAX, SOURCE_LABELS, STATUS_LABELS, ApplicationData, ApplicationError, clean_answers,
    clean_email, clean_name, clean_phone, language,
)
from app.events.application_lists import (
    FORMULA_START, ORIGINS, count_needing_call, counts_by_option, counts_by_status, csv_safe, export_rows,
    has_invitations, invited_ids, search_query,
)
from app.events.application_mail import send_application_mail
from app.events.application_status import WITHDRAWABLE
from app.events.application_tokens import (
    CONFIRM_SALT, REMINDER_SALT, check_confirmation_link, confirmation_signature, find_by_token, hash_token,
    new_token, reminder_token,
)
from app.events.models import Application, ApplicationAnswer, ApplicationStatus, Event, EventStatus
from app.extensions import db

__all__ = [
    "CONFIRMABLE_EVENT", "CONFIRM_SALT", "EDITABLE", "EMAIL_MAX", "FORMULA_START", "LANGUAGES", "NAME_MAX", "ORIGINS",
    "REMINDER_SALT", "SOURCE_LABELS", "STAFF_ADDABLE_EVENT", "STATUS_LABELS", "ApplicationData",
    "ApplicationError", "add_by_staff", "add_invited", "can_edit", "can_withdraw", "check_confirmation_link", "clean_answers",
    "clean_email", "clean_name", "clean_phone", "confirm_application", "confirmation_signature", "count_needing_call",
    "counts_by_option", "counts_by_status", "csv_safe", "export_rows", "find_by_token", "has_invitations", "hash_token", "invited_ids",
    "log_export", "new_token", "reminder_token", "remove", "search_query", "submit_application",
    "update_answers", "window_is_open", "withdraw",
]

#: Statuses in which the applicant may still correct the answers (while the window is open).
EDITABLE = (ApplicationStatus.UNCONFIRMED.value, ApplicationStatus.APPLIED.value)
#: Event statuses in which an application can still be confirmed by mail (before the draw).
CONFIRMABLE_EVENT = (EventStatus.OPEN.value, EventStatus.CLOSED.value)
#: Event statuses in which staff may add an application received by phone or on paper.
STAFF_ADDABLE_EVENT = (EventStatus.DRAFT.value, EventStatus.OPEN.value, EventStatus.CLOSED.value)


def window_is_open(event: Event, now: datetime | None = None) -> bool:
    """True while residents may apply: status open and opens ≤ now < closes."""
    now = now or utcnow()
    return (
        event.status == EventStatus.OPEN.value
        and event.applications_open_at is not None
        and event.applications_close_at is not None
        and event.applications_open_at <= now < event.applications_close_at
    )


def _set_answers(application: Application, answers: dict[int, int]) -> None:
    existing = {a.criterion_id: a for a in application.answers}
    for criterion_id, option_id in answers.items():
        if criterion_id in existing:
            existing[criterion_id].option_id = option_id
        else:
            application.answers.append(ApplicationAnswer(criterion_id=criterion_id, option_id=option_id))



def submit_application(event: Event, data: ApplicationData) -> Application:
    """A resident applies online.

    A new application starts ``unconfirmed`` and a confirmation mail is queued.
    If the email has applied to this event before, nothing of the stored
    application changes and every link mailed before keeps working; unless a
    reminder went out within ``APPLICATION_REMINDER_HOURS``, a reminder with the
    manage link (and, if still unconfirmed, a fresh confirmation link) goes to
    that address. The caller answers both cases identically, so the page never
    tells whether an email has applied.

    :return: the new or the existing application.
    :raises ApplicationError: invitation only (``invitation_only``), window closed, missing consent, invalid field.
    """
    if event.invitation_only:
        raise ApplicationError(_l("This event is by invitation only: please answer with the personal code from "
                                  "your letter."), "invitation_only")
    if not window_is_open(event):
        raise ApplicationError(_l("Applications for this event are not open."), "window_closed")
    name = clean_name(data.name)
    email = clean_email(data.email)
    answers = clean_answers(event, data.answers)
    if data.consent is not True:
        raise ApplicationError(_l("Please agree to the processing of your data."), "consent_missing", "consent")

    existing = _find(event, email)
    if existing is not None:
        return _answer_duplicate(existing)

    try:
        application, token = _insert(event, name, email, answers, data.language, source="online",
                                     status=ApplicationStatus.UNCONFIRMED.value,
                                     notify_measures=data.notify_measures is True)
    except IntegrityError:
        # A parallel request with the same email won the race: answer as for any duplicate.
        existing = _find(event, email)
        if existing is None:
            raise
        return _answer_duplicate(existing)
    send_application_mail(application, "confirm", token)
    return application


def _insert(event: Event, name: str, email: str | None, answers: dict[int, int], language_choice: str | None,
            **fields) -> tuple[Application, str]:
    """Add a new application inside a SAVEPOINT, so a unique-constraint violation (the same
    email applying in parallel) rolls back only this insert. Returns it and its raw token.

    :raises IntegrityError: the email has applied to this event meanwhile.
    """
    token = new_token()
    application = Application(event_id=event.id, name=name, email=email, language=language(language_choice),
                              token_hash=hash_token(token), consent_at=utcnow(), **fields)
    application.event = event
    _set_answers(application, answers)
    with db.session.begin_nested():
        db.session.add(application)
        db.session.flush()
    return application, token


def _find(event: Event, email: str) -> Application | None:
    return db.session.execute(
        sa.select(Application).where(Application.event_id == event.id, Application.email == email)
    ).scalar_one_or_none()


def _answer_duplicate(existing: Application) -> Application:
    if _claim_reminder(existing):
        kind = "confirm" if existing.status == ApplicationStatus.UNCONFIRMED.value else "already"
        send_application_mail(existing, kind, reminder_token(existing))
    return existing


def _claim_reminder(application: Application) -> bool:
    """True for the one request that may send the reminder now: a single conditional UPDATE,
    so of many parallel duplicates only one finds the row still unclaimed (PostgreSQL's row
    lock makes the others re-check after it commits; SQLite serialises the writers)."""
    now = utcnow()
    cutoff = now - timedelta(hours=int(current_app.config["APPLICATION_REMINDER_HOURS"]))
    table = Application.__table__
    result = db.session.execute(
        sa.update(table)
        .where(table.c.id == application.id,
               sa.or_(table.c.reminded_at.is_(None), table.c.reminded_at <= cutoff))
        .values(reminded_at=now, updated_at=table.c.updated_at)
    )
    return result.rowcount == 1


def confirm_application(token: str, signature: str) -> Application:
    """The applicant confirmed with the link from the mail: ``unconfirmed`` → ``applied``.

    Confirming twice is harmless (the application stays as it is).

    :raises ApplicationError: ``not_found``, ``link_invalid``, ``link_expired``, ``too_late``.
    """
    application = check_confirmation_link(token, signature)
    if application.status != ApplicationStatus.UNCONFIRMED.value:
        return application
    if application.event.status not in CONFIRMABLE_EVENT:
        raise ApplicationError(
            _l("The seats of this event have already been drawn; the application can no longer be confirmed."),
            "too_late")
    application.confirmed_at = utcnow()
    application_status.move(application, "confirm_email")
    db.session.flush()
    return application


def can_edit(application: Application) -> bool:
    return application.status in EDITABLE and window_is_open(application.event)


def can_withdraw(application: Application) -> bool:
    return (application.status in WITHDRAWABLE
            and application.event.status not in (EventStatus.HELD.value, EventStatus.PUBLISHED.value))


def update_answers(application: Application, name: str, answers: Mapping) -> Application:
    """The applicant corrects name and answers (not the email) while the window is open.

    :raises ApplicationError: ``not_editable`` after the window closed or once drawn or withdrawn.
    """
    if not can_edit(application):
        raise ApplicationError(
            _l("The application can no longer be changed: the application period has ended."),
            "not_editable")
    application.name = clean_name(name)
    _set_answers(application, clean_answers(application.event, answers))
    application.updated_at = utcnow()
    db.session.flush()
    return application


def withdraw(application: Application, token: str | None = None) -> Application:
    """The applicant withdraws; the status becomes ``withdrawn``.

    :param token: the manage token the applicant used; with it a confirmation mail
        (carrying the same, still valid link) is queued.
    :raises ApplicationError: ``not_withdrawable`` (already withdrawn, declined, or the event is over).
    """
    if not can_withdraw(application):
        raise ApplicationError(_l("This application cannot be withdrawn."), "not_withdrawable")
    application.updated_at = utcnow()
    application_status.move(application, "withdraw")  # the seat is given back (seat_released: the ticket too)
    if token and application.email:
        send_application_mail(application, "withdrawn", token)
    return application


# ------------------------------------------------------------------ staff


def add_by_staff(event: Event, data: ApplicationData, staff_user, source: str) -> Application:
    """Staff enter an application received by phone or on paper.

    Staff have checked who applied and recorded the consent, so the application
    starts as ``applied`` (no confirmation mail needed). The email is optional;
    if given, the applicant receives a mail with the manage link.

    :raises ApplicationError: ``source_invalid``, ``event_closed``, ``consent_missing``,
        ``duplicate`` (this email has applied already), invalid fields.
    """
    if source not in ("phone", "paper"):
        raise ApplicationError(_l("Choose how the application was received."), "source_invalid", "source")
    if event.status not in STAFF_ADDABLE_EVENT:
        raise ApplicationError(
            _l("The seats of this event have been drawn; no applications can be added."), "event_closed")
    name = clean_name(data.name)
    email = clean_email(data.email) if (data.email or "").strip() else None
    answers = clean_answers(event, data.answers)
    if data.consent is not True:
        raise ApplicationError(
            _l("Record the applicant's consent to the processing of their data."), "consent_missing", "consent")
    if email and _find(event, email) is not None:
        raise ApplicationError(_l("This email address has already applied for this event."), "duplicate", "email")
    try:
        application, token = _insert(event, name, email, answers, data.language, source=source,
                                     status=ApplicationStatus.APPLIED.value,
                                     consent_recorded_by_id=staff_user.id, confirmed_at=utcnow())
    except IntegrityError:
        raise ApplicationError(
            _l("This email address has already applied for this event."), "duplicate", "email") from None
    send_application_mail(application, "added", token)
    log_action("application.add", application,
               after={"source": source, "status": application.status, "with_email": bool(email)})
    return application


def add_invited(event: Event, *, name: str, email: str | None, phone: str | None, answers: Mapping,
                language_choice: str | None, source: str = "online", staff_user=None) -> Application:
    """An invitee of the register draw answers (app/invitations; the invitation then points to it).

    The personal code proved who answers (or staff took the answer on paper or by phone and recorded
    the consent), so the application starts as ``applied``. The name comes from the register. An
    email or a phone number is needed, either will do; with an email the invitee gets the manage link.

    :raises ApplicationError: ``source_invalid``, ``event_closed``, ``contact_missing``, ``duplicate``,
        invalid fields.
    """
    if source not in ("online", "phone", "paper"):
        raise ApplicationError(_l("Choose how the application was received."), "source_invalid", "source")
    if event.status not in STAFF_ADDABLE_EVENT:
        raise ApplicationError(
            _l("The seats of this event have been drawn; no applications can be added."), "event_closed")
    email = clean_email(email) if (email or "").strip() else None
    phone = clean_phone(phone) if (phone or "").strip() else None
    if email is None and phone is None:
        raise ApplicationError(_l("Please enter an email address or a phone number, so that we can reach you."),
                               "contact_missing", "email")
    cleaned = clean_answers(event, answers)
    if email and _find(event, email) is not None:
        raise ApplicationError(_l("This email address has already applied for this event."), "duplicate", "email")
    staff = {"consent_recorded_by_id": staff_user.id} if staff_user is not None else {}
    try:
        application, token = _insert(event, clean_name(name), email, cleaned, language_choice, source=source,
                                     status=ApplicationStatus.APPLIED.value, confirmed_at=utcnow(), phone=phone,
                                     **staff)
    except IntegrityError:
        raise ApplicationError(
            _l("This email address has already applied for this event."), "duplicate", "email") from None
    send_application_mail(application, "added", token)
    if staff_user is not None:
        log_action("application.add", application,
                   after={"source": source, "status": application.status, "with_email": bool(email),
                          "invited": True})
    return application


def remove(application: Application) -> None:
    """Delete an application with its answers (staff); its ticket, if any, is revoked and kept."""
    application_status.release_seat(application, "removed")  # its ticket stops working (seat_released)
    log_action("application.remove", application, before={"status": application.status, "source": application.source})
    db.session.delete(application)
    db.session.flush()


def log_export(event: Event) -> None:
    """Record that staff exported the applications (personal data) of ``event``."""
    log_action("application.export", event, detail="applications CSV")
