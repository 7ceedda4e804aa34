"""Personal data of the core: mails in the outbox (addressed to a person, often greeting them by
name) and the client addresses in the rate-limit counters (issue 23, item 6; orchestrated by
app/privacy, which calls :func:`mails_to` on an erasure)."""
from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, current_app

from app.core.models import OutboxAttachment, OutboxMail, RateLimitCounter
from app.core.personal import Cover
from app.extensions import db

_MAIL_ERASE = ("deleted with the applicant's erasure or purge (unless the address still has a live "
               "application), and every mail sent more than PRIVACY_SENT_MAIL_DAYS ago")
COVERS = {
    OutboxMail.recipient: Cover(export="mails[].to", erase=_MAIL_ERASE),
    OutboxMail.subject: Cover(export="mails[].subject", erase=_MAIL_ERASE),
    OutboxMail.body_text: Cover(export="mails[].text", erase=_MAIL_ERASE),
    OutboxMail.body_html: Cover(export="mails[].text (the same mail as plain text)", erase=_MAIL_ERASE),
    OutboxAttachment.data: Cover(export="not exported: the event's calendar file and the ticket's QR code, "
                                        "both in the mail's text as well",
                                 erase="deleted with its mail"),
    RateLimitCounter.key: Cover(export="not exported: a client address or an email typed, linked to no "
                                       "application",
                                erase="expired counters are deleted by the purge"),
}


def mails_to(emails: Iterable[str], still_used: Iterable[str] = ()) -> list[OutboxMail]:
    """Mails to ``emails`` (lower-cased) that go with the people leaving.

    A sent mail is history and goes. An unsent one goes too, unless its address is in
    ``still_used`` (a live application elsewhere: the mail may be about that one).
    """
    emails = {e for e in emails if e}
    if not emails:
        return []
    still_used = set(still_used)
    mails = db.session.execute(
        sa.select(OutboxMail).where(sa.func.lower(OutboxMail.recipient).in_(emails)).order_by(OutboxMail.id)
    ).scalars().all()
    return [m for m in mails if m.sent_at is not None or m.recipient.lower() not in still_used]


def own_data_response(data: dict, filename: str):
    """A person's own-data file (JSON, a download that no cache keeps)."""
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def export(application) -> dict:
    """The mails to the application's address (or a participant's: anything with ``email``)."""
    mails = []
    if application.email:
        mails = db.session.execute(
            sa.select(OutboxMail).where(sa.func.lower(OutboxMail.recipient) == application.email.lower())
            .order_by(OutboxMail.id)
        ).scalars().all()
    return {"mails": [{"created_at": m.created_at.isoformat() if m.created_at else None,
                       "sent_at": m.sent_at.isoformat() if m.sent_at else None, "to": m.recipient,
                       "subject": m.subject, "text": m.body_text} for m in mails]}


def purge(plan, report):
    """Mails to the people leaving and every mail sent long ago; expired rate-limit counters."""
    mails = mails_to(plan.leaving_emails, plan.emails_still_used)
    # Any sent mail is history after a while (feedback mails carry a name and address too).
    cutoff = plan.now - timedelta(days=int(current_app.config["PRIVACY_SENT_MAIL_DAYS"]))
    known = {m.id for m in mails}
    mails += [m for m in db.session.execute(
        sa.select(OutboxMail).where(OutboxMail.sent_at.is_not(None), OutboxMail.sent_at < cutoff)
        .order_by(OutboxMail.id)).scalars() if m.id not in known]
    report.mails = [m.id for m in mails]
    wall_clock = time.time()
    report.rate_limit_counters = db.session.execute(
        sa.select(sa.func.count()).select_from(RateLimitCounter).where(RateLimitCounter.expires_at < wall_clock)
    ).scalar_one()

    def apply():
        for mail in mails:
            db.session.delete(mail)
        db.session.execute(sa.delete(RateLimitCounter).where(RateLimitCounter.expires_at < wall_clock))
    return apply
