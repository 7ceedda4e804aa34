"""Background jobs: long work off the request, on an established queue (Huey).

A feature registers a *kind* (:func:`register_kind`): the function that does the work, the
roles that may see its jobs and where its result is shown. A view asks for work with
:func:`submit` (the same ``key`` returns the existing job: nothing is computed twice) and
shows the job's row; a job worker (``flask jobs worker``, a Huey consumer) runs it::

    submit() ──commit row "queued"──▶ Huey message (the job id)
    worker   ──claim (queued → running, attempts + 1)──▶ kind's function(job, report)
             report(stage, percent, **detail) ──▶ row updated in its own transaction (live page)
             result + "done" committed with the work's own changes (one transaction)
             JobError / LotteryError ──▶ "failed", message stored in every language

**Storage** (:func:`create_huey`): ``REDIS_URL`` set → Redis (several machines); else a
SQLite file in ``instance/`` (one machine). ``JOBS_IMMEDIATE`` runs each job inside
:func:`submit` (tests whose subject is not the queue).

**Restarts.** A worker that dies leaves its job ``running``. :func:`recover` (when a worker
starts, and every minute) queues such a job again once, when its worker's process is gone
(same host) or its heartbeat is older than ``JOBS_STALE_SECONDS``; after ``JOBS_MAX_ATTEMPTS``
it fails with a message. Claiming is one conditional UPDATE, so a message delivered twice
runs the job once; the result is stored with ``done`` atomically, so a retried job never
stores a second, different result.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.core import mail
from app.core.models import utcnow
from app.extensions import db
from app.jobs.models import Job, JobFile

log = logging.getLogger("ideenmarkt.jobs")
TASK_NAME = "ideenmarkt.run_job"


class JobError(Exception):
    """Expected failure of a job: ``message`` (translatable) is shown on its page."""

    def __init__(self, code: str, message: Any) -> None:
        self.code = code
        self.message = message
        super().__init__(code)


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[[Job, Callable[..., None]], Any]
    label: Any
    #: Roles that may see a job of this kind (for an event: staff of that event, see :func:`may_see`).
    roles: tuple[str, ...] = ("admin",)
    #: job → URL where its result is shown (the job page links there).
    result_url: Callable[[Job], str] | None = None


KINDS: dict[str, Kind] = {}


def register_kind(name: str, run: Callable, label: Any, roles: tuple[str, ...] = ("admin",),
                  result_url: Callable[[Job], str] | None = None) -> None:
    """Register what a job of kind ``name`` does. ``run(job, report)`` returns
    ``(result, result_ref)`` (JSON-serialisable, str or None); it may change the database
    through ``db.session`` without committing: the worker commits it together with ``done``."""
    KINDS[name] = Kind(name, run, label, roles, result_url)


# ------------------------------------------------------------------ the queue


def create_huey(app: Flask):
    """The Huey instance for ``app``'s configuration (see the module docstring)."""
    from huey import MemoryHuey, RedisHuey, SqliteHuey  # loaded where a queue is made: web-only apps never do

    name = "ideenmarkt"
    if app.config.get("JOBS_IMMEDIATE"):
        huey = MemoryHuey(name, immediate=True, results=False)
    elif app.config.get("REDIS_URL"):
        huey = RedisHuey(name, url=app.config["REDIS_URL"], results=False)
    else:
        filename = app.config.get("JOBS_SQLITE_FILE") or str(Path(app.instance_path) / "jobs.sqlite")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(name, filename=filename, results=False)

    @huey.task(name=TASK_NAME)
    def run_job(job_id: int) -> None:
        with app.app_context():
            execute(job_id)

    from huey import crontab  # only where the worker's schedule is set up

    @huey.periodic_task(crontab(minute="*"), name="ideenmarkt.recover_jobs")
    def recover_jobs() -> None:
        with app.app_context():
            recover()

    @huey.periodic_task(crontab(minute="*"), name="ideenmarkt.send_mail")
    def send_mail() -> None:
        with app.app_context():
            _deliver_mail()

    app.extensions["huey"] = huey
    app.extensions["jobs.run_job"] = run_job
    return huey


