"""Domain rules of applications: apply, confirm by mail, correct, withdraw, staff entries, export.

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
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from app.audit.services import log_action
from app.core.domain import DomainError
from app.core.formatting import format_moment
from app.core.labels import register_labels
from app.core.mail import queue_templated_mail
from app.core.models import utcnow
from app.core.text import clean_text, normalise_email
from app.core.urls import absolute_url
from app.events import application_status
from app.events.application_status import WITHDRAWABLE
from app.events.calendar import event_attachments
from app.events.models import (
    Application,
    ApplicationAnswer,
    ApplicationStatus,
    Criterion,
    Event,
    EventStatus,
)
from app.extensions import db

NAME_MAX = 200
EMAIL_MAX = 254
CONFIRM_SALT = "ideenmarkt.application-confirm"
REMINDER_SALT = "ideenmarkt.application-reminder"
LANGUAGES = ("de", "en")

#: Statuses in which the applicant may still correct the answers (while the window is open).
EDITABLE = (ApplicationStatus.UNCONFIRMED.value, ApplicationStatus.APPLIED.value)
#: Event statuses in which an application can still be confirmed by mail (before the draw).
CONFIRMABLE_EVENT = (EventStatus.OPEN.value, EventStatus.CLOSED.value)
#: Event statuses in which staff may add an application received by phone or on paper.
STAFF_ADDABLE_EVENT = (EventStatus.DRAFT.value, EventStatus.OPEN.value, EventStatus.CLOSED.value)

STATUS_LABELS = register_labels("application.status", {
    "unconfirmed": _l("Email not yet confirmed"),
    "applied": _l("Applied (confirmed)"),
    "selected": _l("Selected"),
    "waitlisted": _l("On the waiting list"),
    "not_selected": _l("Not selected"),
    "confirmed": _l("Participation confirmed"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
})
SOURCE_LABELS = register_labels("application.source",
                                {"online": _l("online"), "phone": _l("by phone"), "paper": _l("on paper")})


class ApplicationError(DomainError):
    """A domain rule refused the operation. ``code`` is stable; ``message`` is translatable;
    ``field`` the form field the problem belongs to, if any."""

    def __init__(self, message, code: str, field: str | None = None):
        super().__init__(code, message, field)

    def __str__(self) -> str:
        return self.code


@dataclass
class ApplicationData:
    """What a resident (or staff on their behalf) enters."""

    name: str = ""
    email: str = ""
    #: criterion id → option id
    answers: Mapping[int, int] = field(default_factory=dict)
    consent: bool = False
    language: str = "de"
    #: Explicit opt-in to mails about the measures that take up the event's ideas.
    notify_measures: bool = False


# ------------------------------------------------------------------ helpers


def window_is_open(event: Event, now: datetime | None = None) -> bool:
    """True while residents may apply: status open and opens ≤ now < closes."""
    now = now or utcnow()
    return (
        event.status == EventStatus.OPEN.value
        and event.applications_open_at is not None
        and event.applications_close_at is not None
        and event.applications_open_at <= now < event.applications_close_at
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A manage-link token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def reminder_token(application: Application) -> str:
    """The manage token of reminder mails: ``<id>.<HMAC>``, derived, so every reminder carries
    the same link and the first mail's link stays valid. It dies with the stored hash (erasure)."""
    message = f"{REMINDER_SALT}:{application.id}:{application.token_hash}".encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return f"{application.id}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def find_by_token(token: str) -> Application | None:
    """The application of a manage token: the random one of the first mail or a reminder's."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    id_part, dot, _mac = token.partition(".")
    if dot:
        if not (id_part.isascii() and id_part.isdigit()) or len(id_part) > 18:
            return None
        application = db.session.get(Application, int(id_part))
        if application is None or not hmac.compare_digest(reminder_token(application), token):
            return None
        return application
    return db.session.execute(
        sa.select(Application).where(Application.token_hash == hash_token(token))
    ).scalar_one_or_none()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirmation_signature(application: Application) -> str:
    return _serializer().dumps(application.id)


def clean_name(value: str | None) -> str:
    name = clean_text(value if isinstance(value, str) else "")
    if not name:
        raise ApplicationError(_l("Please enter your name."), "name_missing", "name")
    if len(name) > NAME_MAX:
        raise ApplicationError(
            lazy_ngettext("The name is too long (at most %(num)d character).",
                          "The name is too long (at most %(num)d characters).", NAME_MAX), "name_too_long", "name")
    return name


def clean_email(value: str | None) -> str:
    """Validate an address (syntax only, no DNS) and normalise it: trimmed, lower-case, ASCII domain."""
    raw = value if isinstance(value, str) else ""
    raw = raw.strip()
    if not raw:
        raise ApplicationError(_l("Please enter your email address."), "email_missing", "email")
    if len(raw) > EMAIL_MAX or any(not ch.isprintable() for ch in raw):
        raise ApplicationError(_l("Please enter a valid email address."), "email_invalid", "email")
    try:
        checked = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
    except (EmailNotValidError, ValueError, UnicodeError):
        raise ApplicationError(_l("Please enter a valid email address."), "email_invalid", "email") from None
    email = normalise_email(checked.ascii_email or checked.normalized)
    if len(email) > EMAIL_MAX:
        raise ApplicationError(_l("Please enter a valid email address."), "email_invalid", "email")
    return email


def clean_answers(event: Event, answers: Mapping) -> dict[int, int]:
    """Exactly one option per criterion of this event; options of other criteria are refused."""
    result: dict[int, int] = {}
    for criterion in event.criteria:
        raw = answers.get(criterion.id)
        try:
            option_id = int(raw) if raw is not None and raw != "" else None
        except (TypeError, ValueError):
            option_id = None
        if option_id is None and raw not in (None, ""):
            raise ApplicationError(
                _l("Please choose one of the answers for “%(label)s”.", label=criterion.label),
                "answer_invalid", f"criterion_{criterion.id}")
        if option_id is None:
            raise ApplicationError(
                _l("Please answer “%(label)s”.", label=criterion.label),
                "answer_missing", f"criterion_{criterion.id}")
        if option_id not in {o.id for o in criterion.options}:
            raise ApplicationError(
                _l("Please choose one of the answers for “%(label)s”.", label=criterion.label),
                "answer_invalid", f"criterion_{criterion.id}")
        result[criterion.id] = option_id
    return result


def _language(value: str | None) -> str:
    return value if value in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "de")


def _set_answers(application: Application, answers: dict[int, int]) -> None:
    existing = {a.criterion_id: a for a in application.answers}
    for criterion_id, option_id in answers.items():
        if criterion_id in existing:
            existing[criterion_id].option_id = option_id
        else:
            application.answers.append(ApplicationAnswer(criterion_id=criterion_id, option_id=option_id))


# ------------------------------------------------------------------ mail


def _send(application: Application, kind: str, token: str) -> None:
    """Queue the mail ``kind`` (confirm / already / added) in the applicant's language."""
    if not application.email:
        return
    manage_url = absolute_url("events.manage_application", token=token)
    confirm_url = None
    if application.status == ApplicationStatus.UNCONFIRMED.value:
        confirm_url = absolute_url("events.confirm_application", token=token,
                                signature=confirmation_signature(application))
    context = {
        "application": application, "event": application.event, "manage_url": manage_url,
        "confirm_url": confirm_url, "hours": current_app.config["APPLICATION_CONFIRM_HOURS"],
        "status_label": STATUS_LABELS.get(application.status, application.status),
    }
    subjects = {
        "confirm": _l("Please confirm your application: %(title)s", title=application.event.title),
        "already": _l("Your application: %(title)s", title=application.event.title),
        "added": _l("Your application: %(title)s", title=application.event.title),
        "withdrawn": _l("Application withdrawn: %(title)s", title=application.event.title),
    }
    attachments = event_attachments(application.event) if kind != "withdrawn" else []
    queue_templated_mail(application.email, application.language, subjects[kind],
                         f"events/mail/application_{kind}", context, attachments=attachments)


