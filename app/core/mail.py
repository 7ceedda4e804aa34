"""The mail outbox: mail is stored with the request's data and delivered afterwards.

A request that must send mail calls :func:`queue_mail`, which adds an
:class:`~app.core.models.OutboxMail` row to the current transaction (flush, no
commit). The mail therefore exists exactly when the data it talks about exists:
an application is never stored without its confirmation mail, and an SMTP
server that is down loses nothing.

Delivery (:func:`send_pending`) happens

* right after the response of a request that queued mail (a background thread,
  so the resident does not wait for SMTP),
* opportunistically after later requests, at most once every
  ``MAIL_RETRY_INTERVAL`` seconds per worker process,
* by the job workers: after every job that ends (a commitment mails every applicant) and
  every minute (due retries), so no cron job is needed where a job worker runs,
* from ``flask mail send-pending`` (cron or a systemd timer),
* from the admin page "Outbox" ("send now").

Without a ``MAIL_SERVER`` (development's default) nothing goes out by SMTP: due mail is
marked delivered and stays in the outbox, where the admin page shows its text, links and
attachments (``OUTBOX_SHOWS_MAIL``, on in development only).

Attachments (:class:`Attachment`: the event's calendar file, a ticket's QR code) are
stored with the mail (:class:`~app.core.models.OutboxAttachment`), so a retry sends the
bytes that were queued.

Log lines name the mail by its id, never its recipient (an SMTP error text that quotes
an address is redacted).

Several workers may deliver at once: each mail is *claimed* with an atomic
``UPDATE ... WHERE next_attempt_at <= now AND sent_at IS NULL`` that moves its
``next_attempt_at`` into the future (a lease); only the worker whose update hit
the row sends it. A failed attempt records the error and backs off
exponentially (``MAIL_RETRY_BASE_SECONDS`` · 2^attempts, at most
``MAIL_RETRY_MAX_SECONDS``).
"""
from __future__ import annotations

import logging
import re
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from email import charset

import click
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from flask import Flask, after_this_request, current_app, g, has_request_context, render_template, request
from flask_babel import force_locale, get_locale
from flask.cli import AppGroup
from flask_mail import Message

from app.core.i18n import content_lang_code
from app.core.models import OutboxAttachment, OutboxMail, utcnow
from app.extensions import db, mail

log = logging.getLogger(__name__)

#: How long a claimed mail is reserved for the worker that claimed it.
CLAIM_LEASE = timedelta(minutes=5)

#: Per worker process: monotonic time of the last opportunistic outbox check.
_last_opportunistic_check = 0.0


