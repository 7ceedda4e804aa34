"""The seat lottery of an event, from the preview to the last replacement.

The life of a draw (functions flush; the calling view or command commits once)::

    event closed ──preview()──▶ probabilities per applicant, or the infeasibility report (nothing stored)
                 ──publish_commitment()──▶ draw "committed": applicant list frozen under pseudonyms,
                                           table of M panels and commitment published
                 ──perform_draw()──▶ draw "drawn", event "drawn": the number picks the panel,
                                     everyone else is on the waiting list in drawn order; mails
    selected     ──respond_to_seat()──▶ confirmed / declined (a decline frees the seat)
                 ──respond_on_behalf()──▶ the same, recorded by staff for a phone or paper applicant
    deadline     ──process_draw() / expire_all_due()──▶ unconfirmed seats lapse
    free seat    ──fill_vacancies()──▶ the first waiting applicant who keeps every quota gets it
    any time     ──supersede_draw(reason)──▶ draw "superseded" (stays public), applications reset

**Waiting list.** Everyone in the frozen list who is not selected is
waitlisted, in the order derived from the number (the audit's order). There
is no length limit: a cut-off would make replacements depend on a parameter
the audit does not contain. ``not_selected`` is for applications that were
entered after the commitment (staff may still add paper applications to a
closed event): they did not take part in the draw.

**Replacements** are written to :class:`~app.lottery.models.LotteryReplacement`
exactly as the audit file lists them, so ``flask lottery verify`` replays
them: ``declined`` holds the seats given up since the previous replacement,
``skipped`` the waiting applicants passed over because they withdrew.

**Concurrency.** Every operation that changes seats first locks the draw
row (:func:`_lock_draw`: ``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite
an ``UPDATE`` of the row takes the database's write lock) and then reads
the entries afresh, so two declines at once never admit the same person.
Operations are idempotent: confirming twice or declining twice changes
nothing the second time.
"""
from __future__ import annotations

import io
import json
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.audit.services import log_action
from app.core import signals
from app.core.mail import queue_templated_mail
from app.core.models import utcnow
from app.core.text import clean_text
from app.core.urls import absolute_url
from app.events import application_status
from app.events import services as event_services
from app.events.application_status import RESET_ON_SUPERSEDE
from app.events.calendar import event_attachments
from app.events.models import Application, ApplicationStatus, Criterion, Event, EventStatus
from app.extensions import db
from app.lottery.algorithm import (
    ALGORITHM_NAME,
    ALGORITHM_VERSION,
    Applicant,
    Progress,
    build_pool,
    find_replacement,
    leximin_distribution,
    server_random_number,
)
from app.lottery.audit import (
    COMBINED_RULES,
    DICE_PUBLIC_RULE,
    DICE_RULE,
    SERVER_PUBLIC_RULE,
    audit_from_record,
    combined_draw,
    draw_from_record,
    prepare_lottery,
    published_pool_form,
    record_answers,
    record_applicants,
    record_before_draw,
    row_from_dice,
)
from app.lottery.errors import LotteryError
from app.lottery.explain import apply_labels, change_text, conflict_text, infeasible_headline
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry, LotteryReplacement
from app.lottery.sortition_csv import (
    SortitionFiles,
    exclude_already_selected,
    files_distribution,
    read_categories,
    read_people_csv,
    write_categories_csv,
    write_people_csv,
    write_probabilities_csv,
)

#: Unambiguous characters for pseudonyms (no 0/O, 1/I/L).
PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PSEUDONYM_LENGTH = 5
SERVER_NUMBER_SOURCE = "server: operating system CSPRNG (Python secrets.randbelow), recorded by Ideenmarkt"
MAX_DESCRIPTION = 400
MAX_REASON = 2000
SEAT_SALT = "ideenmarkt.lottery-seat"



# ------------------------------------------------------------------ queries


def current_draw(event: Event) -> LotteryDraw | None:
    """The event's draw that is not superseded (committed or drawn), if any."""
    return db.session.execute(
        sa.select(LotteryDraw).where(LotteryDraw.event_id == event.id,
                                     LotteryDraw.state != DrawState.SUPERSEDED.value)
    ).scalar_one_or_none()


def draws_of(event: Event) -> list[LotteryDraw]:
    """All draws of the event, the first first (superseded ones included)."""
    return list(db.session.execute(
        sa.select(LotteryDraw).where(LotteryDraw.event_id == event.id).order_by(LotteryDraw.attempt)
    ).scalars())


def event_quotas(event: Event) -> dict[str, dict[str, tuple[int, int]]]:
    """The event's criteria as lottery quotas: key → value → (min, max); no maximum = all seats."""
    return {c.key: {o.value: (o.min_seats, event.seats if o.max_seats is None else o.max_seats)
                    for o in c.options}
            for c in event.criteria}


def _answers_of(application: Application) -> dict[str, str]:
    return {a.criterion.key: a.option.value for a in application.answers}


def event_households(event: Event, pseudonyms: Mapping[int, str], applications: Sequence[Application]
                     ) -> dict[str, str | None] | None:
    """The household rule of an event for the lottery: pseudonym -> household key, or None
    if the event does not keep at most one seat per household."""
    if not event.lottery_one_per_household:
        return None
    return {pseudonyms[app.id]: app.household_key for app in applications}


def _time_limit() -> float | None:
    """``LOTTERY_TIME_LIMIT`` in seconds (None: no limit)."""
    return float(current_app.config.get("LOTTERY_TIME_LIMIT") or 0) or None


def pool_applications(event: Event) -> list[Application]:
    """The applications that take part: confirmed by mail or entered by staff (status ``applied``)."""
    return list(db.session.execute(
        sa.select(Application)
        .where(Application.event_id == event.id, Application.status == ApplicationStatus.APPLIED.value)
        .options(selectinload(Application.answers))
        .order_by(Application.id)
    ).scalars())


