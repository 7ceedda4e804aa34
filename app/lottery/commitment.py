"""The commitment: the applicant list frozen under pseudonyms, the table of M panels computed and
the commitment published (draw ``committed``).
"""
from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.exc import IntegrityError

from app.audit.services import log_action
from app.core.models import utcnow
from app.core.text import clean_text
from app.events.models import Application, Event, EventStatus
from app.extensions import db
from app.lottery.algorithm import ALGORITHM_NAME, ALGORITHM_VERSION, Applicant, Progress
from app.lottery.audit import prepare_lottery, record_before_draw
from app.lottery.base import (
    answers_of, current_draw, event_households, event_quotas, labels_of, pool_applications, time_limit,
)
from app.lottery.errors import LotteryError
from app.lottery.explain import apply_labels
from app.lottery.mails import queue_mail
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry
from app.lottery.number import number_source_text


#: Unambiguous characters for pseudonyms (no 0/O, 1/I/L).
PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PSEUDONYM_LENGTH = 5
MAX_DESCRIPTION = 400


def _new_pseudonym(taken: set[str]) -> str:
    while True:
        pseudonym = "A-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(PSEUDONYM_LENGTH))
        if pseudonym not in taken:
            taken.add(pseudonym)
            return pseudonym


def _pseudonyms_for(event: Event, applications: list[Application]) -> dict[int, str]:
    """A pseudonym per application: the one of an earlier (superseded) draw, else a new random one."""
    rows = db.session.execute(
        sa.select(LotteryEntry.application_id, LotteryEntry.pseudonym)
        .join(LotteryDraw, LotteryDraw.id == LotteryEntry.draw_id)
        .where(LotteryDraw.event_id == event.id)
        .order_by(LotteryDraw.attempt)
    ).all()
    earlier = {application_id: pseudonym for application_id, pseudonym in rows if application_id is not None}
    taken = {pseudonym for _, pseudonym in rows}
    return {app.id: earlier.get(app.id) or _new_pseudonym(taken) for app in applications}


def check_commitment(event: Event, kind: str, description: str = "") -> str:
    """The checks of :func:`publish_commitment` that need no computation (the view runs them
    before queuing the job, so a wrong input is answered at once).

    :return: the cleaned description.
    :raises LotteryError: ``wrong_state`` or ``bad_input``.
    """
    if event.status not in (EventStatus.CLOSED.value, EventStatus.DRAWN.value):
        raise LotteryError("wrong_state", _l("The commitment can be published only after the applications have "
                                             "closed."))
    if current_draw(event) is not None:
        raise LotteryError("wrong_state", _l("A commitment has already been published for this event. To start "
                                             "over, supersede it with a reason."))
    if kind not in ("public", "server"):
        raise LotteryError("bad_input", _l("Choose how the number will be drawn."))
    description = clean_text(description if isinstance(description, str) else "")
    if kind == "public" and not description:
        raise LotteryError("bad_input", _l("Describe where and how the number will be drawn in public, e.g. "
                                           "“three ten-sided dice in the council meeting on 20 March”."))
    if len(description) > MAX_DESCRIPTION:
        raise LotteryError("bad_input", lazy_ngettext("The description is too long (at most %(num)d character).",
                                                      "The description is too long (at most %(num)d characters).",
                                                      MAX_DESCRIPTION))
    if event.seats < 1:
        raise LotteryError("bad_input", _l("The event has no seats to draw."))
    return description


def check_public_value_source(text: Any) -> str | None:
    """The cleaned name of the public value a commitment combines with the dice or the server
    (what it is, where and when it is published, how it is written); None if not given.

    :raises LotteryError: ``bad_input`` if too long.
    """
    text = clean_text(text if isinstance(text, str) else "")
    if len(text) > MAX_DESCRIPTION:
        raise LotteryError("bad_input", lazy_ngettext(
            "The public value's description is too long (at most %(num)d character).",
            "The public value's description is too long (at most %(num)d characters).", MAX_DESCRIPTION))
    return text or None


def next_attempt(event: Event) -> int:
    return (db.session.execute(
        sa.select(sa.func.max(LotteryDraw.attempt)).where(LotteryDraw.event_id == event.id)
    ).scalar() or 0) + 1


def publish_commitment(event: Event, user, kind: str, description: str = "",
                       table_size: int | None = None, progress: Progress | None = None,
                       public_value_source: str = "") -> LotteryDraw:
    """Freeze the applicant list, compute the table of M panels and publish the commitment.

    :param kind: ``public`` (the number is drawn in public and entered by an admin)
        or ``server`` (the server draws it from the operating system's CSPRNG).
    :param description: for ``public``: how and when the number will be drawn.
    :param public_value_source: optionally names a public value unknown now (a published lottery
        number, a newspaper's figure: what, where, when) that the row is combined with
        (:data:`~app.lottery.audit.COMBINED_RULES`); it is part of the commitment.
    :raises LotteryError: ``wrong_state`` (applications not closed, a draw exists),
        ``bad_input``, or any code of the algorithm (``empty``, ``too_few``,
        ``infeasible``, ...); nothing is stored then.
    """
    description = check_commitment(event, kind, description)
    named = check_public_value_source(public_value_source)
    applications = pool_applications(event)
    pseudonyms = _pseudonyms_for(event, applications)
    applicants = [Applicant(pseudonyms[app.id], answers_of(app)) for app in applications]
    source = number_source_text(kind, description)
    try:
        prepared = prepare_lottery(applicants, event_quotas(event), event.seats,
                                   int(table_size or current_app.config["LOTTERY_TABLE_SIZE"] or 0) or None, source,
                                   progress=progress, public_value_source=named,
                                   households=event_households(event, pseudonyms, applications),
                                   time_limit=time_limit())
    except LotteryError as exc:
        raise apply_labels(exc, labels_of(event)) from None
    size = prepared.table.size
    attempt = next_attempt(event)
    draw = LotteryDraw(
        event_id=event.id, attempt=attempt, state=DrawState.COMMITTED.value, seats=event.seats,
        table_size=size, number_source_kind=kind, number_source=source, algorithm=ALGORITHM_NAME,
        algorithm_version=ALGORITHM_VERSION, applicants_sha256=prepared.applicants_hash,
        table_sha256=prepared.table_hash, commitment=prepared.commitment,
        record_json=json.dumps(record_before_draw(prepared), separators=(",", ":")),
        server_value=prepared.server_value,
        committed_at=utcnow(), committed_by_id=getattr(user, "id", None),
    )
    draw.entries = [LotteryEntry(application_id=app.id, pseudonym=pseudonyms[app.id]) for app in applications]
    try:
        with db.session.begin_nested():
            db.session.add(draw)
            db.session.flush()
    except IntegrityError:
        # Another admin published a commitment for this event at the same moment.
        raise LotteryError("wrong_state", _l("A commitment has already been published for this event.")) from None
    labels = labels_of(event)
    for entry in draw.entries:
        application = entry.application
        if application is not None and application.email:
            # The receipt (issue 22 item 3): the pseudonym and the answers recorded, with how to object.
            answers = [(labels.get(key, (key, {}))[0], labels.get(key, (key, {}))[1].get(value, value))
                       for key, value in answers_of(application).items()]
            queue_mail(application, "committed", entry=entry, answers=answers)
    log_action("lottery.commit", draw, after={
        "attempt": attempt, "commitment": draw.commitment, "seats": draw.seats, "table_size": size,
        "number_source_kind": kind, "applicants": len(applications),
        **({"public_value_source": named} if named else {})})
    return draw
