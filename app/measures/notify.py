"""Mails to participants who asked to hear what becomes of their event's ideas.

When a measure changes status, every person who applied to an event whose ideas the
measure took up, left an email and ticked the opt-in gets one mail (one per address,
however many of their event's ideas are linked), in their language, through the outbox.
Withdrawn, unconfirmed and erased applications get nothing. Each mail carries a private
opt-out link that works without login.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from app.core.mail import queue_templated_mail
from app.core.urls import absolute_url
from app.events.models import Application, ApplicationStatus, Event, Process
from app.events.services import PUBLIC_EVENT
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.models import Idea, Stand
from app.measures.base import STATUS_LABELS, status_label
from app.measures.models import Measure, MeasureIdea, MeasureStatusChange

OPTOUT_SALT = "ideenmarkt.measures-optout"
#: Applications in these states are never mailed.
NOT_MAILED = (ApplicationStatus.WITHDRAWN.value, ApplicationStatus.UNCONFIRMED.value)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=OPTOUT_SALT)


def optout_token(application_ids: list[int]) -> str:
    """A signed, unguessable token naming the applications whose opt-in the link revokes."""
    return _serializer().dumps(sorted(application_ids))


def applications_for_token(token: str) -> list[Application]:
    """The applications an opt-out token names (empty if the token is not genuine)."""
    if not token or len(token) > 2000:
        return []
    try:
        ids = _serializer().loads(token)
    except (BadSignature, ValueError, UnicodeError):
        return []
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        return []
    return list(db.session.execute(
        sa.select(Application).where(Application.id.in_(ids[:100])).order_by(Application.id)).scalars())


def opt_out(applications: list[Application]) -> int:
    """Revoke the opt-in of ``applications``; returns how many were still opted in."""
    ids = [a.id for a in applications]
    if not ids:
        return 0
    count = db.session.execute(
        sa.update(Application).where(Application.id.in_(ids), Application.notify_measures.is_(True))
        .values(notify_measures=False).execution_options(synchronize_session="fetch")
    ).rowcount
    db.session.flush()
    return count


def event_ids_of_measure(measure: Measure) -> list[int]:
    """Events whose ideas went into ``measure``: the linked ideas' events, and the events of
    ideas merged into a linked idea (their authors' ideas live on in it). Hidden ideas and
    draft events do not count."""
    roots = merge_groups.groups(name="notify_root")
    linked_roots = (sa.select(roots.c.root_id)
                    .join(MeasureIdea, MeasureIdea.idea_id == roots.c.idea_id)
                    .join(Idea, Idea.id == roots.c.root_id)
                    .where(MeasureIdea.measure_id == measure.id, Idea.is_visible))
    group = sa.select(roots.c.idea_id).where(roots.c.root_id.in_(linked_roots))
    return list(db.session.execute(
        sa.select(sa.distinct(Stand.event_id)).join(Idea, Idea.stand_id == Stand.id)
        .join(Event, Event.id == Stand.event_id)
        .where(Idea.id.in_(group), PUBLIC_EVENT)
    ).scalars())


def recipients(measure: Measure) -> dict[str, list[Application]]:
    """Opted-in applications of the measure's events, grouped by email address."""
    event_ids = event_ids_of_measure(measure)
    if not event_ids:
        return {}
    by_email: dict[str, list[Application]] = {}
    for application in db.session.execute(
        sa.select(Application).where(
            Application.event_id.in_(event_ids), Application.notify_measures.is_(True),
            Application.email.is_not(None), Application.email != "", Application.status.not_in(NOT_MAILED),
            Application.anonymised_at.is_(None),
        ).order_by(Application.id)
    ).scalars():
        by_email.setdefault(application.email, []).append(application)
    return by_email


def queue_status_mails(measure: Measure, change: MeasureStatusChange) -> int:
    """Queue one mail per opted-in address for this status change; returns how many."""
    process = db.session.get(Process, measure.process_id)
    page_url = absolute_url("measures.outcome", process_id=measure.process_id) + f"#measure-{measure.id}"
    count = 0
    for email, applications in recipients(measure).items():
        first = applications[0]
        events = sorted({a.event.title for a in applications})
        context = {
            "process": process, "measure": measure, "change": change, "events": events,
            "page_url": page_url, "language": first.language,
            "optout_url": absolute_url("measures.optout", mail_token=optout_token([a.id for a in applications])),
        }
        subject = _l("What became of the ideas: “%(title)s” is now %(status)s", title=measure.title,
                     status=STATUS_LABELS.get(change.to_status, change.to_status))
        queue_templated_mail(email, first.language, subject, "measures/mail/status_changed", context,
                             localised=lambda: {
                                 "status": status_label(change.to_status),
                                 "old_status": status_label(change.from_status) if change.from_status else ""})
        count += 1
    return count