# ------------------------------------------------------------------ preview


@dataclass
class TypeRow:
    """Applicants with identical answers, and their (identical) selection probability."""

    answers: list[tuple[str, str]]
    count: int
    probability: float
    #: under the household rule: they live with other applicants (their household limits them)
    household: bool = False


@dataclass
class QuotaRow:
    criterion: str
    option: str
    minimum: int
    maximum: int | None
    applicants: int


@dataclass
class Preview:
    applicants: int
    seats: int
    quotas: list[QuotaRow]
    types: list[TypeRow] = field(default_factory=list)
    min_probability: float | None = None
    max_probability: float | None = None
    error: LotteryError | None = None
    #: the time limit ended the computation: ``{"seconds", "minimum", "upper_bound"}``
    limited: dict[str, Any] | None = None

    @property
    def relaxation(self) -> list[dict[str, Any]]:
        return list(self.error.details.get("relaxation", [])) if self.error else []

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return list(self.error.details.get("conflicts", [])) if self.error else []

    @property
    def headline(self) -> str:
        """The error's message; for ``infeasible`` only its first sentence (the page lists the rest)."""
        if self.error is None:
            return ""
        if self.error.code == "infeasible" and (self.conflicts or self.relaxation):
            return infeasible_headline(self.seats)
        return str(self.error.message)

    @property
    def conflict_lines(self) -> list[str]:
        """The conflicts as sentences in the current language, naming criteria and options by label."""
        return [conflict_text(c) for c in self.conflicts]

    @property
    def change_lines(self) -> list[str]:
        """The nearest relaxation, one change a line, in the current language."""
        return [change_text(r) for r in self.relaxation]


def preview(event: Event, progress: Progress | None = None) -> Preview:
    """Every applicant's exact selection probability, before anything is stored.

    Never raises for bad input: an infeasible, empty or too small pool is
    reported in :attr:`Preview.error` (the infeasibility report names the
    conflicting criteria and options and suggests the nearest relaxation).
    Runs as a job (app/lottery/jobs.py): ``progress`` reports how far it got.
    """
    applications = pool_applications(event)
    labels = _labels(event)
    counts = Counter((a.criterion.key, a.option.value) for app in applications for a in app.answers)
    quota_rows = [QuotaRow(c.label, o.label, o.min_seats, o.max_seats, counts[(c.key, o.value)])
                  for c in event.criteria for o in c.options]
    result = Preview(len(applications), event.seats, quota_rows)
    applicants = [Applicant(f"#{app.id}", _answers_of(app)) for app in applications]
    households = event_households(event, {app.id: f"#{app.id}" for app in applications}, applications)
    try:
        distribution = leximin_distribution(applicants, event_quotas(event), event.seats, progress=progress,
                                            households=households, time_limit=_time_limit())
    except LotteryError as exc:
        result.error = apply_labels(exc, labels)
        return result
    pool = distribution.pool
    for group, probability in zip(pool.types, distribution.type_probabilities):
        answers = [(labels.get(f, (f, {}))[0], labels.get(f, (f, {}))[1].get(v, v))
                   for f, v in zip(pool.features, group.key)]
        result.types.append(TypeRow(answers, group.size, probability, bool(group.household)))
    result.types.sort(key=lambda t: (t.probability, t.answers))
    result.min_probability = distribution.min_probability
    result.limited = dict(distribution.limited) if distribution.limited else None
    result.max_probability = distribution.max_probability
    return result


@dataclass
class StoredError:
    """A :class:`LotteryError` as stored with a job: its message in every language."""

    code: str
    messages: dict[str, str]
    details: dict[str, Any]

    @property
    def message(self) -> str:
        from flask_babel import get_locale

        return self.messages.get(str(get_locale())) or next(iter(self.messages.values()), "")


def preview_to_json(result: Preview) -> dict[str, Any]:
    """The preview as a job stores it (labels are the event's own; messages in every language)."""
    data: dict[str, Any] = {
        "applicants": result.applicants, "seats": result.seats,
        "quotas": [vars(q) for q in result.quotas],
        "types": [{"answers": t.answers, "count": t.count, "probability": t.probability, "household": t.household}
                  for t in result.types],
        "min_probability": result.min_probability, "max_probability": result.max_probability, "error": None,
        "limited": result.limited,
    }
    if result.error is not None:
        from app.jobs.services import translations

        data["error"] = {"code": result.error.code, "messages": translations(result.error.message),
                         "details": result.error.details}
    return data


def preview_from_json(data: dict[str, Any]) -> Preview:
    result = Preview(data["applicants"], data["seats"], [QuotaRow(**q) for q in data["quotas"]],
                     [TypeRow([tuple(a) for a in t["answers"]], t["count"], t["probability"], t.get("household", False))
                      for t in data["types"]],
                     data["min_probability"], data["max_probability"])
    result.limited = data.get("limited")
    if data.get("error"):
        result.error = StoredError(**data["error"])  # type: ignore[assignment]
    return result


def pool_hash(event: Event, *extra: Any) -> str:
    """SHA-256 of what a lottery computation depends on: the applicants and their answers, the
    quotas, the seats (and ``extra``): the key of its job, so the same pool is computed once."""
    import hashlib

    applications = pool_applications(event)
    payload = {"applicants": [[app.id, sorted(_answers_of(app).items())] for app in applications],
               "quotas": {k: {v: list(b) for v, b in sorted(o.items())} for k, o in sorted(event_quotas(event).items())},
               "seats": event.seats, "extra": [str(e) for e in extra]}
    if event.lottery_one_per_household:  # the household rule changes the probabilities
        payload["households"] = [[app.id, app.household_key] for app in applications]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _labels(event: Event) -> dict[str, tuple[str, dict[str, str]]]:
    """criterion key → (label, option value → label)."""
    return {c.key: (c.label, {o.value: o.label for o in c.options}) for c in event.criteria}


