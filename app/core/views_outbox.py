"""Admin page of the mail outbox: unsent mail, errors, "send now".

With ``OUTBOX_SHOWS_MAIL`` (development) it also lists recent mail and shows each mail's
text with clickable links and its attachments, so a newcomer can confirm a test
application without an SMTP server. Off in production unless switched on explicitly.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import ngettext

from app.core import bp, mail
from app.core.access import staff_required
from app.core.models import OutboxAttachment, OutboxMail
from app.extensions import db

#: Unsent mails listed on the page (the count above covers all of them).
LISTED = 200
#: Recent mails (sent or not) listed when the outbox shows mail.
RECENT = 50


def _shows_mail() -> bool:
    return bool(current_app.config.get("OUTBOX_SHOWS_MAIL"))


@bp.route("/manage/outbox")
@staff_required("admin")
def outbox():
    unsent = db.session.execute(
        sa.select(OutboxMail).where(OutboxMail.sent_at.is_(None))
        .order_by(OutboxMail.created_at).limit(LISTED)
    ).scalars().all()
    recent = []
    if _shows_mail():
        recent = db.session.execute(
            sa.select(OutboxMail).order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()).limit(RECENT)
        ).scalars().all()
    return render_template("core/outbox.html", unsent=unsent, recent=recent, shows_mail=_shows_mail(),
                           smtp_configured=mail.smtp_configured(), summary=mail.outbox_summary())


def _get_mail_or_404(mail_id: int) -> OutboxMail:
    entry = db.session.get(OutboxMail, mail_id) if _shows_mail() else None
    if entry is None:
        abort(404)
    return entry


@bp.route("/manage/outbox/<int:mail_id>")
@staff_required("admin")
def outbox_mail(mail_id: int):
    return render_template("core/outbox_mail.html", entry=_get_mail_or_404(mail_id))


@bp.route("/manage/outbox/<int:mail_id>/attachments/<int:attachment_id>")
@staff_required("admin")
def outbox_attachment(mail_id: int, attachment_id: int):
    entry = _get_mail_or_404(mail_id)
    attachment = db.session.get(OutboxAttachment, attachment_id)
    if attachment is None or attachment.mail_id != entry.id:
        abort(404)
    inline = attachment.content_type == "image/png"
    response = current_app.response_class(attachment.data, mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = (
        f'{"inline" if inline else "attachment"}; filename="{attachment.filename}"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/manage/outbox/send", methods=["POST"])
@staff_required("admin")
def outbox_send_now():
    mail.retry_now()
    result = mail.send_pending(limit=500)
    if result.failed:
        flash(ngettext("%(num)d mail sent.", "%(num)d mails sent.", result.sent) + " "
              + ngettext("%(num)d mail failed and will be retried.", "%(num)d mails failed and will be retried.",
                         result.failed), "error")
    else:
        flash(ngettext("%(num)d mail sent.", "%(num)d mails sent.", result.sent), "success")
    return redirect(url_for("core.outbox"))
