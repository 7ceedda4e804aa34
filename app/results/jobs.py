"""The exports and the council report as background jobs (app/jobs): no request renders them.

A staff member asks for a file (a POST from the dashboard); a job worker renders it with the
unchanged render functions (:mod:`app.results.exports`, :func:`app.results.report.council_report`)
in the language asked for and stores it with the job (``jobs.store_file``); the job's page
shows the progress and then the download, for the roles that may read results (admin, council).
Every request makes a new job: the ideas may have changed since the last file.
"""
from __future__ import annotations

import json

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.events.models import Process
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.jobs.services import JobError
from app.results import exports
from app.results import report as council_report_pdf  # a module: tests replace its council_report

EXPORT = "results.export"
ROLES = ("admin", "council")
#: format → (content type, label)
FORMATS = {
    "csv": ("text/csv", "CSV"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "json": ("application/json", "JSON"),
    "pdf": ("application/pdf", "PDF"),
}


def filename(process_id: int, fmt: str, event_id: int | None, language: str) -> str:
    if fmt == "pdf":
        return f"council-report-process-{process_id}-{language}.pdf"
    suffix = f"-event-{event_id}" if event_id else ""
    return f"ideas-process-{process_id}{suffix}.{fmt}"


def render(process: Process, fmt: str, event_id: int | None, report) -> bytes:
    """The file's bytes, made by the feature's render functions (their signatures stay as they are)."""
    if fmt == "pdf":
        report("rendering", 20)
        return council_report_pdf.council_report(process)
    report("collecting", 10)
    data = exports.collect(process, exports.staff_scope(process, event_id), totals=fmt == "xlsx")
    # End the read: on SQLite its temporary tables hold the write lock that the progress report
    # (its own transaction) needs. What is read stays; the process is read again when used.
    db.session.rollback()
    report("rendering", 50)
    if fmt == "csv":
        return "".join(exports.csv_chunks(data)).encode("utf-8")
    if fmt == "xlsx":
        with exports.write_xlsx(data) as workbook:
            return workbook.read()
    return json.dumps(exports.as_json(data), ensure_ascii=False, indent=1).encode("utf-8")


def run_export(job: Job, report) -> tuple[dict, None]:
    params = job.params
    process = db.session.get(Process, params["process_id"])
    if process is None:
        raise JobError("gone", _l("The process no longer exists."))
    fmt, event_id, language = params["format"], params.get("event_id"), params["language"]
    # A request context of its own: the render functions format dates and numbers for a locale.
    with current_app.test_request_context(), force_locale(language):
        data = render(process, fmt, event_id, report)
    # End the long read before the file is written: on SQLite a reader that then writes can
    # deadlock with the heartbeat's write (both waiting for the other's lock).
    db.session.rollback()
    name = filename(process.id, fmt, event_id, language)
    jobs.store_file(job, name, FORMATS[fmt][0], data)
    return {"format": fmt, "size": len(data)}, None


jobs.register_kind(EXPORT, run_export, _l("Results file"), ROLES)


def export_job(process: Process, fmt: str, event_id: int | None, language: str, user) -> Job:
    """Queue the file ``fmt`` of the process (one event of it, or all); the scope was checked before."""
    return jobs.submit(EXPORT, None, user=user, params={
        "process_id": process.id, "format": fmt, "event_id": event_id, "language": language})
