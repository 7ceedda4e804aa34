"""Processes, events and their criteria: creating, editing and the event's status.

The status of an event moves only by these explicit actions (see :data:`TRANSITIONS`)::

    draft  --open-->      open      (seats > 0, a complete application window that has not ended)
    open   --close-->     closed
    open   --to_draft-->  draft     (only while nobody has applied)
    closed --open-->      open      (reopen: only before the draw, same checks as opening)
    closed --(lottery)--> drawn     (:func:`mark_drawn`, called by the lottery, not a button)
    drawn  --mark_held--> held
    draft  --mark_held--> held      (only for events without seats: invitation-only workshops)
    held   --publish-->   published

Services flush; the view commits.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.audit.services import diff, log_action, snapshot
from app.core.domain import DomainError
from app.core import signals
from app.core.labels import register_labels
from app.core.security import MAX_ID
from app.core.models import utcnow
from app.core.text import clean_text
from app.events.models import Application, Criterion, CriterionOption, Event, EventStatus, Process
from app.extensions import db

MAX_SEATS = 10_000
MAX_RETENTION_DAYS = 3650
MAX_OPTIONS = 30
MAX_CRITERIA = 20
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")

EVENT_STATUS_LABELS = register_labels("event.status", {
    EventStatus.DRAFT.value: _l("Draft"),
    EventStatus.OPEN.value: _l("Open for applications"),
    EventStatus.CLOSED.value: _l("Applications closed"),
    EventStatus.DRAWN.value: _l("Seats drawn"),
    EventStatus.HELD.value: _l("Held"),
    EventStatus.PUBLISHED.value: _l("Results published"),
})


class EventError(DomainError):
    """A refused change to a process, an event or its criteria.

    :ivar message: translatable text for the user.
    :ivar code: stable identifier for tests and API clients.
    """

    def __init__(self, message, code: str):
        super().__init__(code, message)


# ------------------------------------------------------------------ processes


def create_process(title: str, description: str = "", stakeholder_groups: str = "", easy_summary: str = "") -> Process:
    """Create a participation process.

    :param stakeholder_groups: one group per line (offered when creating its events).
    :param easy_summary: a summary in Leichte Sprache (Markdown).
    :raises EventError: ``title_missing`` if the title is empty.
    """
    process = Process()
    _apply_process_fields(process, title, description, stakeholder_groups, easy_summary)
    db.session.add(process)
    db.session.flush()
    log_action("process.create", process, after=snapshot(process))
    return process


def update_process(process: Process, title: str, description: str = "", stakeholder_groups: str = "",
                   easy_summary: str = "") -> Process:
    """Change a process's title, description, stakeholder groups and Leichte-Sprache summary."""
    before = snapshot(process)
    _apply_process_fields(process, title, description, stakeholder_groups, easy_summary)
    db.session.flush()
    log_action("process.edit", process, **diff(before, process))
    return process


def _apply_process_fields(process: Process, title: str, description: str, stakeholder_groups: str,
                          easy_summary: str) -> None:
    title = clean_text(title)
    if not title:
        raise EventError(_l("Please enter a title."), "title_missing")
    groups = [clean_text(g) for g in clean_text(stakeholder_groups, multiline=True).splitlines()]
    process.title = title[:200]
    process.description = clean_text(description, multiline=True)
    process.easy_summary = clean_text(easy_summary, multiline=True)
    process.stakeholder_groups = "\n".join(dict.fromkeys(g[:120] for g in groups if g))


# ------------------------------------------------------------------ events


@dataclass
class EventData:
    """The editable fields of an event (times naive UTC)."""

    title: str
    description: str = ""
    easy_summary: str = ""
    place: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    seats: int = 0
    applications_open_at: datetime | None = None
    applications_close_at: datetime | None = None
    stakeholder_group: str = ""
    consent_text: str = ""
    retention_days: int = 90
    purge_unselected_early: bool = False
    lottery_one_per_household: bool = False
    invitation_only: bool = False

    @classmethod
    def from_event(cls, event: Event) -> EventData:
        return cls(**{f: getattr(event, f) for f in cls.__dataclass_fields__})


