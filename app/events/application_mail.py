"""The mails to an applicant (confirm, already applied, added by staff, withdrawn), through the outbox."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core.mail import queue_templated_mail
from app.core.urls import absolute_url
from app.events.application_input import STATUS_LABELS
from app.events.application_tokens import confirmation_signature
from app.events.calendar import event_attachments
from app.events.models import Application, ApplicationStatus


def send_application_mail(application: Application, kind: str, token: str) -> None:
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