# ------------------------------------------------------------------ residents


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
    :raises ApplicationError: window closed, missing consent, invalid field.
    """
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
    _send(application, "confirm", token)
    return application


def _insert(event: Event, name: str, email: str | None, answers: dict[int, int], language: str | None,
            **fields) -> tuple[Application, str]:
    """Add a new application inside a SAVEPOINT, so a unique-constraint violation (the same
    email applying in parallel) rolls back only this insert. Returns it and its raw token.

    :raises IntegrityError: the email has applied to this event meanwhile.
    """
    token = new_token()
    application = Application(event_id=event.id, name=name, email=email, language=_language(language),
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
        _send(existing, kind, reminder_token(existing))
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


def check_confirmation_link(token: str, signature: str) -> Application:
    """The application a confirmation link belongs to, if the link is genuine and not expired.

    :raises ApplicationError: ``not_found``, ``link_invalid``, ``link_expired``.
    """
    application = find_by_token(token)
    if application is None:
        raise ApplicationError(_l("This link is not valid."), "not_found")
    max_age = int(current_app.config["APPLICATION_CONFIRM_HOURS"]) * 3600
    try:
        application_id = _serializer().loads(signature, max_age=max_age)
    except SignatureExpired:
        raise ApplicationError(
            _l("This confirmation link has expired. Apply again with the same email address "
               "and you will receive a new link."), "link_expired") from None
    except BadSignature:
        raise ApplicationError(_l("This link is not valid."), "link_invalid") from None
    if application_id != application.id:
        raise ApplicationError(_l("This link is not valid."), "link_invalid")
    return application


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
        _send(application, "withdrawn", token)
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
    _send(application, "added", token)
    log_action("application.add", application,
               after={"source": source, "status": application.status, "with_email": bool(email)})
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


# ------------------------------------------------------------------ counts, list, export


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


def search_query(event: Event, term: str = "", needs_call: bool = False):
    """The staff list: newest first, optionally filtered by a name or email fragment, or to those
    who need a call."""
    stmt = sa.select(Application).where(Application.event_id == event.id)
    if needs_call:
        stmt = stmt.where(_needs_call())
    term = clean_text(term)[:100]
    if term:
        like = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.or_(sa.func.lower(Application.name).like(like, escape="\\"),
                                 Application.email.like(like, escape="\\")))
    return stmt.order_by(Application.created_at.desc(), Application.id.desc())


#: Cells starting with these are formulas in Excel/LibreOffice; prefixed with ' on export.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


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
        _("ID"), _("Name"), _("Email"), _("Status"), _("Source"), _("Language"),
        _("Applied at (UTC)"), _("Confirmed at (UTC)"), *(c.label for c in criteria))]

    answer_cols = [c.id for c in criteria]
    answers = ApplicationAnswer.__table__
    stmt = (
        sa.select(Application.id, Application.name, Application.email, Application.status,
                  Application.source, Application.language, Application.created_at,
                  Application.confirmed_at)
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
    result = db.session.execute(stmt)
    for partition in result.partitions():
        ids = [row.id for row in partition]
        pending = _answers_for(answer_stmt, ids[0], ids[-1])
        for row in partition:
            chosen = pending.get(row.id, {})
            yield [csv_safe(v) for v in (
                row.id, row.name or "", row.email or "", status_labels.get(row.status, row.status),
                source_labels.get(row.source, row.source), row.language,
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
