"""The representativeness report: per criterion option, the share among applicants, the selected,
confirmed participants, those let in at the event and the population.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from app.core import signals
from app.events.models import ApplicationStatus, Event
from app.extensions import db
from app.lottery.audit import record_answers
from app.lottery.base import answers_of, current_draw, entries_of, pool_applications
from app.lottery.models import DrawState, LotteryDraw


#: The groups compared, in the order of the report's columns.
GROUPS = ("applicants", "selected", "confirmed", "attended", "population")


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
        for entry in entries_of(draw):
            person = answers.get(entry.pseudonym, {})
            members["applicants"].append(person)
            if entry.seat_since is not None and entry.rank is None:
                members["selected"].append(person)
            if entry.application is not None and entry.application.status == ApplicationStatus.CONFIRMED.value:
                members["confirmed"].append(person)
            if attended_ids is not None and entry.application_id in attended_ids:
                members["attended"].append(person)
    else:
        members["applicants"] = [answers_of(app) for app in pool_applications(event)]
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
