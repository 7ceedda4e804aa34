"""Representativeness across the stages of a citizens' council drawn from the register (issue 17).

register → invited → answered → drawn (a seat in the lottery) → confirmed → attended (checked in),
per option of each event criterion, and the answer rate per stratum of the invitation draw, so the
city sees whom it did not reach.

Counted with a bounded number of GROUP BY queries (at most ten, whatever the register's size):
the register and the invited per register value (district, gender, date or year of birth; the
values are then mapped to the criterion's options with the rules of the answer form,
:func:`app.invitations.answering.register_option`), the later stages per answered option.

After the register data is deleted (retention), the register and the invited can no longer be
split by option; what stays is counted: the invitations with their stratum, the register's strata
in the draw's pseudonymous audit record, and the invitees' applications with their answers.
Only invitees count in the later stages: open applicants of a mixed event are left out.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from app.core import signals
from app.events.models import Application, ApplicationAnswer, ApplicationStatus, Event
from app.extensions import db
from app.invitations import answering, stage1
from app.invitations.models import (
    ExtractState,
    Invitation,
    InvitationDraw,
    InvitationDrawState,
    InvitationState,
    RegisterExtract,
    RegisterPerson,
)
from app.invitations.services import active_draw
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry

#: The stages, in order; the first two come from the register.
STAGES = ("register", "invited", "answered", "drawn", "confirmed", "attended")
LATER_STAGES = STAGES[2:]
#: Column headings and legend texts ("stage": "Drawn" and "Attended" have other meanings elsewhere).
STAGE_LABELS = {
    "register": _l("Residents' register"),
    "invited": _l("Invited"),
    "answered": _l("Answered"),
    "drawn": lazy_pgettext("stage", "Drawn"),
    "confirmed": _l("Confirmed"),
    "attended": lazy_pgettext("stage", "Attended"),
}

#: Register field → the RegisterPerson columns grouped by.
_COLUMNS = {
    "district": (RegisterPerson.district,),
    "gender": (RegisterPerson.gender,),
    "age": (RegisterPerson.birth_date, RegisterPerson.birth_year),
}


@dataclass
class StageOption:
    label: str
    value: str
    #: stage → count (None: not known, e.g. the register after deletion or a criterion it does not hold).
    counts: dict[str, int | None]
    #: stage → share of the stage's total (None: not known or the stage is empty).
    shares: dict[str, float | None]


@dataclass
class StageCriterion:
    label: str
    key: str
    #: The register field that answers it (district, gender, age), or None (asked of the invitee).
    register_field: str | None
    options: list[StageOption]
    #: stage → people of the stage in no option (register value unknown or not matching; no answer).
    unassigned: dict[str, int | None]


@dataclass
class StratumRate:
    stratum: str
    #: Residents in the stratum (from the draw's pseudonymous record; stays after deletion).
    register: int
    invited: int
    answered: int

    @property
    def rate(self) -> float | None:
        """The answer rate: answered / invited."""
        return self.answered / self.invited if self.invited else None


@dataclass
class Stages:
    draw: InvitationDraw
    #: stage → number of people (None: not known).
    sizes: dict[str, int | None]
    criteria: list[StageCriterion]
    strata: list[StratumRate]
    #: The register rows are deleted (all, or those of some invitees): register and invited are
    #: no longer split by option.
    register_deleted: bool
    #: False while no feature reports check-ins (the attended column stays empty).
    attendance_known: bool
    #: False before the seat lottery was drawn.
    lottery_drawn: bool

    @property
    def answer_rate(self) -> float | None:
        return self.sizes["answered"] / self.sizes["invited"] if self.sizes["invited"] else None


def _drawn_draw(event: Event) -> InvitationDraw | None:
    draw_row = active_draw(event)
    return draw_row if draw_row is not None and draw_row.state == InvitationDrawState.DRAWN.value else None


def _lottery_draw_id(event: Event) -> int | None:
    return db.session.execute(
        sa.select(LotteryDraw.id).where(LotteryDraw.event_id == event.id, LotteryDraw.state == DrawState.DRAWN.value)
    ).scalar_one_or_none()


def _later_counts(draw_row: InvitationDraw, lottery_id: int | None, attended: set[int] | None,
                  by_option: bool) -> list[tuple]:
    """(option_id,) + counts answered, drawn, confirmed, attended of the invitees (one GROUP BY)."""
    seat = sa.and_(LotteryEntry.id.is_not(None), LotteryEntry.seat_since.is_not(None), LotteryEntry.rank.is_(None))
    confirmed = Application.status == ApplicationStatus.CONFIRMED.value
    came = Application.id.in_(sorted(attended)) if attended else sa.false()
    counts = (sa.func.count(Application.id), sa.func.count(Application.id).filter(seat),
              sa.func.count(Application.id).filter(confirmed), sa.func.count(Application.id).filter(came))
    query = (sa.select(ApplicationAnswer.option_id, *counts) if by_option else sa.select(*counts))
    query = query.select_from(Invitation).join(Application, Application.id == Invitation.application_id)
    if by_option:
        query = query.join(ApplicationAnswer, ApplicationAnswer.application_id == Application.id)
    query = query.outerjoin(LotteryEntry, sa.and_(LotteryEntry.application_id == Application.id,
                                                  LotteryEntry.draw_id == (lottery_id or -1)))
    query = query.where(Invitation.draw_id == draw_row.id, Invitation.state == InvitationState.ANSWERED.value)
    if by_option:
        query = query.group_by(ApplicationAnswer.option_id)
    return db.session.execute(query).all()


def _register_counts(extract: RegisterExtract, draw_row: InvitationDraw, name: str) -> list[tuple]:
    """(register values..., residents, invited) grouped by the register field ``name`` (one GROUP BY)."""
    columns = _COLUMNS[name]
    return db.session.execute(
        sa.select(*columns, sa.func.count(RegisterPerson.id), sa.func.count(Invitation.id))
        .select_from(RegisterPerson)
        .outerjoin(Invitation, sa.and_(Invitation.person_id == RegisterPerson.id, Invitation.draw_id == draw_row.id))
        .where(RegisterPerson.extract_id == extract.id).group_by(*columns)).all()


def _share(count: int | None, size: int | None) -> float | None:
    return count / size if count is not None and size else None


def stages(event: Event) -> Stages | None:
    """The stage-by-stage representativeness of ``event``'s invitation draw; None before a draw."""
    draw_row = _drawn_draw(event)
    if draw_row is None:
        return None
    extract = db.session.get(RegisterExtract, draw_row.extract_id) if draw_row.extract_id else None
    invited, with_person = db.session.execute(
        sa.select(sa.func.count(Invitation.id), sa.func.count(Invitation.person_id))
        .where(Invitation.draw_id == draw_row.id)).one()
    register_live = extract is not None and extract.state == ExtractState.IMPORTED.value
    register_deleted = not register_live or with_person < invited
    lottery_id = _lottery_draw_id(event)
    attended = signals.collected_ids(signals.attendance.send(event))

    answered, drawn, confirmed, came = _later_counts(draw_row, lottery_id, attended, by_option=False)[0]
    sizes: dict[str, int | None] = {
        "register": db.session.execute(sa.select(sa.func.count(RegisterPerson.id))
                                       .where(RegisterPerson.extract_id == extract.id)).scalar_one()
        if register_live else None,
        # Before the seat draw nobody can be drawn, confirmed or present: "–", not a 0 that reads as a result.
        "invited": invited, "answered": answered, "drawn": drawn if lottery_id else None,
        "confirmed": confirmed if lottery_id else None,
        "attended": came if attended is not None and lottery_id else None}
    later: dict[int, dict[str, int]] = {
        option_id: dict(zip(LATER_STAGES, values))
        for option_id, *values in _later_counts(draw_row, lottery_id, attended, by_option=True)}

    # Register and invited per option: one GROUP BY per register field a criterion uses.
    on = answering.reference_date(event)
    by_field: dict[str, list[tuple]] = {}
    if not register_deleted:
        for name in sorted({answering.register_field(c) for c in event.criteria} - {None}):
            by_field[name] = _register_counts(extract, draw_row, name)

    criteria = []
    for criterion in event.criteria:
        name = answering.register_field(criterion)
        register: Counter[int | None] = Counter()
        invited_by: Counter[int | None] = Counter()
        for *values, residents, letters in by_field.get(name, []):
            person = SimpleNamespace(**{"district": "", "gender": "", "birth_date": None, "birth_year": None,
                                        **{c.key: v for c, v in zip(_COLUMNS[name], values)}})
            option_id = answering.register_option(criterion, person, on)
            register[option_id] += residents
            invited_by[option_id] += letters
        known = name in by_field
        options = []
        for option in criterion.options:
            counts: dict[str, int | None] = {
                "register": register[option.id] if known else None,
                "invited": invited_by[option.id] if known else None}
            for stage in LATER_STAGES:
                counts[stage] = later.get(option.id, {}).get(stage, 0) if sizes[stage] is not None else None
            options.append(StageOption(option.label, option.value, counts,
                                       {s: _share(counts[s], sizes[s]) for s in STAGES}))
        unassigned = {s: (sizes[s] - sum(o.counts[s] for o in options))
                      if sizes[s] is not None and all(o.counts[s] is not None for o in options) else None
                      for s in STAGES}
        criteria.append(StageCriterion(criterion.label, criterion.key, name, options, unassigned))

    residents = Counter(entry["stratum"] for entry in draw_row.record.get("register", []))
    rates = []
    counts_by_stratum = stage1.invitation_counts(draw_row)
    for stratum in sorted(set(residents) | set(counts_by_stratum)):
        row = counts_by_stratum.get(stratum, {})
        rates.append(StratumRate(stratum, residents.get(stratum, 0), row.get("invited", 0), row.get("answered", 0)))
    return Stages(draw_row, sizes, criteria, rates, register_deleted, attended is not None, lottery_id is not None)
