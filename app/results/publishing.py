"""The results' rule on publishing an event: not while its voting is open (signal ``event_action``)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.events.models import Event
from app.events.services import EventError
from app.extensions import db
from app.voting.models import VotingSettings, VotingState


def refuse_publishing_while_voting(event: Event, action: str) -> None:
    """Receiver of the signal ``event_action``: :func:`check_publishable` for ``publish``."""
    if action == "publish":
        check_publishable(event)


def check_publishable(event: Event) -> None:
    """Refuse to publish an event's results while its voting is still open (one query).

    Checked on the ``publish`` action (:func:`refuse_publishing_while_voting`):
    publishing never closes the vote behind the admin's back.

    :raises EventError: ``voting_open``.
    """
    state = db.session.execute(
        sa.select(VotingSettings.state).where(VotingSettings.event_id == event.id)).scalar_one_or_none()
    if state == VotingState.OPEN.value:
        raise EventError(_l("Voting is still open. Close the voting first, then publish the results."),
                         "voting_open")
