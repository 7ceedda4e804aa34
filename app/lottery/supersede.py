"""Setting a draw aside so the lottery can be run again (draw ``superseded``, it stays public);
a drawn lottery only with a second admin's approval.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.audit.services import log_action
from app.core.models import utcnow
from app.core.text import clean_text
from app.events import application_status
from app.events.application_status import RESET_ON_SUPERSEDE
from app.events.models import Application, EventStatus
from app.extensions import db
from app.lottery.base import lock_draw
from app.lottery.errors import LotteryError
from app.lottery.mails import queue_mail
from app.lottery.models import DrawState, LotteryDraw


MAX_REASON = 2000


def redraw_pending(draw: LotteryDraw | None) -> bool:
    """Whether a re-draw of this drawn lottery waits for a second admin's approval."""
    return draw is not None and draw.redraw_requested_at is not None and draw.state == DrawState.DRAWN.value


def supersede_draw(draw: LotteryDraw, user, reason: str, now: datetime | None = None) -> LotteryDraw:
    """Set a draw aside so the lottery can be run again; the draw and the reason stay public.

    A drawn lottery (whose result is known) is set aside only with a second
    admin's approval (``LOTTERY_REDRAW_NEEDS_SECOND_ADMIN``, default on): the
    first call records the request and its reason (audit
    ``lottery.redraw_request``) and changes nothing else; a call by another
    admin approves it, with the requested reason. Code that acts without a
    user (``user`` None: commands, tests) needs no approval.

    The applications of the draw go back to ``applied`` (withdrawn ones stay
    withdrawn); after a drawn lottery they are told by mail. Then a new
    commitment can be published.

    :return: the draw (still ``drawn`` while the re-draw waits for approval).
    :raises LotteryError: ``reason_missing``, ``wrong_state`` (also when the
        admin who asked tries to approve their own request).
    """
    now = now or utcnow()
    reason = clean_text(reason if isinstance(reason, str) else "", multiline=True)
    if len(reason) < 10:
        raise LotteryError("reason_missing", _l("Give the reason for the re-draw (at least 10 characters); it is "
                                                "published with the draw."))
    if len(reason) > MAX_REASON:
        raise LotteryError("reason_missing", lazy_ngettext("The reason is too long (at most %(num)d character).",
                                                     "The reason is too long (at most %(num)d characters).", MAX_REASON))
    draw = lock_draw(draw)
    if draw.state == DrawState.SUPERSEDED.value:
        raise LotteryError("wrong_state", _l("This draw has already been superseded."))
    if draw.event.status not in (EventStatus.CLOSED.value, EventStatus.DRAWN.value):
        raise LotteryError("wrong_state", _l("The event has taken place; its draw can no longer be repeated."))
    was_drawn = draw.state == DrawState.DRAWN.value
    user_id = getattr(user, "id", None)
    approval = {}
    if was_drawn and user_id is not None and current_app.config.get("LOTTERY_REDRAW_NEEDS_SECOND_ADMIN", True):
        if draw.redraw_requested_at is None:
            draw.redraw_requested_at, draw.redraw_requested_by_id, draw.redraw_request_reason = now, user_id, reason
            db.session.flush()
            log_action("lottery.redraw_request", draw, after={"state": draw.state, "requested": True},
                       detail=reason)
            return draw
        if draw.redraw_requested_by_id == user_id:
            raise LotteryError("wrong_state", _l("You asked for this re-draw; a second admin has to approve it."))
        reason = draw.redraw_request_reason or reason
        approval = {"requested_by": draw.redraw_requested_by_id, "approved_by": user_id}
    draw.state = DrawState.SUPERSEDED.value
    draw.superseded_at, draw.superseded_by_id, draw.supersede_reason = now, getattr(user, "id", None), reason
    affected = db.session.execute(
        sa.select(Application).where(Application.event_id == draw.event_id,
                                     Application.status.in_(RESET_ON_SUPERSEDE))
    ).scalars().all()
    for application in affected:
        # A confirmed seat is gone with the draw (seat_released "superseded": the ticket stops working;
        # a new draw that seats them again gives it a new code).
        application_status.move(application, "reset")
    db.session.flush()
    log_action("lottery.supersede", draw, before={"state": DrawState.DRAWN.value if was_drawn
                                                  else DrawState.COMMITTED.value},
               after={"state": draw.state, "applications_reset": len(affected), **approval}, detail=reason)
    if was_drawn:
        entries = {e.application_id: e for e in draw.entries}
        for application in affected:
            if application.email:
                queue_mail(application, "redraw", entry=entries.get(application.id), reason=reason)
    return draw