def create_event(process: Process, data: EventData) -> Event:
    """Create a draft event in ``process``.

    :raises EventError: if the data is inconsistent (see :func:`update_event`).
    """
    _validate_event_data(data)
    event = Event(process=process, status=EventStatus.DRAFT.value)
    _apply_event_data(event, data)
    db.session.add(event)
    db.session.flush()
    log_action("event.create", event, after=snapshot(event))
    return event


def update_event(event: Event, data: EventData) -> Event:
    """Change an event's fields.

    Once the seats are drawn, seats and application window stay as they were
    (the draw depended on them). An open event must stay openable, and the
    criteria must still fit the number of seats.

    :raises EventError: ``end_before_start``, ``window_order``, ``seats_range``,
        ``retention_range``, ``locked_after_draw``, ``cannot_stay_open``, or a
        criteria code from :func:`check_criteria_fit`.
    """
    _validate_event_data(data)
    if event.status in (EventStatus.DRAWN.value, EventStatus.HELD.value, EventStatus.PUBLISHED.value):
        if (data.seats != event.seats or data.applications_open_at != event.applications_open_at
                or data.applications_close_at != event.applications_close_at):
            raise EventError(
                _l("Seats and application window cannot be changed after the seats have been drawn."),
                "locked_after_draw",
            )
    if event.status == EventStatus.OPEN.value:
        _check_can_open(data, code_prefix="cannot_stay_open")
    check_criteria_fit(event.criteria, data.seats)
    before = snapshot(event)
    _apply_event_data(event, data)
    db.session.flush()
    log_action("event.edit", event, **diff(before, event))
    return event


def _validate_event_data(data: EventData) -> None:
    if not clean_text(data.title):
        raise EventError(_l("Please enter a title."), "title_missing")
    if not isinstance(data.seats, int) or not 0 <= data.seats <= MAX_SEATS:
        raise EventError(_l("The number of seats must be between 0 and %(max)d.", max=MAX_SEATS), "seats_range")
    if not isinstance(data.retention_days, int) or not 0 <= data.retention_days <= MAX_RETENTION_DAYS:
        raise EventError(lazy_ngettext("The retention period must be between 0 and %(num)d day.",
                                       "The retention period must be between 0 and %(num)d days.", MAX_RETENTION_DAYS),
                         "retention_range")
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        raise EventError(_l("The event must end after it starts."), "end_before_start")
    if data.ends_at and not data.starts_at:
        raise EventError(_l("Please enter when the event starts."), "start_missing")
    if (data.applications_open_at and data.applications_close_at
            and data.applications_close_at <= data.applications_open_at):
        raise EventError(_l("The application window must close after it opens."), "window_order")
    if data.applications_close_at and data.starts_at and data.applications_close_at > data.starts_at:
        raise EventError(_l("The application window must close before the event starts."), "window_after_start")


def _apply_event_data(event: Event, data: EventData) -> None:
    event.title = clean_text(data.title)[:200]
    event.description = clean_text(data.description, multiline=True)
    event.easy_summary = clean_text(data.easy_summary, multiline=True)
    event.place = clean_text(data.place)[:300]
    event.starts_at = data.starts_at
    event.ends_at = data.ends_at
    event.seats = data.seats
    event.applications_open_at = data.applications_open_at
    event.applications_close_at = data.applications_close_at
    event.stakeholder_group = clean_text(data.stakeholder_group)[:120]
    event.consent_text = clean_text(data.consent_text, multiline=True)
    event.retention_days = data.retention_days
    event.purge_unselected_early = bool(data.purge_unselected_early)
    event.lottery_one_per_household = bool(data.lottery_one_per_household)
    event.invitation_only = bool(data.invitation_only)


# ------------------------------------------------------------------ status


#: action → (allowed from statuses, resulting status). ``mark_drawn`` is for the lottery only.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "open": (frozenset({EventStatus.DRAFT.value, EventStatus.CLOSED.value}), EventStatus.OPEN.value),
    "close": (frozenset({EventStatus.OPEN.value}), EventStatus.CLOSED.value),
    "to_draft": (frozenset({EventStatus.OPEN.value}), EventStatus.DRAFT.value),
    "mark_held": (frozenset({EventStatus.DRAWN.value, EventStatus.DRAFT.value}), EventStatus.HELD.value),
    "publish": (frozenset({EventStatus.HELD.value}), EventStatus.PUBLISHED.value),
}

