"""The draw: the number picks the panel, everyone else goes on the waiting list in drawn order
(draw and event ``drawn``); then free seats are filled (:func:`app.lottery.seats.fill_vacancies`).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit.services import log_action
from app.core.models import utcnow
from app.core.text import clean_text
from app.events import application_status
from app.events import services as event_services
from app.events.models import Application, ApplicationStatus, EventStatus
from app.extensions import db
from app.lottery.algorithm import server_random_number
from app.lottery.audit import COMBINED_RULES, DICE_RULE, combined_draw, draw_from_record, row_from_dice
from app.lottery.base import entries_of, lock_draw
from app.lottery.errors import LotteryError
from app.lottery.mails import queue_mail
from app.lottery.models import DrawState, LotteryDraw
from app.lottery.number import parse_number
from app.lottery.seats import fill_vacancies


def perform_draw(draw: LotteryDraw, user, number: Any, deadline: datetime | None,
                 now: datetime | None = None, public_value: Any = None) -> LotteryDraw:
    """Draw: the number picks the panel; everyone else goes on the waiting list in drawn order.

    :param number: the number drawn in public (text or int) for a ``public``
        draw; ignored for a ``server`` draw, where the server draws it.
    :param deadline: naive UTC; selected applicants confirm or decline until then.
    :param public_value: the public value named in the commitment, as published (for a rule
        that combines one: the row is then derived from a seed, see
        :func:`~app.lottery.audit.combined_draw`).
    :raises LotteryError: ``wrong_state``, ``bad_number``, ``bad_deadline``.
    """
    now = now or utcnow()
    draw = lock_draw(draw)
    if draw.state != DrawState.COMMITTED.value:
        raise LotteryError("wrong_state", _l("This draw has already been carried out or was superseded."))
    if deadline is None or deadline <= now:
        raise LotteryError("bad_deadline", _l("Set a deadline in the future by which the selected applicants "
                                              "confirm their seats."))
    event = draw.event
    if event.status not in (EventStatus.CLOSED.value, EventStatus.DRAWN.value):
        raise LotteryError("wrong_state", _l("Only an event whose applications are closed can be drawn."))
    dice, fields = None, None
    if draw.record.get("number_rule") in COMBINED_RULES:
        number, fields = combined_draw(draw.record, clean_text(public_value if isinstance(public_value, str) else ""),
                                       dice=clean_text(number if isinstance(number, str) else ""),
                                       server=draw.server_value)
        draw.record_json = json.dumps({**draw.record, **fields}, separators=(",", ":"))
    elif draw.number_source_kind == "server":
        number = server_random_number(draw.table_size)
    elif draw.record.get("number_rule") == DICE_RULE:
        dice = clean_text(number if isinstance(number, str) else ("" if number is None else str(number)))
        number = row_from_dice(dice, draw.table_size)
        dice = dice.zfill(4)
    else:
        number = parse_number(number, draw.table_size)
    result = draw_from_record(draw.record, number)
    if dice is not None:
        # The reading joins the record (the commitment does not cover it: it fixed the rule instead).
        draw.record_json = json.dumps({**draw.record, "dice": dice}, separators=(",", ":"))

    entries = entries_of(draw)
    by_pseudonym = {e.pseudonym: e for e in entries}
    for pseudonym in result.selected:
        entry = by_pseudonym[pseudonym]
        entry.seat_since, entry.confirm_deadline = now, deadline
        application = entry.application
        if application is not None and application.status == ApplicationStatus.APPLIED.value:
            application_status.move(application, "select")
    for rank, pseudonym in enumerate(result.waiting_list, start=1):
        entry = by_pseudonym[pseudonym]
        entry.rank = rank
        application = entry.application
        if application is not None and application.status == ApplicationStatus.APPLIED.value:
            application_status.move(application, "waitlist")
    late = db.session.execute(
        sa.select(Application).where(Application.event_id == event.id,
                                     Application.status == ApplicationStatus.APPLIED.value)
    ).scalars().all()
    for application in late:
        application_status.move(application, "not_select")

    draw.number, draw.state = number, DrawState.DRAWN.value
    draw.drawn_at, draw.drawn_by_id, draw.confirm_deadline = now, getattr(user, "id", None), deadline
    if event.status == EventStatus.CLOSED.value:
        event_services.mark_drawn(event)
    db.session.flush()

    for entry in entries:
        if entry.application is None or not entry.application.email:
            continue
        if entry.application.status == ApplicationStatus.SELECTED.value:
            queue_mail(entry.application, "selected", entry=entry)
        elif entry.application.status == ApplicationStatus.WAITLISTED.value:
            queue_mail(entry.application, "waitlisted", entry=entry)
    for application in late:
        if application.email:
            queue_mail(application, "not_selected")
    log_action("lottery.draw", draw, before={"state": DrawState.COMMITTED.value}, after={
        "state": draw.state, "number": number, "selected": len(result.selected),
        "waiting_list": len(result.waiting_list), "confirm_deadline": deadline,
        **({"public_value": fields["public_value"], "seed": fields["seed"]} if fields else {})})
    fill_vacancies(draw, now=now, user=user)
    return draw
