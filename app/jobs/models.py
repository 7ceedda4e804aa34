"""The job table: one row per piece of long work run by a job worker (app/jobs/services.py)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import utcnow
from app.core.personal import PERSONAL
from app.extensions import db

STATUSES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """Long work (a lottery preview, a commitment, an export) and how far it got.

    The queue (Huey) carries only the id; everything a page shows is here, so a job survives
    a worker restart: a job left ``running`` by a dead worker is queued again once
    (``attempts``), and its result is stored with ``status = done`` in the same transaction.
    ``key`` (unique) names the work, e.g. ``lottery.preview:<event>:<pool hash>``: asking for
    the same work again returns the existing job instead of computing it twice.
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    #: A code of the job's stage (labels in app/jobs/__init__.py), and 0–100.
    stage: Mapped[str] = mapped_column(String(30), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    #: Seconds the job is expected to need still (from its pace so far), once it is 10 % done.
    estimate_seconds: Mapped[int | None]
    #: JSON: what the stage reports (e.g. the current lowest probability).
    detail_json: Mapped[str | None] = mapped_column(Text)
    params_json: Mapped[str] = mapped_column(Text, default="{}", info=PERSONAL)
    #: JSON result (small results), and/or a reference such as ``lottery_draw:7`` or a file name.
    result_json: Mapped[str | None] = mapped_column(Text)
    result_ref: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[str | None] = mapped_column(String(40))
    #: JSON: the failure message in every language of the site ({"de": ..., "en": ...}).
    error_json: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    #: ``host:pid`` of the worker running it, and when that worker last said it is alive.
    worker: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json or "{}")

    @property
    def result(self) -> Any:
        return json.loads(self.result_json) if self.result_json else None

    @property
    def detail(self) -> dict[str, Any]:
        return json.loads(self.detail_json) if self.detail_json else {}

    @property
    def errors(self) -> dict[str, str]:
        return json.loads(self.error_json) if self.error_json else {}

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class JobFile(db.Model):
    """The file a job made (an export, the council report): kept in the database, so every app
    machine can serve it, and deleted with its job (``JOBS_RETENTION_DAYS``)."""

    __tablename__ = "job_file"

    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    #: The name offered to the browser (``Content-Disposition``).
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, info=PERSONAL)