ACTION_LABELS = register_labels("event.transition", {
    "open": _l("Open applications"),
    "close": _l("Close applications"),
    "to_draft": _l("Back to draft"),
    "mark_held": _l("Mark as held"),
    "publish": _l("Publish results"),
})


def application_count(event: Event) -> int:
    """All applications of the event, in any status (unconfirmed included)."""
    return db.session.execute(
        sa.select(sa.func.count(Application.id)).where(Application.event_id == event.id)
    ).scalar_one()


def available_actions(event: Event) -> list[str]:
    """The admin actions that could apply to the event's current status (checks may still refuse)."""
    actions = [a for a, (sources, _) in TRANSITIONS.items() if event.status in sources]
    if event.status == EventStatus.DRAFT.value and "mark_held" in actions and event.seats > 0:
        actions.remove("mark_held")
    return actions


def change_status(event: Event, action: str, now: datetime | None = None) -> Event:
    """Move the event to the next status by an admin action.

    :param action: a key of :data:`TRANSITIONS`.
    :param now: naive UTC "now" (for tests); default :func:`utcnow`.
    :raises EventError: ``unknown_action``, ``transition_not_allowed``, ``no_seats``,
        ``no_window``, ``window_order``, ``window_over``, ``has_applications``,
        ``held_needs_no_seats``, ``not_yet_held``, a criteria code, or the code of a receiver of
        ``event_action`` (e.g. ``voting_open`` from the results feature).
    """
    if action not in TRANSITIONS:
        raise EventError(_l("This action is not known."), "unknown_action")
    sources, target = TRANSITIONS[action]
    if event.status not in sources:
        raise EventError(
            _l("This event is “%(status)s”; “%(action)s” is not possible now.",
               status=EVENT_STATUS_LABELS.get(event.status, event.status), action=ACTION_LABELS[action]),
            "transition_not_allowed",
        )
    if action == "open":
        _check_can_open(EventData.from_event(event), now=now or utcnow())
        check_criteria_fit(event.criteria, event.seats)
    elif action == "to_draft" and application_count(event):
        raise EventError(_l("Applications have been received: the event cannot go back to draft. "
                            "Close the applications instead."), "has_applications")
    elif action == "mark_held" and event.status == EventStatus.DRAFT.value and event.seats > 0:
        raise EventError(_l("An event with seats is held only after its seats have been drawn."),
                         "held_needs_no_seats")
    elif action == "mark_held" and event.starts_at is not None and (now or utcnow()) < event.starts_at:
        # "Held" ends the seat answers and opens the way to the results: not before the event has begun.
        raise EventError(_l("The event has not begun yet. Mark it as held once it has taken place."),
                         "not_yet_held")
    # Other features may refuse the action (the signal ``event_action``; results: not while voting is open).
    signals.event_action.send(event, action=action)
    before = event.status
    event.status = target
    db.session.flush()
    # Publishing the results is the one status change the audit log names on its own.
    log_action("results.publish" if action == "publish" else "event.status", event,
               before={"status": before}, after={"status": target}, detail=action)
    return event


def mark_drawn(event: Event) -> Event:
    """Record that the lottery has drawn the seats: closed → drawn.

    :raises EventError: ``transition_not_allowed`` unless the event is closed.
    """
    if event.status != EventStatus.CLOSED.value:
        raise EventError(_l("Only an event whose applications are closed can be drawn."), "transition_not_allowed")
    event.status = EventStatus.DRAWN.value
    db.session.flush()
    log_action("event.status", event, before={"status": EventStatus.CLOSED.value},
               after={"status": EventStatus.DRAWN.value}, detail="mark_drawn")
    return event