def _enqueue(job_id: int) -> None:
    try:
        current_app.extensions["jobs.run_job"](job_id)
    except Exception:  # noqa: BLE001 - the queue is down: the job stays queued, recover() sends it again
        log.exception("job %s could not be queued; it is sent again when a worker recovers jobs", job_id)


def queue_length() -> int:
    """Messages waiting in the queue (for the metrics)."""
    huey = current_app.extensions.get("huey")
    try:
        return int(huey.pending_count()) if huey is not None else 0
    except Exception:  # noqa: BLE001
        return -1


# ------------------------------------------------------------------ asking for work


def find(key: str) -> Job | None:
    return db.session.execute(sa.select(Job).where(Job.key == key)).scalar_one_or_none()


def submit(kind: str, key: str | None, *, event_id: int | None = None, user=None,
           params: dict[str, Any] | None = None, retry_failed: bool = True) -> Job:
    """The job for ``key``: the existing one (queued, running or done), or a new one queued now.

    A failed job with the same key is queued again when ``retry_failed``. Commits the
    session (the worker must see the row before the message arrives).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = find(key) if key else None
    if job is not None and not (job.status == "failed" and retry_failed):
        return job
    if job is None:
        job = Job(kind=kind, key=key, event_id=event_id, requested_by_id=getattr(user, "id", None),
                  params_json=json.dumps(params or {}, sort_keys=True))
        try:
            with db.session.begin_nested():
                db.session.add(job)
        except IntegrityError:  # someone asked for the same work at the same moment
            existing = find(key) if key else None
            if existing is None:
                raise
            return existing
    else:
        _reset(job)
        job.requested_by_id = getattr(user, "id", job.requested_by_id)
    db.session.commit()
    job_id = job.id
    _enqueue(job_id)
    if current_app.config.get("JOBS_IMMEDIATE"):
        db.session.expire_all()
    return db.session.get(Job, job_id)


def _reset(job: Job) -> None:
    job.status, job.stage, job.progress = "queued", "queued", 0
    job.error_code = job.error_json = job.detail_json = job.estimate_seconds = None
    job.worker = job.started_at = job.finished_at = job.heartbeat_at = None
    job.attempts = 0
    job.queued_at = utcnow()


def may_see(user, job: Job) -> bool:
    """Staff with one of the kind's roles; for an event's job, staff who work on that event."""
    kind = KINDS.get(job.kind)
    if kind is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    roles = set(kind.roles) & user.role_names
    if not roles:
        return False
    if job.event_id is None or roles & {"admin", "council"}:
        return True
    # Who works at an event is the ideas feature's rule (stands and their moderators); the
    # generic jobs package loads it only for a kind open to moderators.
    from app.ideas.services import works_at_event

    return works_at_event(user, job.event_id)


def latest(kind: str, event_id: int) -> Job | None:
    return db.session.execute(
        sa.select(Job).where(Job.kind == kind, Job.event_id == event_id).order_by(Job.id.desc()).limit(1)
    ).scalar_one_or_none()


def store_file(job: Job, filename: str, content_type: str, data: bytes) -> JobFile:
    """Keep the file ``job`` made (added to the session: committed with the job's ``done``)."""
    stored = JobFile(job_id=job.id, filename=filename, content_type=content_type, size=len(data), data=data)
    db.session.merge(stored)
    return stored


def file_info(job: Job) -> tuple[str, int] | None:
    """(filename, size) of the job's file, without reading it; None when it has none."""
    row = db.session.execute(sa.select(JobFile.filename, JobFile.size).where(JobFile.job_id == job.id)).first()
    return (row.filename, row.size) if row else None


def purge_finished(now=None, dry_run: bool = False) -> list[int]:
    """Delete the jobs (and their files) finished more than ``JOBS_RETENTION_DAYS`` ago.

    Flushes; the caller commits (``flask privacy purge``). :return: the ids (to be) deleted.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=int(current_app.config["JOBS_RETENTION_DAYS"]))
    ids = list(db.session.execute(
        sa.select(Job.id).where(Job.status.in_(("done", "failed")), Job.finished_at < cutoff).order_by(Job.id)
    ).scalars())
    if ids and not dry_run:
        db.session.execute(sa.delete(JobFile).where(JobFile.job_id.in_(ids)))
        db.session.execute(sa.delete(Job).where(Job.id.in_(ids)))
        db.session.flush()
    return ids


# ------------------------------------------------------------------ running work (the worker)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _update(job_id: int, *conditions, **values) -> int:
    """Change the job's row in a transaction of its own (seen at once by the status page)."""
    with db.engine.begin() as connection:
        return connection.execute(sa.update(Job).where(Job.id == job_id, *conditions).values(**values)).rowcount


def _deliver_mail() -> None:
    """Deliver the outbox's due mail from the worker; a failure stays in the outbox for its retry.
    Not inside a request (immediate mode): there the request delivers after its response."""
    if has_request_context():
        return
    try:
        mail.send_due(int(current_app.config.get("MAIL_BATCH_SIZE", 50)))
    except Exception:  # noqa: BLE001 - delivery never fails a finished job
        log.exception("outbox delivery from the job worker failed")
    finally:
        db.session.remove()


def _still_ours(attempt: int) -> tuple:
    """The claim this worker made: a job queued again after a network split and claimed elsewhere is
    no longer this run's to finish, so a partitioned worker never overwrites the other's result."""
    return (Job.status == "running", Job.worker == worker_id(), Job.attempts == attempt)


class Reporter:
    """``report(stage, percent, **detail)``: what the page shows while the job runs."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.started = time.monotonic()

    def __call__(self, stage: str, percent: float | None = None, **detail) -> None:
        values: dict[str, Any] = {"stage": stage, "heartbeat_at": utcnow()}
        if percent is not None:
            values["progress"] = max(0, min(100, int(percent)))
            if percent >= 10:  # the time left, from the pace so far
                elapsed = time.monotonic() - self.started
                values["estimate_seconds"] = max(1, round(elapsed * (100 - percent) / percent))
        if detail:
            values["detail_json"] = json.dumps(detail, sort_keys=True)
        _update(self.job_id, **values)


class _Heartbeat(threading.Thread):
    """Tells :func:`recover` the worker is alive while a long solver call reports nothing."""

    def __init__(self, app: Flask, job_id: int, interval: float) -> None:
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.app, self.job_id, self.interval = app, job_id, interval
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            with self.app.app_context():
                _update(self.job_id, heartbeat_at=utcnow())


def translations(message: Any) -> dict[str, str]:
    """``message`` (a lazy string or text) in every language of the site."""
    texts = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            texts[language] = str(message)
    return texts


def execute(job_id: int) -> None:
    """Run one job (called by the worker with an app context). Never raises for the job's own failure."""
    now = utcnow()
    claimed = _update_claim(job_id, now)
    if not claimed:
        return  # already running elsewhere, finished, or gone: a duplicate message
    job = db.session.get(Job, job_id)
    kind = KINDS.get(job.kind)
    attempt = job.attempts
    heartbeat = _Heartbeat(current_app._get_current_object(), job_id,
                           float(current_app.config["JOBS_HEARTBEAT_SECONDS"]))
    heartbeat.start()
    try:
        if kind is None:
            raise JobError("unknown", _l("This kind of job is not known to this version of the site."))
        result, ref = kind.run(job, Reporter(job_id))
        finished = db.session.execute(
            sa.update(Job).where(Job.id == job_id, *_still_ours(attempt)).values(
                status="done", stage="done", progress=100,
                result_json=None if result is None else json.dumps(result, sort_keys=True),
                result_ref=ref, finished_at=utcnow())
        ).rowcount
        if finished != 1:
            db.session.rollback()
            log.warning("job %s was queued again and taken over by another worker; this run's result "
                        "is discarded", job_id)
            return
        db.session.commit()
        _deliver_mail()  # what the job queued (a commitment's receipts) goes out now
    except Exception as exc:  # noqa: BLE001 - every failure is shown on the job's page
        db.session.rollback()
        message = getattr(exc, "message", None)
        code = getattr(exc, "code", None)
        if message is None or not isinstance(code, str):
            log.exception("job %s (%s) failed", job_id, getattr(job, "kind", "?"))
            code, message = "unexpected", _l("The job stopped because of an unexpected error. The site's "
                                             "operators can see the details in the log. Please try again.")
        _update(job_id, *_still_ours(attempt), status="failed", error_code=code[:40],
                error_json=json.dumps(translations(message)), finished_at=utcnow())
    finally:
        heartbeat.stop.set()
        db.session.remove()


def _update_claim(job_id: int, now) -> bool:
    with db.engine.begin() as connection:
        return connection.execute(
            sa.update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", attempts=Job.attempts + 1, worker=worker_id(), stage="started",
                    started_at=now, heartbeat_at=now)
        ).rowcount == 1