#: Anything that looks like an email address (to keep addresses out of log lines).
_ADDRESS = re.compile(r"[^\s<>\"'(),;:\[\]{}]+@[^\s<>\"'(),;:\[\]{}]+")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail."""

    filename: str
    content_type: str
    data: bytes


def queue_mail(recipient: str, subject: str, text: str, html: str | None = None,
               attachments: Iterable[Attachment] = (), languages: str | None = None) -> OutboxMail:
    """Store a mail in the outbox, in the current transaction (flushed, not committed).

    Inside a request, delivery is attempted right after the response was sent.

    :param recipient: one address.
    :param subject: the subject line (cut to 300 characters).
    :param text: the plain-text body.
    :param html: an optional HTML alternative.
    :param attachments: files sent with the mail, stored with it.
    :param languages: the ``Content-Language`` header (``en, de``), for a mail with content in another
        language than its text.
    :return: the new outbox row.
    """
    entry = OutboxMail(
        recipient=recipient,
        subject=subject.replace("\n", " ").replace("\r", " ")[:300],
        body_text=text,
        body_html=html,
        languages=languages,
        next_attempt_at=utcnow(),
        attachments=[OutboxAttachment(filename=a.filename, content_type=a.content_type, data=a.data)
                     for a in attachments],
    )
    db.session.add(entry)
    db.session.flush()
    if has_request_context() and current_app.config.get("MAIL_SEND_AFTER_REQUEST", True):
        _deliver_after_response()
    return entry


def queue_templated_mail(recipient: str, language: str | None, subject, template: str, context: dict,
                         *, localised: Callable[[], dict] | None = None,
                         attachments: Iterable[Attachment] = ()) -> OutboxMail:
    """Render a mail in the recipient's language and queue it (:func:`queue_mail`).

    :param language: the recipient's language (``de``, ``en``); None: the default.
    :param subject: a lazily translated text (``lazy_gettext``), rendered in ``language``.
    :param template: ``<template>.txt`` and ``<template>.html`` are rendered with ``context``.
    :param localised: returns more context that must be computed in ``language`` (labels, images with text).
    """
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if localised is not None:
            context = {**context, **localised()}
        subject_text = str(subject)
        text = render_template(f"{template}.txt", **context)
        html = render_template(f"{template}.html", **context)
        languages = _languages(context)
    return queue_mail(recipient, subject_text, text, html, attachments=attachments, languages=languages)


def _languages(context: dict) -> str | None:
    """The ``Content-Language`` of a mail rendered now (in the recipient's language) whose content
    (the process's, :func:`app.core.i18n.content_language`) is in another language: ``en, de``
    (WCAG 3.1.2: the HTML part marks the content, the subject and the plain text cannot), else None."""
    event = context.get("event") or getattr(context.get("application"), "event", None)
    process = context.get("process") or getattr(event, "process", None)
    content = content_lang_code(process)
    return f"{get_locale().language}, {content}" if content else None



def _use_quoted_printable() -> None:
    """Encode UTF-8 mail bodies as quoted-printable.

    Flask-Mail registers UTF-8 without a body encoding, so a long line (an inline SVG
    QR code, a long paragraph of HTML) goes out unwrapped and SMTP servers refuse it
    ("line too long", RFC 5321). Quoted-printable keeps every line under 78 characters.
    """

    charset.add_charset("utf-8", charset.SHORTEST, charset.QP, "utf-8")


_use_quoted_printable()

def _deliver_after_response() -> None:
    """Once per request: after the response is sent, deliver what is due."""
    if g.get("_outbox_delivery_scheduled"):
        return
    g._outbox_delivery_scheduled = True
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def schedule(response):
        # The view has committed by now. Deliver from a thread rather than the response's
        # close callback: servers do not call it when the client hangs up early (a browser
        # following a redirect at once), and then the mail would wait for the next retry.
        _deliver_in_background(app)
        return response


def _deliver_in_background(app: Flask) -> None:
    threading.Thread(target=_send_in_own_context, args=(app,), name="outbox-delivery", daemon=True).start()


def _send_in_own_context(app: Flask) -> None:
    """Run in a background thread: the request's context is not there, so push a fresh one."""
    try:
        with app.app_context():
            try:
                send_due(app.config.get("MAIL_BATCH_SIZE", 50))
            finally:
                db.session.remove()
    except Exception:  # never let delivery break the response or the worker
        log.exception("outbox delivery after the response failed")


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed"


def due_ids(limit: int) -> list[int]:
    now = utcnow()
    return list(
        db.session.execute(
            sa.select(OutboxMail.id)
            .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= now)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
        ).scalars()
    )


def claim(mail_id: int) -> bool:
    """Reserve one due mail for this worker; False if another worker got it (or it was sent)."""
    now = utcnow()
    table = OutboxMail.__table__
    result = db.session.execute(
        sa.update(table)
        .where(table.c.id == mail_id, table.c.sent_at.is_(None), table.c.next_attempt_at <= now)
        .values(next_attempt_at=now + CLAIM_LEASE, attempts=table.c.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones (exponential, capped)."""
    base = current_app.config.get("MAIL_RETRY_BASE_SECONDS", 60)
    cap = current_app.config.get("MAIL_RETRY_MAX_SECONDS", 6 * 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, min(attempts - 1, 20))))


def _message(entry: OutboxMail) -> Message:
    message = Message(
        subject=entry.subject,
        recipients=[entry.recipient],
        body=entry.body_text,
        html=entry.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={"Content-Language": entry.languages} if entry.languages else None,
    )
    for attachment in entry.attachments:
        message.attach(attachment.filename, attachment.content_type, attachment.data)
    return message


def smtp_configured() -> bool:
    """False when no ``MAIL_SERVER`` is set: mail then stays in the outbox (development)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send_due(batch: int = 50, max_batches: int = 40) -> DeliveryResult:
    """Deliver what is due in batches of ``batch`` until a batch is not full (at most
    ``max_batches``): a draw that queues a mail per applicant behind the commitment's receipts is
    delivered at once, not one batch now and the rest at the next opportunity."""
    total = DeliveryResult()
    for _ in range(max_batches):
        result = send_pending(limit=batch)
        total.sent += result.sent
        total.failed += result.failed
        if result.sent + result.failed < batch:
            break
    return total


def send_pending(limit: int = 100) -> DeliveryResult:
    """Deliver up to ``limit`` due mails; safe to run in several processes at once.

    Commits its own bookkeeping (it never runs inside a request's transaction).

    :return: how many mails were sent and how many failed (and wait for a retry).
    """
    result = DeliveryResult()
    ids = due_ids(limit)
    db.session.commit()
    if not ids:
        return result
    if not smtp_configured():
        return _keep_in_outbox(ids)
    connection = None
    try:
        for mail_id in ids:
            if not claim(mail_id):
                continue
            entry = db.session.get(OutboxMail, mail_id)
            if entry is None:
                continue
            try:
                if connection is None:
                    connection = mail.connect().__enter__()
                connection.send(_message(entry))
            except (smtplib.SMTPException, OSError, socket.timeout, ValueError) as exc:
                result.failed += 1
                _record_failure(entry, exc)
                if connection is not None:
                    _close(connection)
                    connection = None
                if isinstance(exc, (ConnectionError, socket.timeout, smtplib.SMTPServerDisconnected)):
                    # The server is unreachable: the rest would fail the same way.
                    break
            else:
                if _mark_sent(entry):
                    result.sent += 1
    finally:
        if connection is not None:
            _close(connection)
    return result


def _keep_in_outbox(ids: list[int]) -> DeliveryResult:
    """No SMTP server configured: the due mails count as delivered and stay readable in the outbox."""
    result = DeliveryResult()
    for mail_id in ids:
        if not claim(mail_id):
            continue
        entry = db.session.get(OutboxMail, mail_id)
        if entry is None or not _mark_sent(entry):
            continue
        result.sent += 1
        log.info("mail %s kept in the outbox (no MAIL_SERVER configured)", mail_id)
    return result


def _commit_unless_deleted(entry: OutboxMail) -> bool:
    """Commit the bookkeeping of ``entry``; False (rolled back) if the mail was deleted meanwhile,
    as a privacy erasure or purge deletes the mails to the people it erases: the rest of the batch
    goes on instead of failing with it."""
    mail_id = entry.id  # read before the commit: after a failed one the row is gone
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        log.info("mail %s was deleted while it was delivered", mail_id)
        return False
    return True


def _mark_sent(entry: OutboxMail) -> bool:
    entry.sent_at = utcnow()
    entry.last_error = None
    return _commit_unless_deleted(entry)


def redact_addresses(text: str) -> str:
    """``text`` with every email address replaced by ``<address>``."""
    return _ADDRESS.sub("<address>", text)


def _record_failure(entry: OutboxMail, exc: Exception) -> None:
    message = f"{type(exc).__name__}: {exc}"[:500]
    log.warning("mail %s not delivered (attempt %s): %s", entry.id, entry.attempts, redact_addresses(message))
    entry.last_error = message
    entry.next_attempt_at = utcnow() + backoff(entry.attempts)
    _commit_unless_deleted(entry)


def _close(connection) -> None:
    try:
        connection.__exit__(None, None, None)
    except Exception:  # noqa: BLE001 - a broken connection may fail to say QUIT
        pass


def retry_now() -> int:
    """Make every unsent mail due at once (the admin's "send now"); returns how many."""
    table = OutboxMail.__table__
    count = db.session.execute(
        sa.update(table).where(table.c.sent_at.is_(None)).values(next_attempt_at=utcnow())
    ).rowcount
    db.session.commit()
    return count


def outbox_summary() -> dict:
    """Counts for the admin page: unsent, of which failed at least once, sent in total."""
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(OutboxMail.sent_at.is_(None)),
            sa.func.count().filter(OutboxMail.sent_at.is_(None), OutboxMail.last_error.is_not(None)),
            sa.func.count().filter(OutboxMail.sent_at.is_not(None)),
        )
    ).one()
    return {"unsent": row[0], "failing": row[1], "sent": row[2]}


# ----------------------------------------------------------- opportunistic retry


def _opportunistic_delivery(response):
    """After any request, at most once per ``MAIL_RETRY_INTERVAL`` seconds per worker:
    if mail is due, deliver it after the response (waiting mail is retried without cron)."""
    global _last_opportunistic_check
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    interval = app.config.get("MAIL_RETRY_INTERVAL", 60)
    if interval is None or interval < 0 or request.endpoint is None or request.endpoint.endswith("static"):
        return response
    now = time.monotonic()
    if now - _last_opportunistic_check < interval or g.get("_outbox_delivery_scheduled"):
        return response
    _last_opportunistic_check = now
    try:
        due = db.session.execute(
            sa.select(OutboxMail.id)
            .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= utcnow())
            .limit(1)
        ).first()
    except sa.exc.SQLAlchemyError:
        return response
    if due is not None:
        g._outbox_delivery_scheduled = True
        _deliver_in_background(app)
    return response


# ------------------------------------------------------------------ CLI

mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("send-pending")
@click.option("--limit", default=500, show_default=True, help="At most this many mails per run.")
def send_pending_command(limit: int) -> None:
    """Deliver waiting mail (run it from cron or a systemd timer, e.g. every minute)."""
    result = send_pending(limit=limit)
    summary = outbox_summary()
    click.echo(f"{result}; {summary['unsent']} still waiting.")
    if result.failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(mail_cli)
    app.after_request(_opportunistic_delivery)