def _check_can_open(data: EventData, now: datetime | None = None, code_prefix: str = "") -> None:
    def fail(message, code):
        raise EventError(message, code_prefix or code)

    if data.seats <= 0:
        fail(_l("An event without seats cannot open for applications. Enter the number of seats first."), "no_seats")
    if not data.applications_open_at or not data.applications_close_at:
        fail(_l("Enter when applications open and close before opening the event."), "no_window")
    if data.applications_close_at <= data.applications_open_at:
        fail(_l("The application window must close after it opens."), "window_order")
    if now is not None and data.applications_close_at <= now:
        fail(_l("The application window has already ended. Set a later closing time first."), "window_over")


def window_state(event: Event, now: datetime | None = None) -> str:
    """Where the event's application window is: ``not_yet``, ``open`` or ``closed``.

    Only an event in status *open* accepts applications, and only inside its window.
    """
    now = now or utcnow()
    if event.status != EventStatus.OPEN.value or not event.applications_open_at or not event.applications_close_at:
        return "closed"
    if now < event.applications_open_at:
        return "not_yet"
    if now < event.applications_close_at:
        return "open"
    return "closed"


# ------------------------------------------------------------------ criteria


@dataclass
class OptionData:
    label: str
    value: str = ""
    min_seats: int = 0
    #: None: up to all seats.
    max_seats: int | None = None
    #: Percent (0..100) as entered; stored as a fraction.
    population_percent: float | None = None


def criteria_locked_reason(event: Event):
    """Why the criteria can no longer change, or None if they can.

    Applicants' answers refer to the options, so the criteria are fixed as soon
    as anybody has applied (even unconfirmed), and after the applications close.
    """
    if event.status not in (EventStatus.DRAFT.value, EventStatus.OPEN.value):
        return _l("The criteria cannot be changed any more: the applications for this event are closed.")
    if application_count(event):
        return _l("The criteria cannot be changed any more: applications have already been received "
                  "and refer to them.")
    return None


def _check_unlocked(event: Event) -> None:
    reason = criteria_locked_reason(event)
    if reason:
        raise EventError(reason, "criteria_locked")


