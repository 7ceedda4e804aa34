"""Staff downloads of a process's results: ideas as CSV, XLSX and JSON; the council report as PDF.

None is made in the request: a POST asks for a job (app/results/jobs.py) and leads to its page,
which shows the progress and then the download (``/manage/jobs/<id>/file``).
"""
from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from app.core.access import staff_required
from app.core.errors import render_error
from app.events.models import Process
from app.extensions import db
from app.results import bp, exports, jobs as result_jobs
from app.results.base import ResultsError


@bp.errorhandler(ResultsError)
def results_error(exc: ResultsError):
    return render_error(400, str(exc.message))


def _process_or_404(process_id: int) -> Process:
    process = db.session.get(Process, process_id) if 0 < process_id < 2**31 else None
    if process is None:
        abort(404)
    return process


def _ask_for(process_id: int, fmt: str):
    """Check the scope now (a wrong filter is a 400 at once), queue the job, show its page."""
    process = _process_or_404(process_id)
    event_id = None
    if fmt != "pdf":
        asked = request.values.get("event")
        scope = exports.staff_scope(process, asked)
        event_id = scope.event_ids[0] if asked not in (None, "") and scope.event_ids else None
    asked_language = request.values.get("lang")
    language = asked_language if asked_language in current_app.config["LANGUAGES"] else str(get_locale() or "de")
    job = result_jobs.export_job(process, fmt, event_id, language, current_user)
    return redirect(url_for("jobs.status", job_id=job.id), 303)


@bp.route("/manage/results/processes/<int:process_id>/ideas.csv", methods=["POST"])
@staff_required(*result_jobs.ROLES)
def export_csv(process_id: int):
    return _ask_for(process_id, "csv")


@bp.route("/manage/results/processes/<int:process_id>/ideas.xlsx", methods=["POST"])
@staff_required(*result_jobs.ROLES)
def export_xlsx(process_id: int):
    return _ask_for(process_id, "xlsx")


@bp.route("/manage/results/processes/<int:process_id>/ideas.json", methods=["POST"])
@staff_required(*result_jobs.ROLES)
def export_json(process_id: int):
    return _ask_for(process_id, "json")


@bp.route("/manage/results/processes/<int:process_id>/report.pdf", methods=["POST"])
@staff_required(*result_jobs.ROLES)
def council_report(process_id: int):
    """The council report; German by default, ``lang=en`` (or the chosen UI language) for English."""
    return _ask_for(process_id, "pdf")
