"""The results' part of the staff start page (:mod:`app.core.start`): for the council, the events that
have been held, with their dashboard."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from app.core.start import NextStep
from app.events.models import Event, EventStatus
from app.extensions import db


def start_steps(user) -> list[NextStep]:
    if not user.has_role("council"):
        return []
    events = db.session.execute(sa.select(Event).where(
        Event.status.in_((EventStatus.HELD.value, EventStatus.PUBLISHED.value)))).scalars().all()
    return [NextStep(event.id, event.title, event.starts_at,
                     _("The results are published.") if event.status == EventStatus.PUBLISHED.value
                     else _("The event has been held; its results are not yet published."),
                     url_for("results.event_dashboard", event_id=event.id), _("Results dashboard"), order=40)
            for event in events]