def slugify(text: str) -> str:
    """A stable short name from a label: ``"Über 65 Jahre"`` → ``"uber-65-jahre"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60]


def save_criterion(event: Event, label: str, key: str, options: list[OptionData],
                   criterion: Criterion | None = None) -> Criterion:
    """Create (``criterion=None``) or replace a criterion with its options.

    Options are matched to existing ones by their value, so their ids stay.

    :raises EventError: ``criteria_locked``, ``label_missing``, ``key_invalid``,
        ``key_taken``, ``too_few_options``, ``too_many_options``, ``option_invalid``,
        ``value_taken``, or a code of :func:`check_criteria_fit`.
    """
    _check_unlocked(event)
    label = clean_text(label)
    if not label:
        raise EventError(_l("Please enter the question for this criterion."), "label_missing")
    label = label[:200]
    key = clean_text(key).lower() or slugify(label)
    if not KEY_PATTERN.match(key):
        raise EventError(_l("Criterion “%(label)s”: the short name may only contain lower-case letters, "
                            "digits, “-” and “_” (at most 60).", label=label), "key_invalid")
    taken = db.session.execute(
        sa.select(Criterion.id).where(Criterion.event_id == event.id, Criterion.key == key)
    ).scalar_one_or_none()
    if taken is not None and (criterion is None or taken != criterion.id):
        raise EventError(_l("Criterion “%(label)s”: the short name “%(key)s” is already used by another "
                            "criterion of this event.", label=label, key=key), "key_taken")
    if criterion is None and len(event.criteria) >= MAX_CRITERIA:
        raise EventError(lazy_ngettext("An event can have at most %(num)d criterion.",
                                       "An event can have at most %(num)d criteria.", MAX_CRITERIA), "too_many_criteria")

    cleaned = _clean_options(label, options)
    check_criterion_fits(label, cleaned, event.seats)

    action = "criterion.create" if criterion is None else "criterion.edit"
    before = criterion_snapshot(criterion) if criterion is not None else None
    if criterion is None:
        criterion = Criterion(event=event, position=len(event.criteria) + 1)
        db.session.add(criterion)
    criterion.label = label
    criterion.key = key
    existing = {o.value: o for o in criterion.options}
    kept = []
    for position, data in enumerate(cleaned, start=1):
        option = existing.pop(data.value, None) or CriterionOption(value=data.value)
        option.label = data.label
        option.min_seats = data.min_seats
        option.max_seats = data.max_seats
        option.population_share = (None if data.population_percent is None
                                   else round(data.population_percent / 100, 6))
        option.position = position
        kept.append(option)
    criterion.options = kept
    db.session.flush()
    after = criterion_snapshot(criterion)
    log_action(action, criterion, **(diff(before, after) if before is not None else {"after": after}))
    return criterion


def criterion_snapshot(criterion: Criterion) -> dict:
    """A criterion with its options, for the audit log."""
    return {
        "label": criterion.label, "key": criterion.key,
        "options": [{"value": o.value, "label": o.label, "min_seats": o.min_seats, "max_seats": o.max_seats,
                     "population_share": o.population_share} for o in criterion.options],
    }


def delete_criterion(criterion: Criterion) -> None:
    """Remove a criterion and its options.

    :raises EventError: ``criteria_locked``.
    """
    event = criterion.event
    _check_unlocked(event)
    log_action("criterion.delete", criterion, before=criterion_snapshot(criterion))
    event.criteria.remove(criterion)
    db.session.delete(criterion)
    for position, other in enumerate(event.criteria, start=1):
        other.position = position
    db.session.flush()


def _clean_options(label: str, options: list[OptionData]) -> list[OptionData]:
    cleaned: list[OptionData] = []
    seen: set[str] = set()
    for data in options:
        opt_label = clean_text(data.label)[:200]
        if not opt_label:
            continue  # an empty row of the form
        value = clean_text(data.value).lower() or slugify(opt_label) or str(len(cleaned) + 1)
        if not KEY_PATTERN.match(value):
            raise EventError(_l("Criterion “%(label)s”, option “%(option)s”: the short name may only contain "
                                "lower-case letters, digits, “-” and “_” (at most 60).",
                                label=label, option=opt_label), "option_invalid")
        if value in seen:
            raise EventError(_l("Criterion “%(label)s”: two options have the short name “%(value)s”.",
                                label=label, value=value), "value_taken")
        seen.add(value)
        for number in (data.min_seats, data.max_seats):
            if number is not None and (not isinstance(number, int) or not 0 <= number <= MAX_SEATS):
                raise EventError(_l("Criterion “%(label)s”, option “%(option)s”: seat numbers must be between "
                                    "0 and %(max)d.", label=label, option=opt_label, max=MAX_SEATS),
                                 "option_invalid")
        share = data.population_percent
        if share is not None and (not isinstance(share, (int, float)) or not math.isfinite(share)
                                  or not 0 <= share <= 100):
            raise EventError(_l("Criterion “%(label)s”, option “%(option)s”: the population share must be "
                                "between 0 and 100 %%.", label=label, option=opt_label), "option_invalid")
        cleaned.append(OptionData(opt_label, value, data.min_seats or 0, data.max_seats,
                                  None if share is None else float(share)))
    if len(cleaned) < 2:
        raise EventError(_l("Criterion “%(label)s” needs at least two options.", label=label), "too_few_options")
    if len(cleaned) > MAX_OPTIONS:
        raise EventError(lazy_ngettext("Criterion “%(label)s” can have at most %(num)d option.",
                                       "Criterion “%(label)s” can have at most %(num)d options.", MAX_OPTIONS,
                                       label=label),
                         "too_many_options")
    return cleaned


def check_criterion_fits(label: str, options: list[OptionData] | list[CriterionOption], seats: int) -> None:
    """Refuse quotas that no draw could ever meet, naming the criterion.

    :raises EventError: ``min_above_max``, ``min_sum_above_seats``, ``max_sum_below_seats``,
        ``shares_above_100``.
    """
    for option in options:
        if option.max_seats is not None and option.min_seats > option.max_seats:
            raise EventError(_l("Criterion “%(label)s”, option “%(option)s”: the minimum (%(min)d) is above the "
                                "maximum (%(max)d).", label=label, option=option.label,
                                min=option.min_seats, max=option.max_seats), "min_above_max")
    minimum = sum(o.min_seats for o in options)
    if minimum > seats:
        raise EventError(lazy_ngettext("Criterion “%(label)s”: the minimums add up to %(num)d seat, but the event has "
                                       "only %(seats)d.",
                                       "Criterion “%(label)s”: the minimums add up to %(num)d seats, but the event has "
                                       "only %(seats)d.", minimum, label=label, seats=seats), "min_sum_above_seats")
    maximum = sum(seats if o.max_seats is None else min(o.max_seats, seats) for o in options)
    if seats and maximum < seats:
        raise EventError(lazy_ngettext("Criterion “%(label)s”: the maximums add up to only %(num)d seat, but the event "
                                       "has %(seats)d.",
                                       "Criterion “%(label)s”: the maximums add up to only %(num)d seats, but the event "
                                       "has %(seats)d.", maximum, label=label, seats=seats), "max_sum_below_seats")
    shares = [_percent(o) for o in options]
    total = sum(s for s in shares if s is not None)
    if total > 100.0001:
        raise EventError(_l("Criterion “%(label)s”: the population shares add up to %(total)s %%, more than "
                            "100 %%.", label=label, total=f"{total:.1f}".rstrip("0").rstrip(".")),
                         "shares_above_100")


def _percent(option) -> float | None:
    if isinstance(option, OptionData):
        return option.population_percent
    return None if option.population_share is None else option.population_share * 100


def check_criteria_fit(criteria: list[Criterion], seats: int) -> None:
    """Check every criterion of an event against a (new) number of seats."""
    for criterion in criteria:
        check_criterion_fits(criterion.label, criterion.options, seats)


# ------------------------------------------------------------------ queries for pages


def public_event(event_id: int) -> Event | None:
    """The event, if the public may see it (every status but draft); else None (one query)."""
    event = db.session.get(Event, event_id) if 0 < event_id <= MAX_ID else None
    return event if event is not None and event.status != EventStatus.DRAFT.value else None


def public_event_or_404(event_id: int) -> Event:
    """:func:`public_event` for a public page: drafts do not exist for the public (404)."""
    event = public_event(event_id)
    if event is None:
        abort(404)
    return event


def list_processes() -> list[Process]:
    """Every process, newest first (the start page lists them)."""
    return db.session.execute(sa.select(Process).order_by(Process.created_at.desc())).scalars().all()


#: The events the public may see: every status but draft (the one rule; :func:`public_event`).
PUBLIC_EVENT = Event.status != EventStatus.DRAFT.value
#: The order in which the public sees them: by start, undated last.
PUBLIC_EVENT_ORDER = (Event.starts_at.is_(None), Event.starts_at, Event.id)


def public_events(process: Process | None = None) -> list[Event]:
    """The public events of the process (or of every process, for the API), by start."""
    stmt = sa.select(Event).where(PUBLIC_EVENT)
    if process is not None:
        stmt = stmt.where(Event.process_id == process.id)
    return db.session.execute(stmt.order_by(*PUBLIC_EVENT_ORDER)).scalars().all()


def public_event_ids(process_ids: list[int]) -> dict[int, list[int]]:
    """Ids of the public events of each process, by start, in one query."""
    found: dict[int, list[int]] = {pid: [] for pid in process_ids}
    if not process_ids:
        return found
    rows = db.session.execute(sa.select(Event.process_id, Event.id)
                              .where(Event.process_id.in_(process_ids), PUBLIC_EVENT).order_by(*PUBLIC_EVENT_ORDER))
    for process_id, event_id in rows:
        found[process_id].append(event_id)
    return found


def split_upcoming(events: list[Event], now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """(upcoming, past): past events are those that have ended (or started, without an end), newest first."""
    now = now or utcnow()
    past = [e for e in events if (e.ends_at or e.starts_at) and (e.ends_at or e.starts_at) < now]
    upcoming = [e for e in events if e not in past]
    past.sort(key=lambda e: e.starts_at, reverse=True)
    return upcoming, past
