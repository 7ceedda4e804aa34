"""The events' part of the staff start page (:mod:`app.core.start`): for admins, every event with its
next step in the status life cycle (the lottery adds the steps between closing and holding)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.core.formatting import format_moment
from app.core.models import utcnow
from app.core.start import NextStep
from app.events.models import Application, ApplicationStatus, Event, EventStatus
from app.extensions import db


def start_steps(user) -> list[NextStep]:
    if not user.has_role("admin"):
        return []
    events = db.session.execute(sa.select(Event)).scalars().all()
    applications = dict(db.session.execute(
        sa.select(Application.event_id, sa.func.count())
        .where(Application.status != ApplicationStatus.WITHDRAWN.value).group_by(Application.event_id)).all())
    now = utcnow()
    steps = []
    for event in events:
        manage = url_for("events.manage_event", event_id=event.id)
        step = None
        if event.status == EventStatus.DRAFT.value:
            step = (_("In preparation: complete the details and criteria, then open the applications."),
                    manage, _("Prepare the event"))
        elif event.status == EventStatus.OPEN.value:
            count = applications.get(event.id, 0)
            text = ngettext("The application period is open: %(num)d application so far.",
                            "The application period is open: %(num)d applications so far.", count)
            if event.applications_close_at:
                text += " " + _("It ends on %(date)s.", date=format_moment(event.applications_close_at, "long"))
            step = (text, url_for("events.application_summary", event_id=event.id), _("See the applications"))
        elif event.status == EventStatus.DRAWN.value and event.starts_at and event.starts_at <= now:
            step = (_("The event has begun: mark it as held once it is over."), manage, _("Event page"))
        elif event.status == EventStatus.HELD.value:
            step = (_("The event has been held: publish the results once voting is closed."), manage,
                    _("Publish the results"))
        elif event.status == EventStatus.PUBLISHED.value:
            step = (_("The results are published."), manage, _("Event page"))
        if step is not None:
            steps.append(NextStep(event.id, event.title, event.starts_at, *step, order=10))
    return steps