# ------------------------------------------------------------------ commitment


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


def number_source_text(kind: str, description: str = "") -> str:
    """The committed description of how the number is obtained."""
    if kind == "server":
        return SERVER_NUMBER_SOURCE
    return "public: " + description


def number_source_label(draw: LotteryDraw) -> str:
    """How the number is obtained, in the visitor's language. The committed text
    (:func:`number_source_text`, part of the hash) stays as it is in the audit file."""
    rule = draw.record.get("number_rule")
    if rule == SERVER_PUBLIC_RULE:
        return _("By the server: a random value from the operating system's cryptographic source, fixed at the "
                 "commitment by its SHA-256 hash and revealed at the draw, combined with a public value unknown "
                 "at the commitment: %(value)s", value=draw.record.get("public_value_source", ""))
    if draw.number_source_kind == "server":
        return _("By the server, from the operating system's cryptographic random source")
    label = _("In public: %(description)s", description=draw.number_source.removeprefix("public: "))
    if rule == DICE_PUBLIC_RULE:
        label += " " + _("(rule fixed in the commitment: four ten-sided dice, read in the order thousands, "
                         "hundreds, tens, units, combined with the public value “%(value)s”: the panel drawn "
                         "follows from the SHA-256 hash of the commitment, the dice and the public value)",
                         value=draw.record.get("public_value_source", ""))
    if rule == DICE_RULE:
        label += " " + _("(rule fixed in the commitment: four ten-sided dice, read in the order thousands, "
                         "hundreds, tens, units; 0000 means 10,000; the panel drawn is ((reading - 1) mod %(size)s) + 1)", size=format_decimal(draw.table_size))
    return label


def number_verifiable(draw: LotteryDraw) -> bool:
    """Whether anyone outside the server can check the number (not for server-drawn numbers,
    unless the server's value was committed and combined with a public value)."""
    return draw.number_source_kind != "server" or draw.record.get("number_rule") == SERVER_PUBLIC_RULE


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
    applicants = [Applicant(pseudonyms[app.id], _answers_of(app)) for app in applications]
    source = number_source_text(kind, description)
    try:
        prepared = prepare_lottery(applicants, event_quotas(event), event.seats,
                                   int(table_size or current_app.config["LOTTERY_TABLE_SIZE"] or 0) or None, source,
                                   progress=progress, public_value_source=named,
                                   households=event_households(event, pseudonyms, applications),
                                   time_limit=_time_limit())
    except LotteryError as exc:
        raise apply_labels(exc, _labels(event)) from None
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
    labels = _labels(event)
    for entry in draw.entries:
        application = entry.application
        if application is not None and application.email:
            # The receipt (issue 22 item 3): the pseudonym and the answers recorded, with how to object.
            answers = [(labels.get(key, (key, {}))[0], labels.get(key, (key, {}))[1].get(value, value))
                       for key, value in _answers_of(application).items()]
            _mail(application, "committed", entry=entry, answers=answers)
    log_action("lottery.commit", draw, after={
        "attempt": attempt, "commitment": draw.commitment, "seats": draw.seats, "table_size": size,
        "number_source_kind": kind, "applicants": len(applications),
        **({"public_value_source": named} if named else {})})
    return draw


# ------------------------------------------------------------------ locking


