"""A ticket's link, its QR code (SVG for pages, PNG for mails) and the ticket mail."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.mail import Attachment, queue_templated_mail
from app.core.urls import absolute_url
from app.events.calendar import event_attachments
from app.voting.codes import format_code, qr_png, qr_svg
from app.voting.models import Ticket


def ticket_url(ticket: Ticket) -> str:
    """The URL in the QR code: opens the voting page with this ticket (then drops the code from the URL)."""
    return absolute_url("voting.ticket_link", event_id=ticket.event_id, code=ticket.code)


def ticket_qr(ticket: Ticket, label: str = "") -> str:
    return qr_svg(ticket_url(ticket), label)


def ticket_qr_filename(ticket: Ticket) -> str:
    return f"ticket-{format_code(ticket.code)}.png"


def send_ticket_mail(ticket: Ticket) -> None:
    """Queue the ticket mail in the participant's language: code, link, date and place, the QR
    code as a PNG attachment (mail clients strip inline SVG) and the event's calendar file."""
    application = ticket.application
    if application is None or not application.email:
        return
    context = {"ticket": ticket, "event": ticket.event, "application": application,
               "code": format_code(ticket.code), "url": ticket_url(ticket),
               "vote_url": absolute_url("voting.vote", event_id=ticket.event_id),
               "qr_filename": ticket_qr_filename(ticket)}
    qr = Attachment(context["qr_filename"], "image/png", qr_png(context["url"]))
    queue_templated_mail(application.email, application.language,
                         _l("Your ticket: %(title)s", title=ticket.event.title), "voting/mail/ticket", context,
                         localised=lambda: {"qr": ticket_qr(ticket, _("QR code of your ticket"))},
                         attachments=[qr, *event_attachments(ticket.event)])
