"""The lottery's part of the staff start page (:mod:`app.core.start`): for admins, the events whose seats
are to be drawn, and for drawn events the seats still unanswered and the people to call."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.core.start import NextStep
from app.events.application_services import count_needing_call
from app.events.models import Application, ApplicationStatus, Event, EventStatus
from app.extensions import db


def start_steps(user) -> list[NextStep]:
    if not user.has_role("admin"):
        return []
    events = db.session.execute(sa.select(Event).where(
        Event.status.in_((EventStatus.CLOSED.value, EventStatus.DRAWN.value)), Event.seats > 0)).scalars().all()
    unanswered = dict(db.session.execute(
        sa.select(Application.event_id, sa.func.count())
        .where(Application.status == ApplicationStatus.SELECTED.value).group_by(Application.event_id)).all())
    steps = []
    for event in events:
        lottery = url_for("lottery.manage", event_id=event.id)
        if event.status == EventStatus.CLOSED.value:
            steps.append(NextStep(event.id, event.title, event.starts_at,
                                  _("The application period is closed: draw the seats."), lottery,
                                  _("Open the lottery"), order=20))
            continue
        waiting = unanswered.get(event.id, 0)
        if waiting:
            steps.append(NextStep(event.id, event.title, event.starts_at, ngettext(
                "%(num)d drawn person has not yet confirmed or declined the seat.",
                "%(num)d drawn people have not yet confirmed or declined their seats.", waiting),
                lottery, _("Open the lottery"), order=20))
        to_call = count_needing_call(event)
        if to_call:
            steps.append(NextStep(event.id, event.title, event.starts_at, ngettext(
                "%(num)d of them has no email: please call.", "%(num)d of them have no email: please call.",
                to_call), url_for("events.manage_applications", event_id=event.id, call=1),
                _("People to call"), order=21))
    return steps