def _lock_draw(draw: LotteryDraw) -> LotteryDraw:
    """Serialise seat changes of one draw and read its state afresh.

    PostgreSQL: ``SELECT ... FOR UPDATE`` on the draw row. SQLite: the
    ``UPDATE`` takes the database's write lock before anything is read, so a
    second writer waits and then sees the first one's seats.
    """
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(LotteryDraw.id).where(LotteryDraw.id == draw.id).with_for_update())
    db.session.execute(
        sa.update(LotteryDraw).where(LotteryDraw.id == draw.id)
        .values(lock_counter=LotteryDraw.lock_counter + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return db.session.get(LotteryDraw, draw.id)


# ------------------------------------------------------------------ the draw


def parse_number(value: Any, table_size: int) -> int:
    """The number entered by the admin, as an int in 1..M.

    :raises LotteryError: ``bad_number`` with a message saying what is wrong.
    """
    text = clean_text(value if isinstance(value, str) else ("" if value is None else str(value)))
    if not text:
        raise LotteryError("bad_number", _l("Enter the number drawn (from 1 to %(size)d).", size=table_size))
    if len(text) > 12 or not text.isdigit() or not text.isascii():
        raise LotteryError("bad_number", _l("“%(value)s” is not a whole number. Enter a number from 1 to %(size)d.",
                                            value=text[:20], size=table_size))
    number = int(text)
    if not 1 <= number <= table_size:
        raise LotteryError("bad_number", _l("%(number)d is outside the table: enter a number from 1 to %(size)d.",
                                            number=number, size=table_size))
    return number


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
    draw = _lock_draw(draw)
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

    entries = _entries(draw)
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
            _mail(entry.application, "selected", entry=entry)
        elif entry.application.status == ApplicationStatus.WAITLISTED.value:
            _mail(entry.application, "waitlisted", entry=entry)
    for application in late:
        if application.email:
            _mail(application, "not_selected")
    log_action("lottery.draw", draw, before={"state": DrawState.COMMITTED.value}, after={
        "state": draw.state, "number": number, "selected": len(result.selected),
        "waiting_list": len(result.waiting_list), "confirm_deadline": deadline,
        **({"public_value": fields["public_value"], "seed": fields["seed"]} if fields else {})})
    fill_vacancies(draw, now=now, user=user)
    return draw


def _entries(draw: LotteryDraw) -> list[LotteryEntry]:
    return list(db.session.execute(
        sa.select(LotteryEntry).where(LotteryEntry.draw_id == draw.id)
        .options(selectinload(LotteryEntry.application))
        .order_by(LotteryEntry.id)
    ).scalars())


# ------------------------------------------------------------------ seats


@dataclass
class FillResult:
    """What :func:`fill_vacancies` did: who was admitted, and why a seat stays free."""

    admitted: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    free: int = 0
    blocked: LotteryError | None = None


def _release(entry: LotteryEntry, reason: str, now: datetime, channel: str | None = None) -> None:
    entry.released_at, entry.release_reason = now, reason
    entry.release_channel = channel or {"expired": "deadline", "withdrawn": "withdrawal"}.get(reason, "link")


def _release_withdrawn(entries: list[LotteryEntry], now: datetime) -> None:
    """Seats whose application was withdrawn or deleted (by the applicant or staff) become free."""
    for entry in entries:
        if entry.holds_seat and (entry.application is None
                                 or entry.application.status == ApplicationStatus.WITHDRAWN.value):
            _release(entry, "withdrawn", now)


def _available(entry: LotteryEntry) -> bool:
    return entry.application is not None and entry.application.status == ApplicationStatus.WAITLISTED.value


def replacement_deadline(event: Event, now: datetime) -> datetime:
    """A replacement's own deadline: ``LOTTERY_REPLACEMENT_REPLY_HOURS`` from now, not after the event starts."""
    deadline = now + timedelta(hours=int(current_app.config["LOTTERY_REPLACEMENT_REPLY_HOURS"]))
    if event.starts_at and now < event.starts_at < deadline:
        deadline = event.starts_at
    return deadline


def fill_vacancies(draw: LotteryDraw, now: datetime | None = None, user=None,
                   _locked: bool = False) -> FillResult:
    """Give every free seat to the first waiting applicant whose admission keeps every quota satisfied.

    Call with the draw locked (the public services here do); each admission is
    recorded as a replacement, mailed with its own deadline, and verifiable
    with the audit file.

    :return: a :class:`FillResult`; ``blocked`` holds the ``no_replacement``
        error naming the blocking quota if a seat stays free.
    """
    now = now or utcnow()
    result = FillResult()
    if draw.state != DrawState.DRAWN.value:
        return result
    record = draw.record
    answers = record_answers(record)
    entries = _entries(draw)
    _release_withdrawn(entries, now)
    while True:
        seated = [e for e in entries if e.holds_seat]
        result.free = draw.seats - len(seated)
        if result.free <= 0:
            break
        candidates = sorted((e for e in entries if e.rank is not None and e.seat_since is None and _available(e)),
                            key=lambda e: e.rank)
        if not candidates:
            result.blocked = LotteryError("no_replacement", _l("Nobody is left on the waiting list."))
            break
        try:
            chosen = find_replacement([e.pseudonym for e in seated], [e.pseudonym for e in candidates], answers,
                                      record_quotas(record), draw.seats, record.get("households"))
        except LotteryError as exc:
            if exc.code != "no_replacement":
                raise
            result.blocked = apply_labels(exc, _labels(draw.event))
            break
        released = [e for e in entries if e.seat_since is not None and e.released_at is not None
                    and not e.audit_recorded]
        skipped = [e for e in entries if e.rank is not None and e.seat_since is None and not e.audit_recorded
                   and not _available(e)]
        for entry in released + skipped:
            entry.audit_recorded = True
        for entry in skipped:
            # The evidence of the skip in the audit (its time is the replacement's).
            entry.release_reason = entry.release_reason or "withdrawn"
            entry.release_channel = entry.release_channel or "withdrawal"
        position = len(draw.replacements) + 1
        replacement = LotteryReplacement(
            draw_id=draw.id, position=position,
            declined_json=json.dumps(sorted(e.pseudonym for e in released)),
            skipped_json=json.dumps(sorted(e.pseudonym for e in skipped)),
            admitted=chosen, created_at=now, created_by_id=getattr(user, "id", None),
            reason="; ".join(f"{e.pseudonym}: {e.release_reason}" for e in sorted(released, key=lambda e: e.pseudonym)),
        )
        draw.replacements.append(replacement)
        admitted = next(e for e in entries if e.pseudonym == chosen)
        admitted.seat_since, admitted.confirm_deadline = now, replacement_deadline(draw.event, now)
        application_status.move(admitted.application, "admit")
        db.session.flush()
        log_action("lottery.replacement", replacement, event_id=draw.event_id, after={
            "position": position, "admitted": chosen, "released": replacement.declined,
            "skipped": replacement.skipped})
        result.admitted.append(chosen)
        if admitted.application.email:
            _mail(admitted.application, "admitted", entry=admitted)
    return result


def record_quotas(record: dict[str, Any]) -> dict[str, dict[str, tuple[int, int]]]:
    quotas: dict[str, dict[str, tuple[int, int]]] = {}
    for row in record["quotas"]:
        quotas.setdefault(row["feature"], {})[row["value"]] = (row["min"], row["max"])
    return quotas


def respond_to_seat(entry: LotteryEntry, accept: bool, now: datetime | None = None, channel: str = "link") -> str:
    """The applicant confirms or declines their seat.

    Idempotent: confirming a confirmed seat, or declining a declined one,
    changes nothing. A decline frees the seat for the waiting list at once.
    ``channel`` says how the answer came (``link``: the applicant's own; staff
    pass the channel of :data:`ON_BEHALF_CHANNELS`); it is published with the decline.

    :return: ``confirmed``, ``declined``, ``unchanged``, or ``expired`` (the
        deadline had passed: the seat lapsed and went to the waiting list).
    :raises LotteryError: ``wrong_state`` (draw superseded or the event is
        over), ``not_seated`` (no seat to confirm or decline).
    """
    now = now or utcnow()
    draw = _lock_draw(entry.draw)
    entry = db.session.get(LotteryEntry, entry.id)
    if draw.state != DrawState.DRAWN.value or draw.event.status != EventStatus.DRAWN.value:
        raise LotteryError("wrong_state", _l("Seats of this event can no longer be confirmed or declined."))
    application = entry.application
    if application is None:
        raise LotteryError("not_seated", _l("You do not hold a seat for this event."))
    status = application.status
    if accept and status == ApplicationStatus.CONFIRMED.value:
        return "unchanged"
    if not accept and status == ApplicationStatus.DECLINED.value and entry.seat_since is not None:
        return "unchanged"
    if not entry.holds_seat or status not in (ApplicationStatus.SELECTED.value, ApplicationStatus.CONFIRMED.value):
        raise LotteryError("not_seated", _l("You do not hold a seat for this event."))
    if status == ApplicationStatus.SELECTED.value and entry.confirm_deadline and now > entry.confirm_deadline:
        _expire(entry, now)
        fill_vacancies(draw, now=now)
        return "expired"
    if accept:
        # seat_confirmed: the participant gets the ticket for check-in and voting (mailed through the outbox).
        application_status.move(application, "confirm_seat")
        return "confirmed"
    # seat_released: a confirmed participant's ticket stops working before the seat goes to the waiting list.
    application_status.move(application, "decline_seat")
    _release(entry, "declined", now, channel)
    db.session.flush()
    fill_vacancies(draw, now=now)
    return "declined"


#: How staff heard the answer of a resident they confirm or decline for (phone and paper applicants
#: often have no email and cannot use the seat link).
ON_BEHALF_CHANNELS = {
    "phone": _l("by phone"),
    "paper": _l("on paper"),
    "in_person": _l("in person"),
}


def respond_on_behalf(application: Application, accept: bool, channel: str, user=None,
                      now: datetime | None = None) -> str:
    """Staff confirm or decline a seat for the applicant, who answered by ``channel``.

    The same life cycle as :func:`respond_to_seat` (a decline draws the
    replacement at once), plus an audit entry naming the channel.

    :return: like :func:`respond_to_seat`.
    :raises LotteryError: ``bad_channel``, ``not_seated`` (no seat in the current
        draw), and the errors of :func:`respond_to_seat`.
    """
    if channel not in ON_BEHALF_CHANNELS:
        raise LotteryError("bad_channel", _l("Choose how the applicant gave the answer."))
    entry = _active_entry(application)
    if entry is None:
        raise LotteryError("not_seated", _l("This application holds no seat in the current draw."))
    status_before = application.status
    try:
        outcome = respond_to_seat(entry, accept, now=now, channel=channel)
    except LotteryError as exc:
        if exc.code == "not_seated":  # the resident's wording ("You do not hold …") does not fit staff
            raise LotteryError("not_seated", _l("This application holds no seat in the current draw.")) from exc
        raise
    log_action("lottery.seat_on_behalf", application, event_id=entry.draw.event_id,
               before={"status": status_before},
               after={"pseudonym": entry.pseudonym, "answer": "confirm" if accept else "decline",
                      "channel": channel, "outcome": outcome, "status": application.status})
    return outcome


def _expire(entry: LotteryEntry, now: datetime) -> None:
    application_status.move(entry.application, "expire")
    _release(entry, "expired", now)
    db.session.flush()
    if entry.application.email:
        _mail(entry.application, "expired", entry=entry)


def process_draw(draw: LotteryDraw, now: datetime | None = None, user=None) -> FillResult:
    """Let unconfirmed seats past their deadline lapse, then fill every free seat (admin button, cron)."""
    now = now or utcnow()
    draw = _lock_draw(draw)
    if draw.state != DrawState.DRAWN.value or draw.event.status != EventStatus.DRAWN.value:
        return FillResult()
    expired = []
    for entry in _entries(draw):
        if (entry.holds_seat and entry.application is not None
                and entry.application.status == ApplicationStatus.SELECTED.value
                and entry.confirm_deadline is not None and entry.confirm_deadline < now):
            _expire(entry, now)
            expired.append(entry.pseudonym)
    if expired:
        log_action("lottery.expire", draw, after={"expired": expired})
    result = fill_vacancies(draw, now=now, user=user)
    result.expired = expired
    return result


def expire_all_due(now: datetime | None = None) -> list[tuple[LotteryDraw, FillResult]]:
    """:func:`process_draw` for every drawn lottery of an event not yet held (``flask lottery expire``).

    The caller commits; the command commits after each draw.
    """
    ids = db.session.execute(
        sa.select(LotteryDraw.id).join(Event, Event.id == LotteryDraw.event_id)
        .where(LotteryDraw.state == DrawState.DRAWN.value, Event.status == EventStatus.DRAWN.value)
        .order_by(LotteryDraw.id)
    ).scalars().all()
    return [(db.session.get(LotteryDraw, draw_id), process_draw(db.session.get(LotteryDraw, draw_id), now=now))
            for draw_id in ids]


# ------------------------------------------------------------------ re-draw


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
    draw = _lock_draw(draw)
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
                _mail(application, "redraw", entry=entries.get(application.id), reason=reason)
    return draw


# ------------------------------------------------------------------ audit


def audit_of(draw: LotteryDraw) -> dict[str, Any]:
    """The audit record as published: before the draw the commitment part, afterwards complete.

    Extra fields (``event``, ``attempt``, ``state``, ...) are ignored by the verifier.
    """
    extra = {"event": draw.event_id, "attempt": draw.attempt, "state": draw.state}
    if draw.state == DrawState.SUPERSEDED.value:
        extra["superseded_reason"] = draw.supersede_reason
    stored = published_pool_form(draw.record)
    if draw.number is None:
        return {**stored, **extra}
    record = {key: value for key, value in stored.items() if key != "dice"}
    entries = {e.pseudonym: e for e in draw.entries}
    replacements = []
    for replacement in draw.replacements:
        item = replacement.as_audit()
        item["at"] = replacement.created_at.isoformat(timespec="seconds")
        item["evidence"] = {
            p: {"reason": entries[p].release_reason,
                "at": (entries[p].released_at or replacement.created_at).isoformat(timespec="seconds"),
                **({"channel": entries[p].release_channel} if entries[p].release_channel else {})}
            for p in item["declined"] + item["skipped"] if p in entries and entries[p].release_reason}
        replacements.append(item)
    return {**audit_from_record(record, draw.number, replacements, draw.record.get("dice")), **extra}


@dataclass
class PoolGroup:
    """Applicants of the published pool who gave the same answers (what the public page shows of them)."""

    answers: list[tuple[str, str]]
    pseudonyms: list[str]

    @property
    def size(self) -> int:
        return len(self.pseudonyms)


def pool_groups(event: Event, audit: dict[str, Any]) -> list[PoolGroup]:
    """The published pool by identical answers (with the criteria's labels), the largest groups first."""
    labels = _labels(event)
    order = [c.key for c in event.criteria]
    groups: dict[tuple, list[str]] = {}
    for applicant in record_applicants(audit):
        key = tuple(sorted(applicant["answers"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order
                           else len(order)))
        groups.setdefault(key, []).append(applicant["pseudonym"])
    result = [PoolGroup([(labels.get(f, (f, {}))[0], labels.get(f, (f, {}))[1].get(v, v)) for f, v in key],
                        sorted(members)) for key, members in groups.items()]
    return sorted(result, key=lambda g: (-g.size, g.answers))


def audit_json(draw: LotteryDraw) -> str:
    return json.dumps(audit_of(draw), ensure_ascii=False, indent=1, sort_keys=True)


# ------------------------------------------------------------------ the applicant's seat


def _seat_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SEAT_SALT)


def seat_token(entry: LotteryEntry) -> str:
    """The secret in the mailed seat link (the raw manage token is never stored)."""
    return _seat_serializer().dumps(entry.id)


def entry_for_token(token: str) -> LotteryEntry | None:
    """The entry for a mailed seat token, or for a manage-link token (the active draw's entry)."""
    from app.events.application_services import find_by_token

    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    application = find_by_token(token) if len(token) <= 100 else None
    if application is not None:
        return _active_entry(application)
    return entry_for_seat_token(token)


def entry_for_seat_token(token: str) -> LotteryEntry | None:
    """The entry of a mailed seat token (:func:`seat_token`), whatever the state of its draw."""
    try:
        entry_id = _seat_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(entry_id, int) or isinstance(entry_id, bool):
        return None
    return db.session.get(LotteryEntry, entry_id)


def _active_entry(application: Application) -> LotteryEntry | None:
    return db.session.execute(
        sa.select(LotteryEntry).join(LotteryDraw, LotteryDraw.id == LotteryEntry.draw_id)
        .where(LotteryEntry.application_id == application.id, LotteryDraw.state == DrawState.DRAWN.value)
    ).scalar_one_or_none()


@dataclass
class Seat:
    """What the applicant's pages show about their place in the lottery."""

    entry: LotteryEntry
    status: str
    deadline: datetime | None
    rank: int | None
    can_respond: bool
    #: The event was marked held (or its results published): answers end for that reason, not the deadline.
    event_over: bool = False


def seat_of(entry: LotteryEntry | None, now: datetime | None = None) -> Seat | None:
    if entry is None or entry.application is None or entry.draw.state != DrawState.DRAWN.value:
        return None
    now = now or utcnow()
    status = entry.application.status
    can_respond = (entry.holds_seat and entry.draw.event.status == EventStatus.DRAWN.value and (
        status == ApplicationStatus.CONFIRMED.value
        or (status == ApplicationStatus.SELECTED.value and (entry.confirm_deadline is None
                                                            or now <= entry.confirm_deadline))))
    event_over = entry.draw.event.status in (EventStatus.HELD.value, EventStatus.PUBLISHED.value)
    return Seat(entry, status, entry.confirm_deadline, entry.rank if entry.seat_since is None else None, can_respond,
                event_over)


def has_receipt(application: Application) -> bool:
    """Whether the application is in the list of any draw (the receipt page then has something to show)."""
    return db.session.execute(
        sa.select(LotteryEntry.id).where(LotteryEntry.application_id == application.id).limit(1)
    ).first() is not None


def seat_of_application(application: Application) -> Seat | None:
    """For the applicant's manage page (a Jinja global): their seat in the current draw, if any."""
    return seat_of(_active_entry(application))


# ------------------------------------------------------------------ mail


#: Mails that offer a seat: they name date and place and carry the event's calendar file.
SEAT_OFFERS = ("selected", "admitted")


def _mail(application: Application, kind: str, entry: LotteryEntry | None = None, **context) -> None:
    """Queue the lottery mail ``kind`` in the applicant's language (plain text and HTML)."""
    event = application.event
    context.update(application=application, event=event, entry=entry,
                   lottery_url=absolute_url("lottery.public_lottery", event_id=event.id))
    context.setdefault("verifiable", True)
    if entry is not None:
        context["seat_url"] = absolute_url("lottery.seat", token=seat_token(entry))
        context["receipt_url"] = absolute_url("lottery.receipt", token=seat_token(entry))
        # Server-drawn numbers are marked "not publicly verifiable" in every mail that names the draw.
        context["verifiable"] = number_verifiable(entry.draw)
    subjects = {
        "committed": _l("Your entry in the lottery: %(title)s", title=event.title),
        "selected": _l("You have been drawn: %(title)s", title=event.title),
        "admitted": _l("A seat has become free for you: %(title)s", title=event.title),
        "waitlisted": _l("You are on the waiting list: %(title)s", title=event.title),
        "not_selected": _l("The seats have been drawn: %(title)s", title=event.title),
        "expired": _l("Your seat has lapsed: %(title)s", title=event.title),
        "redraw": _l("The lottery will be repeated: %(title)s", title=event.title),
        "objection_answer": _l("Answer to your objection: %(title)s", title=event.title),
    }
    attachments = event_attachments(event) if kind in SEAT_OFFERS else []
    queue_templated_mail(application.email, application.language, subjects[kind], f"lottery/mail/{kind}",
                         context, attachments=attachments)


# ------------------------------------------------------------------ representativeness


@dataclass
class OptionShare:
    label: str
    value: str
    counts: dict[str, int]
    shares: dict[str, float | None]


@dataclass
class CriterionReport:
    label: str
    key: str
    options: list[OptionShare]


#: The groups compared, in the order of the report's columns.
GROUPS = ("applicants", "selected", "confirmed", "attended", "population")


def representativeness(event: Event) -> tuple[list[CriterionReport], dict[str, int]]:
    """Per criterion option: share among applicants, the selected, confirmed participants,
    those let in at the event (the signal ``attendance``) and the population (if entered).

    :return: the reports and the size of each group (None-free).
    """
    draw = _latest_drawn(event) or current_draw(event)
    members: dict[str, list[dict[str, str]]] = {g: [] for g in GROUPS[:-1]}
    # Who checked in, from the features that know (the signal ``attendance``: voting's check-in).
    attended_ids = signals.collected_ids(signals.attendance.send(event))
    if draw is not None:
        answers = record_answers(draw.record)
        for entry in _entries(draw):
            person = answers.get(entry.pseudonym, {})
            members["applicants"].append(person)
            if entry.seat_since is not None and entry.rank is None:
                members["selected"].append(person)
            if entry.application is not None and entry.application.status == ApplicationStatus.CONFIRMED.value:
                members["confirmed"].append(person)
            if attended_ids is not None and entry.application_id in attended_ids:
                members["attended"].append(person)
    else:
        members["applicants"] = [_answers_of(app) for app in pool_applications(event)]
    sizes = {g: len(people) for g, people in members.items()}
    reports = []
    for criterion in event.criteria:
        counts = {g: Counter(p.get(criterion.key) for p in people) for g, people in members.items()}
        options = []
        for option in criterion.options:
            option_counts = {g: counts[g][option.value] for g in members}
            shares: dict[str, float | None] = {g: (option_counts[g] / sizes[g] if sizes[g] else None)
                                               for g in members}
            if attended_ids is None:
                shares["attended"] = None
            shares["population"] = option.population_share
            options.append(OptionShare(option.label, option.value, option_counts, shares))
        reports.append(CriterionReport(criterion.label, criterion.key, options))
    return reports, sizes


def _latest_drawn(event: Event) -> LotteryDraw | None:
    return db.session.execute(
        sa.select(LotteryDraw).where(LotteryDraw.event_id == event.id, LotteryDraw.state == DrawState.DRAWN.value)
    ).scalar_one_or_none()


# ------------------------------------------------------------------ Sortition Foundation files


def export_categories_csv(event: Event) -> str:
    """The event's quotas as ``feature,value,min,max`` (no maximum = all seats)."""
    out = io.StringIO()
    write_categories_csv(event_quotas(event), out)
    return out.getvalue()


def export_people_csv(event: Event) -> str:
    """The applicants as ``id`` plus one column per criterion key, without personal data.

    The id is the pseudonym of the current draw; before a commitment, when no
    pseudonyms exist yet, it is ``application-<id>`` (an internal number).
    """
    features = [c.key for c in event.criteria]
    out = io.StringIO()
    draw = current_draw(event)
    if draw is not None:
        applicants = [Applicant(a["pseudonym"], a["answers"]) for a in record_applicants(draw.record)]
    else:
        applicants = [Applicant(f"application-{app.id}", _answers_of(app)) for app in pool_applications(event)]
    write_people_csv(applicants, features, out)
    return out.getvalue()


def import_categories(event: Event, source: bytes | str, notes: list | None = None) -> list[Criterion]:
    """Create or update the event's criteria and quotas from a categories file.

    A feature becomes a criterion (key = feature), each value an option with
    its min and max (a max of at least the seats means "no maximum"). Existing
    criteria with the same key keep their labels; their options are replaced.

    :raises LotteryError: ``csv_format`` (row-level), ``import_locked``,
        ``bad_quota``; the caller rolls back, so nothing changes.
    """
    quotas = read_categories(source, notes=notes)[0]
    locked = event_services.criteria_locked_reason(event)
    if locked:
        raise LotteryError("import_locked", locked)
    existing = {c.key: c for c in event.criteria}
    saved = []
    for feature, options in quotas.items():
        criterion = existing.get(feature)
        labels = {o.value: o.label for o in criterion.options} if criterion else {}
        shares = {o.value: o.population_share for o in criterion.options} if criterion else {}
        data = [event_services.OptionData(
                    label=labels.get(value, value), value=value, min_seats=low,
                    max_seats=None if high >= event.seats else high,
                    population_percent=None if shares.get(value) is None else shares[value] * 100)
                for value, (low, high) in options.items()]
        try:
            saved.append(event_services.save_criterion(event, criterion.label if criterion else feature, feature,
                                                       data, criterion=criterion))
        except event_services.EventError as exc:
            raise LotteryError("bad_quota", exc.message, {"feature": feature, "code": exc.code}) from None
    return saved


@dataclass
class DryRun:
    """Probabilities for pseudonymous applicants from a people file; nothing is stored."""

    applicants: int
    seats: int
    probabilities: dict[str, float]
    min_probability: float
    max_probability: float
    #: Remarks on the files, as the command line prints them (e.g. a file read as Windows-1252).
    notes: list = field(default_factory=list)
    #: People of an "already selected" file: they left the pool, their seats and answers count
    #: against the quotas (``seats`` is then what is still to draw).
    already_selected: int = 0

    def csv(self) -> str:
        out = io.StringIO()
        write_probabilities_csv(self.probabilities, out)
        return out.getvalue()


def dry_run_files(event: Event, people: bytes | str, categories: bytes | str | None = None,
                  seats: int | None = None, already: bytes | str | None = None) -> tuple[SortitionFiles, int]:
    """Read the files of a dry run and check them (quick: no distribution is computed), so the
    page reports a bad file at once; :func:`dry_run` computes on what this returns.

    :param already: an "already selected" file in the people file's format (as
        ``flask lottery probabilities --already-selected``): they leave the pool, and their seats
        and answers count against the quotas
        (:func:`~app.lottery.sortition_csv.exclude_already_selected`).
    :return: the files read against the event's quotas (or the categories file), and the seats
        still to draw.
    :raises LotteryError: ``csv_format`` (row-level), ``too_few``, ``bad_quota``, ...
    """
    seats = seats or event.seats
    notes: list = []
    quotas, flex = read_categories(categories, notes=notes) if categories else (event_quotas(event), {})
    applicants = read_people_csv(people, quotas or None, notes=notes)
    files = SortitionFiles(applicants, quotas, flex, notes)
    if already:
        files, seats = exclude_already_selected(files, already, seats)
    build_pool(files.applicants, files.quotas, seats)  # the instance's own checks (too few people, bad quotas)
    return files, seats


def dry_run(event: Event, people: bytes | str, categories: bytes | str | None = None,
            seats: int | None = None, progress: Progress | None = None,
            already: bytes | str | None = None) -> DryRun:
    """Leximin probabilities for the people of a Sortition Foundation file, against the
    event's quotas (or a categories file); stores nothing. The web dry-run runs it as a job
    (app/lottery/jobs.py, ``progress`` reports how far it got).

    :raises LotteryError: as :func:`dry_run_files`, and ``infeasible``, ``solver``.
    """
    files, left = dry_run_files(event, people, categories, seats, already)
    applicants = files.applicants
    distribution = files_distribution(files, left, progress=progress)
    by_pseudonym = distribution.probabilities
    return DryRun(len(applicants), left, {a.pseudonym: by_pseudonym[a.pseudonym] for a in applicants},
                  distribution.min_probability, distribution.max_probability, files.notes,
                  (seats or event.seats) - left)


def dry_run_to_json(result: DryRun, translate) -> dict[str, Any]:
    """What the dry-run job stores; ``translate(note)`` gives a note in every language."""
    return {"applicants": result.applicants, "seats": result.seats,
            "min": result.min_probability, "max": result.max_probability,
            # pairs, not an object: the job's JSON sorts keys, the table keeps the file's order
            "probabilities": [[p, value] for p, value in result.probabilities.items()],
            "notes": [translate(note) for note in result.notes], "already_selected": result.already_selected}


def dry_run_from_json(data: dict[str, Any], language: str) -> DryRun:
    """The stored dry run, its notes in ``language`` (or the first language stored)."""
    notes = [texts.get(language) or next(iter(texts.values()), "") for texts in data.get("notes", [])]
    return DryRun(data["applicants"], data["seats"], {p: value for p, value in data["probabilities"]},
                  data["min"], data["max"], notes, data.get("already_selected", 0))


def vacancies(draw: LotteryDraw) -> FillResult:
    """Read-only: how many seats are free now and, if nobody on the waiting list fits, which quota blocks.

    Seats of withdrawn applications count as free (they are refilled by :func:`process_draw`).
    """
    result = FillResult()
    if draw.state != DrawState.DRAWN.value:
        return result
    entries = _entries(draw)
    seated = [e for e in entries if e.holds_seat and e.application is not None
              and e.application.status != ApplicationStatus.WITHDRAWN.value]
    result.free = draw.seats - len(seated)
    if result.free <= 0:
        return result
    candidates = sorted((e for e in entries if e.rank is not None and e.seat_since is None and _available(e)),
                        key=lambda e: e.rank)
    if not candidates:
        result.blocked = LotteryError("no_replacement", _l("Nobody is left on the waiting list."))
        return result
    record = draw.record
    try:
        find_replacement([e.pseudonym for e in seated], [e.pseudonym for e in candidates],
                         record_answers(record), record_quotas(record),
                         draw.seats, record.get("households"))
    except LotteryError as exc:
        if exc.code != "no_replacement":
            raise
        result.blocked = apply_labels(exc, _labels(draw.event))
    return result


@dataclass(frozen=True)
class Release:
    """A seat given up or a waiting applicant passed over, as the public page lists it."""

    pseudonym: str
    held_seat: bool
    reason: str
    at: datetime
    channel: str | None


def releases_of(draw: LotteryDraw) -> list[Release]:
    """Every decline, lapse and withdrawal the record holds, in time order, replaced or not: a seat
    given up at its own time, a waiting applicant passed over at the time of the replacement that
    skipped them (the time the audit's evidence gives)."""
    skipped_at = {p: r.created_at for r in draw.replacements for p in r.skipped}
    found = [Release(e.pseudonym, e.seat_since is not None, e.release_reason, e.released_at or skipped_at[e.pseudonym],
                     e.release_channel)
             for e in draw.entries
             if e.release_reason and (e.released_at is not None or e.pseudonym in skipped_at)]
    return sorted(found, key=lambda r: (r.at, r.pseudonym))


def entries_in_order(draw: LotteryDraw) -> list[LotteryEntry]:
    """The draw's entries: seat holders (by when they got the seat), then the waiting list by rank."""
    return sorted(_entries(draw), key=lambda e: (e.rank is not None, e.rank or 0, e.seat_since or utcnow(),
                                                e.pseudonym))
