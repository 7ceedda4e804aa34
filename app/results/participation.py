"""The participation funnel: applications, seats, check-in and voters per event and per criterion option."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from app.events.models import Application, ApplicationAnswer, ApplicationStatus, Criterion, CriterionOption, Event
from app.extensions import db
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry
from app.voting.models import Channel, Dot, Ticket


#: Applications whose email is confirmed (or that staff entered) and that were not withdrawn before the draw.
VALID_APPLICATION_STATUSES = tuple(s.value for s in ApplicationStatus if s is not ApplicationStatus.UNCONFIRMED)
#: Statuses that mean "given a seat at some point" even without a lottery entry.
SEATED_STATUSES = (ApplicationStatus.SELECTED.value, ApplicationStatus.CONFIRMED.value,
                   ApplicationStatus.DECLINED.value)


@dataclass(frozen=True)
class Participation:
    """How many people took part in one event, step by step (the participation funnel).

    :ivar applications: every application (email confirmed or not).
    :ivar valid: applications with a confirmed email (or entered by staff).
    :ivar selected: applicants given a seat, by the draw or later as a replacement.
    :ivar seat_confirmed: applicants who confirmed their seat.
    :ivar checked_in: room tickets checked in at the door (walk-ins included).
    :ivar walk_ins: of those, tickets issued at the door.
    :ivar room_voters: room tickets with at least one dot.
    :ivar online_voters: online tickets with at least one dot.
    """

    event_id: int
    seats: int = 0
    applications: int = 0
    valid: int = 0
    selected: int = 0
    seat_confirmed: int = 0
    checked_in: int = 0
    walk_ins: int = 0
    room_voters: int = 0
    online_voters: int = 0

    @property
    def voters(self) -> int:
        return self.room_voters + self.online_voters


def _seat_given():
    """Outer-join target and condition: the applicant's entry in the event's current draw."""
    entry = sa.orm.aliased(LotteryEntry, name="seat_entry")
    draw = sa.orm.aliased(LotteryDraw, name="seat_draw")
    seated = sa.or_(Application.status.in_(SEATED_STATUSES), entry.seat_since.is_not(None))
    return entry, draw, seated


def participation(event_ids: Sequence[int]) -> dict[int, Participation]:
    """The participation funnel of each event (four queries, whatever the number of events).

    :return: ``{event_id: Participation}`` for every id given (zeros where nothing happened).
    """
    ids = list(event_ids)
    if not ids:
        return {}
    values: dict[int, dict[str, int]] = {i: {} for i in ids}
    for event_id, seats in db.session.execute(sa.select(Event.id, Event.seats).where(Event.id.in_(ids))):
        values[event_id]["seats"] = seats
    entry, draw, seated = _seat_given()
    rows = db.session.execute(
        sa.select(Application.event_id, sa.func.count(Application.id),
                  sa.func.count(Application.id).filter(Application.status.in_(VALID_APPLICATION_STATUSES)),
                  sa.func.count(Application.id).filter(seated),
                  sa.func.count(Application.id).filter(Application.status == ApplicationStatus.CONFIRMED.value))
        .outerjoin(draw, sa.and_(draw.event_id == Application.event_id,
                                 draw.state != DrawState.SUPERSEDED.value))
        .outerjoin(entry, sa.and_(entry.draw_id == draw.id, entry.application_id == Application.id))
        .where(Application.event_id.in_(ids)).group_by(Application.event_id))
    for event_id, total, valid, selected, confirmed in rows:
        values[event_id].update(applications=total, valid=valid, selected=selected, seat_confirmed=confirmed)
    rows = db.session.execute(
        sa.select(Ticket.event_id,
                  sa.func.count(Ticket.id).filter(Ticket.checked_in_at.is_not(None)),
                  sa.func.count(Ticket.id).filter(Ticket.checked_in_at.is_not(None), Ticket.kind == "walk_in"))
        .where(Ticket.event_id.in_(ids), Ticket.channel == Channel.ROOM.value).group_by(Ticket.event_id))
    for event_id, checked_in, walk_ins in rows:
        values[event_id].update(checked_in=checked_in, walk_ins=walk_ins)
    # Tickets with a dot (EXISTS probes the dot's ticket index; no pass over all dots).
    rows = db.session.execute(
        sa.select(Ticket.event_id, Ticket.channel, sa.func.count(Ticket.id))
        .where(Ticket.event_id.in_(ids), sa.exists().where(Dot.ticket_id == Ticket.id))
        .group_by(Ticket.event_id, Ticket.channel))
    for event_id, channel, voters in rows:
        values[event_id][f"{channel}_voters"] = voters
    return {i: Participation(event_id=i, **v) for i, v in values.items()}


@dataclass(frozen=True)
class OptionParticipation:
    """The participation funnel of one criterion option (e.g. age band 18–29) of an event."""

    criterion_id: int
    criterion_label: str
    option_id: int
    option_label: str
    #: Share of the population with this answer (0..1), if the event recorded it.
    population_share: float | None
    valid: int = 0
    selected: int = 0
    seat_confirmed: int = 0
    checked_in: int = 0


def participation_by_option(event_id: int) -> list[OptionParticipation]:
    """Per criterion option of the event: valid applications, selected, seats confirmed,
    checked in (two queries), in the order of the criteria and options."""
    entry, draw, seated = _seat_given()
    counts = {row[0]: row[1:] for row in db.session.execute(
        sa.select(ApplicationAnswer.option_id,
                  sa.func.count(Application.id),
                  sa.func.count(Application.id).filter(seated),
                  sa.func.count(Application.id).filter(Application.status == ApplicationStatus.CONFIRMED.value),
                  sa.func.count(Ticket.id).filter(Ticket.checked_in_at.is_not(None)))
        .join(Application, Application.id == ApplicationAnswer.application_id)
        .outerjoin(draw, sa.and_(draw.event_id == Application.event_id,
                                 draw.state != DrawState.SUPERSEDED.value))
        .outerjoin(entry, sa.and_(entry.draw_id == draw.id, entry.application_id == Application.id))
        .outerjoin(Ticket, Ticket.application_id == Application.id)
        .where(Application.event_id == event_id, Application.status.in_(VALID_APPLICATION_STATUSES))
        .group_by(ApplicationAnswer.option_id))}
    options = db.session.execute(
        sa.select(Criterion.id, Criterion.label, CriterionOption.id, CriterionOption.label,
                  CriterionOption.population_share)
        .join(CriterionOption, CriterionOption.criterion_id == Criterion.id)
        .where(Criterion.event_id == event_id)
        .order_by(Criterion.position, Criterion.id, CriterionOption.position, CriterionOption.id))
    result = []
    for criterion_id, criterion_label, option_id, option_label, share in options:
        valid, selected, confirmed, checked_in = counts.get(option_id, (0, 0, 0, 0))
        result.append(OptionParticipation(criterion_id, criterion_label, option_id, option_label, share,
                                          valid, selected, confirmed, checked_in))
    return result