def _process_gone(worker: str | None) -> bool:
    """Whether ``worker`` (``host:pid``) ran on this host and its process no longer exists."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(now=None) -> list[int]:
    """Queue again the jobs a dead worker left behind (once), and messages that were lost.

    :return: the ids queued again.
    """
    now = now or utcnow()
    stale = now - timedelta(seconds=int(current_app.config["JOBS_STALE_SECONDS"]))
    max_attempts = int(current_app.config["JOBS_MAX_ATTEMPTS"])
    requeued: list[int] = []
    running = db.session.execute(sa.select(Job).where(Job.status == "running")).scalars().all()
    for job in running:
        if not (_process_gone(job.worker) or (job.heartbeat_at or job.started_at or now) < stale):
            continue
        if job.attempts >= max_attempts:
            job.status, job.finished_at, job.error_code = "failed", now, "interrupted"
            job.error_json = json.dumps(translations(_l(
                "The job was interrupted %(num)d times (the job worker stopped). Please start it again.",
                num=job.attempts)))
        else:
            job.status, job.stage, job.queued_at, job.worker = "queued", "queued", now, None
            requeued.append(job.id)
    # Queued long ago and never claimed: the message was lost (queue emptied, enqueue failed).
    lost = db.session.execute(sa.select(Job.id).where(Job.status == "queued", Job.queued_at < stale)).scalars()
    lost_ids = [job_id for job_id in lost if job_id not in requeued]
    for job_id in lost_ids:
        db.session.get(Job, job_id).queued_at = now
    db.session.commit()
    for job_id in requeued + lost_ids:
        log.warning("job %s queued again", job_id)
        _enqueue(job_id)
    return requeued + lost_ids


def run_worker(app: Flask, workers: int | None = None) -> None:
    """Run a Huey consumer for ``app`` until SIGINT/SIGTERM (``flask jobs worker``)."""
    huey = app.extensions["huey"]
    if huey.immediate:
        raise RuntimeError("JOBS_IMMEDIATE is set: jobs run inside the request, there is nothing for a worker")
    with app.app_context():
        recovered = recover()
    log.info("job worker %s started (%d jobs queued again)", worker_id(), len(recovered))
    consumer = huey.create_consumer(workers=workers or int(app.config["JOBS_WORKERS"]), worker_type="thread",
                                    periodic=True, initial_delay=0.05, max_delay=1.0, check_worker_health=True)
    consumer.run()


