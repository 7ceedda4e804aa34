"""The preview: every applicant's exact selection probability before anything is stored, and
its form as a job stores it (app/lottery/jobs.py).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale

from app.events.models import Event
from app.jobs.services import translations
from app.lottery.algorithm import Applicant, Progress, leximin_distribution
from app.lottery.base import answers_of, event_households, event_quotas, labels_of, pool_applications, time_limit
from app.lottery.errors import LotteryError
from app.lottery.explain import apply_labels, change_text, conflict_text, infeasible_headline


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
    labels = labels_of(event)
    counts = Counter((a.criterion.key, a.option.value) for app in applications for a in app.answers)
    quota_rows = [QuotaRow(c.label, o.label, o.min_seats, o.max_seats, counts[(c.key, o.value)])
                  for c in event.criteria for o in c.options]
    result = Preview(len(applications), event.seats, quota_rows)
    applicants = [Applicant(f"#{app.id}", answers_of(app)) for app in applications]
    households = event_households(event, {app.id: f"#{app.id}" for app in applications}, applications)
    try:
        distribution = leximin_distribution(applicants, event_quotas(event), event.seats, progress=progress,
                                            households=households, time_limit=time_limit())
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
