"""The job status page (refreshes itself while the job runs) and its JSON twin."""
from __future__ import annotations

from flask import Response, abort, jsonify, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core.access import staff_required
from app.core.formatting import format_share
from app.extensions import db
from app.jobs import STAGE_LABELS, STATUS_LABELS, bp, services
from app.jobs.models import Job, JobFile


def visible_job_or_404(job_id: int) -> Job:
    """The job, if the current user may see it; 404 otherwise (another event's job does not exist)."""
    job = db.session.get(Job, job_id)
    if job is None or not services.may_see(current_user, job):
        abort(404)
    return job


def error_text(job: Job) -> str | None:
    """The failure message in the visitor's language."""
    if job.status != "failed":
        return None
    texts = job.errors
    return texts.get(str(get_locale())) or next(iter(texts.values()), None)


def detail_text(job: Job) -> str:
    """What the stage reports, as a sentence (e.g. the lowest probability found so far)."""
    minimum = job.detail.get("minimum")
    if minimum is None or job.finished:
        return ""
    return _("lowest probability so far: %(value)s", value=format_share(minimum, 2))


def estimate_text(job: Job) -> str:
    if job.finished or not job.estimate_seconds:
        return ""
    return ngettext("About %(num)d second left.", "About %(num)d seconds left.", job.estimate_seconds)


def result_url(job: Job) -> str | None:
    kind = services.KINDS.get(job.kind)
    return kind.result_url(job) if kind and kind.result_url else None


def status_of(job: Job) -> dict:
    """What the page and the JSON endpoint show."""
    kind = services.KINDS.get(job.kind)
    stored = services.file_info(job) if job.status == "done" else None
    return {
        "id": job.id, "kind": job.kind, "kind_label": str(kind.label) if kind else job.kind,
        "status": job.status, "status_label": str(STATUS_LABELS.get(job.status, job.status)),
        "stage": job.stage, "stage_label": str(STAGE_LABELS.get(job.stage, job.stage)),
        "progress": job.progress, "estimate_seconds": job.estimate_seconds, "detail": job.detail, "detail_text": detail_text(job),
        "estimate_text": estimate_text(job),
        "attempts": job.attempts, "finished": job.finished, "error": error_text(job),
        "result_url": result_url(job) if job.status == "done" else None,
        "url": url_for("jobs.status", job_id=job.id),
        "file": {"name": stored[0], "size": stored[1], "url": url_for("jobs.download", job_id=job.id)}
        if stored else None,
    }


@bp.route("/manage/jobs/<int:job_id>")
@staff_required()
def status(job_id: int):
    job = visible_job_or_404(job_id)
    return render_template("jobs/status.html", job=job, info=status_of(job))


@bp.route("/manage/jobs/<int:job_id>.json")
@staff_required()
def status_json(job_id: int):
    response = jsonify(status_of(visible_job_or_404(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/manage/jobs/<int:job_id>/file")
@staff_required()
def download(job_id: int):
    """The file the job made, for the staff who may see the job (others: 404)."""
    job = visible_job_or_404(job_id)
    stored = db.session.get(JobFile, job.id) if job.status == "done" else None
    if stored is None:
        abort(404)
    return Response(stored.data, mimetype=stored.content_type, headers={
        "Content-Disposition": f'attachment; filename="{stored.filename}"', "Cache-Control": "no-store"})
