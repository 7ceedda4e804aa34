"""The lottery's long work as background jobs (app/jobs): the preview, the commitment and the
web dry-run of Sortition Foundation files.

Both compute the leximin distribution (about a minute for a city's pool), so no request
computes it: the lottery page asks for a job (:func:`preview_job`, :func:`commit_job`) and
shows its progress. The job's key holds a hash of the pool (applicants, answers, quotas,
seats), so the same pool is computed once; the commitment is stored together with the
job's ``done`` (one transaction), so a job retried after a worker restart cannot publish a
second, different commitment.

The dry-run's page checks the uploaded files at once (:func:`app.lottery.sortition_files.dry_run_files`)
and queues :func:`dry_run_job` with the files in the job's parameters; the job computes the
probabilities, stores them (the result, and the CSV as the job's file) and then drops the
people file from its parameters.
"""
from __future__ import annotations

import base64
import time
from typing import Any

from flask import g, url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.events.models import Event
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.lottery.base import pool_hash
from app.lottery.commitment import check_commitment, check_public_value_source, next_attempt, publish_commitment
from app.lottery.preview import preview, preview_to_json
from app.lottery.sortition_files import dry_run, dry_run_to_json
from app.lottery.errors import LotteryError

PREVIEW = "lottery.preview"
COMMIT = "lottery.commit"
DRY_RUN = "lottery.dry_run"

#: Share of the progress bar each stage of the algorithm fills: (first, last) percent.
PREVIEW_STAGES = {"fairness": (5, 70), "panels": (70, 98)}
COMMIT_STAGES = {"fairness": (5, 50), "panels": (50, 85), "rounding": (85, 95)}


class _Progress:
    """The algorithm's ``progress(stage, fraction, minimum)`` as the job's ``report``, at most 4 times
    a second (each report is a database write), with the remaining time estimated from the rate so far."""

    def __init__(self, report, stages: dict[str, tuple[int, int]]) -> None:
        self.report, self.stages = report, stages
        self.started = time.monotonic()
        self.last: tuple[str, float] = ("", 0.0)

    def __call__(self, stage: str, fraction: float, minimum: float | None) -> None:
        now = time.monotonic()
        if stage == self.last[0] and now - self.last[1] < 0.25:
            return
        self.last = (stage, now)
        first, last = self.stages.get(stage, (0, 99))
        percent = first + (last - first) * max(0.0, min(1.0, fraction))
        detail: dict[str, Any] = {} if minimum is None else {"minimum": float(minimum)}
        self.report(stage, percent, **detail)


def _event(job: Job) -> Event:
    event = db.session.get(Event, job.event_id) if job.event_id else None
    if event is None:
        raise LotteryError("wrong_state", _l("The event no longer exists."))
    return event


def run_preview(job: Job, report) -> tuple[dict, None]:
    event = _event(job)
    report("pool", 2)
    result = preview(event, progress=_Progress(report, PREVIEW_STAGES))
    return preview_to_json(result), None


def run_commit(job: Job, report) -> tuple[dict, str]:
    event = _event(job)
    user = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
    g.audit_user = user
    params = job.params
    report("pool", 2)
    draw = publish_commitment(event, user, params["kind"], params.get("description", ""),
                              progress=_Progress(report, COMMIT_STAGES),
                              public_value_source=params.get("public_value_source", ""))
    # No report from here on: the session now holds the draw's rows (on SQLite the database's
    # write lock), and they are committed together with the job's "done".
    return {"draw_id": draw.id, "commitment": draw.commitment}, f"lottery_draw:{draw.id}"


def _unpack(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text else None


def run_dry_run(job: Job, report) -> tuple[dict, None]:
    event = _event(job)
    params = job.params
    report("pool", 2)
    result = dry_run(event, _unpack(params.get("people")), _unpack(params.get("categories")),
                     params.get("seats"), progress=_Progress(report, PREVIEW_STAGES),
                     already=_unpack(params.get("already")))
    # End the read before writing (SQLite: a reader that then writes can deadlock with the heartbeat).
    db.session.rollback()
    jobs.store_file(job, f"event-{job.event_id}-probabilities.csv", "text/csv", result.csv().encode("utf-8"))
    job.params_json = "{}"  # the people files are not kept once the probabilities are (committed with "done")
    return dry_run_to_json(result, jobs.translations), None


def _lottery_page(job: Job) -> str:
    return url_for("lottery.manage", event_id=job.event_id)


def _dry_run_page(job: Job) -> str:
    return url_for("lottery.files", event_id=job.event_id, job=job.id, _anchor="dry-run-result")


jobs.register_kind(PREVIEW, run_preview, _l("Lottery preview"), ("admin",), _lottery_page)
jobs.register_kind(COMMIT, run_commit, _l("Lottery commitment"), ("admin",), _lottery_page)
jobs.register_kind(DRY_RUN, run_dry_run, _l("Dry run with a people file"), ("admin",), _dry_run_page)


def _preview_key(event: Event) -> str:
    return f"{PREVIEW}:{event.id}:{pool_hash(event)}"


def preview_job(event: Event, user) -> Job:
    """The preview job of the event's current pool: done already, running, or queued now
    (a failed one is queued again). Only for a POST: asking for a job changes the database."""
    return jobs.submit(PREVIEW, _preview_key(event), event_id=event.id, user=user)


def current_preview(event: Event) -> Job | None:
    """The preview job of the event's current pool, if one was asked for (the page's GET reads only)."""
    return jobs.find(_preview_key(event))


def commit_job(event: Event, user, kind: str, description: str, public_value_source: str = "") -> Job:
    """Queue the commitment (after the quick checks, which raise :class:`LotteryError` at once)."""
    description = check_commitment(event, kind, description)
    named = check_public_value_source(public_value_source) or ""
    attempt = next_attempt(event)
    key = f"{COMMIT}:{event.id}:{attempt}:{pool_hash(event, kind, description, named)}"
    return jobs.submit(COMMIT, key, event_id=event.id, user=user,
                       params={"kind": kind, "description": description, "public_value_source": named})


def commit_in_progress(event: Event) -> Job | None:
    """The event's latest commitment job, while it is queued or running, or failed (its message is shown)."""
    job = jobs.latest(COMMIT, event.id)
    if job is None or job.status == "done":
        return None
    return job


def dry_run_job(event: Event, user, people: bytes, categories: bytes | None, seats: int | None,
                already: bytes | None = None) -> Job:
    """Queue the dry run of files already checked (:func:`app.lottery.sortition_files.dry_run_files`).
    Every request makes a new job: the event's quotas may have changed since the last one."""
    return jobs.submit(DRY_RUN, None, event_id=event.id, user=user, params={
        "people": base64.b64encode(people).decode("ascii"),
        "categories": base64.b64encode(categories).decode("ascii") if categories else None,
        "already": base64.b64encode(already).decode("ascii") if already else None,
        "seats": seats or event.seats})


def dry_run_result(event: Event, job_id: int | None, user) -> Job | None:
    """The finished dry-run job ``job_id`` of ``event`` if ``user`` may see it, else None."""
    job = db.session.get(Job, job_id) if job_id else None
    if job is None or job.kind != DRY_RUN or job.event_id != event.id or job.status != "done" \
            or not jobs.may_see(user, job):
        return None
    return job
