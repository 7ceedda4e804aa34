"""The lottery's mails to applicants, queued in the applicant's language (plain text and HTML)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.mail import queue_templated_mail
from app.core.urls import absolute_url
from app.events.calendar import event_attachments
from app.events.models import Application
from app.lottery.models import LotteryEntry
from app.lottery.number import number_verifiable
from app.lottery.seat_tokens import seat_token


#: Mails that offer a seat: they name date and place and carry the event's calendar file.
SEAT_OFFERS = ("selected", "admitted")


def queue_mail(application: Application, kind: str, entry: LotteryEntry | None = None, **context) -> None:
    """Queue the lottery mail ``kind`` in the applicant's language (plain text and HTML)."""
    event = application.event
    context.update(application=application, event=event, entry=entry,
                   lottery_url=absolute_url("lottery.public_lottery", event_id=event.id))
    context.setdefault("verifiable", True)
    if entry is not None:
        context["seat_url"] = absolute_url("lottery.seat", token=seat_token(entry))
        context["receipt_url"] = absolute_url("lottery.receipt", token=seat_token(entry))
        # Server-drawn numbers are marked "not publicly verifiable" in every mail that names the draw.
        context["verifiable"] = number_verifiable(entry.draw)
    subjects = {
        "committed": _l("Your entry in the lottery: %(title)s", title=event.title),
        "selected": _l("You have been drawn: %(title)s", title=event.title),
        "admitted": _l("A seat has become free for you: %(title)s", title=event.title),
        "waitlisted": _l("You are on the waiting list: %(title)s", title=event.title),
        "not_selected": _l("The seats have been drawn: %(title)s", title=event.title),
        "expired": _l("Your seat has lapsed: %(title)s", title=event.title),
        "redraw": _l("The lottery will be repeated: %(title)s", title=event.title),
        "objection_answer": _l("Answer to your objection: %(title)s", title=event.title),
    }
    attachments = event_attachments(event) if kind in SEAT_OFFERS else []
    queue_templated_mail(application.email, application.language, subjects[kind], f"lottery/mail/{kind}",
                         context, attachments=attachments)
