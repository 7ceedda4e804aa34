"""The stands' part of the staff start page (:mod:`app.core.start`): for moderators, the stands assigned
to them at events whose results are not yet published, with the way to record ideas."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from app.core.i18n import content
from app.core.start import NextStep
from app.events.models import EventStatus
from app.ideas import services


def start_steps(user) -> list[NextStep]:
    if not user.has_role("moderator"):
        return []
    stands = [s for s in services.stands_for(user) if any(m.id == user.id for m in s.moderators)
              and s.event.status != EventStatus.PUBLISHED.value]
    counts = services.stand_counts([s.id for s in stands])
    steps = []
    for stand in stands:
        total = sum(counts.get(stand.id, {}).values())
        # The stand's name marked with its language (content() escapes it; the message is the catalogue's).
        steps.append(NextStep(stand.event_id, stand.event.title, stand.event.starts_at, Markup(ngettext(
            "Market stand “%(stand)s”: %(num)d idea recorded.", "Market stand “%(stand)s”: %(num)d ideas recorded.",
            total, stand=content(stand.title))), url_for("ideas.capture", stand_id=stand.id), _("Record ideas"),
            order=30 + stand.position))
    return steps
