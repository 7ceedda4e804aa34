"""The event's side of Sortition Foundation files: export, import of categories, the dry run.

The file format itself (pure, no database) is :mod:`app.lottery.sortition_csv`.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from app.events import services as event_services
from app.events.models import Criterion, Event
from app.lottery.algorithm import Applicant, Progress, build_pool
from app.lottery.audit import record_applicants
from app.lottery.base import answers_of, current_draw, event_quotas, pool_applications
from app.lottery.errors import LotteryError
from app.lottery.sortition_csv import (
    SortitionFiles, exclude_already_selected, files_distribution, read_categories, read_people_csv,
    write_categories_csv, write_people_csv, write_probabilities_csv,
)


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
        applicants = [Applicant(f"application-{app.id}", answers_of(app)) for app in pool_applications(event)]
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
