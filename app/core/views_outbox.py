"""Admin page of the mail outbox: unsent mail, errors, "send now"."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.core import bp, mail
from app.core.access import staff_required
from app.core.models import OutboxMail
from app.extensions import db

#: Unsent mails listed on the page (the count above covers all of them).
LISTED = 200


@bp.route("/manage/outbox")
@staff_required("admin")
def outbox():
    unsent = db.session.execute(
        sa.select(OutboxMail).where(OutboxMail.sent_at.is_(None))
        .order_by(OutboxMail.created_at).limit(LISTED)
    ).scalars().all()
    return render_template("core/outbox.html", unsent=unsent, summary=mail.outbox_summary())


@bp.route("/manage/outbox/send", methods=["POST"])
@staff_required("admin")
def outbox_send_now():
    mail.retry_now()
    result = mail.send_pending(limit=500)
    if result.failed:
        flash(_("%(sent)d mails sent, %(failed)d failed; they will be retried.",
                sent=result.sent, failed=result.failed), "error")
    else:
        flash(_("%(sent)d mails sent.", sent=result.sent), "success")
    return redirect(url_for("core.outbox"))
