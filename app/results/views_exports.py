"""Staff downloads of a process's results: ideas as CSV, XLSX and JSON; the council report as PDF."""
from __future__ import annotations

import json

from flask import Response, abort, current_app, request, send_file
from flask_babel import force_locale, get_locale

from app.core.access import staff_required
from app.core.errors import render_error
from app.events.models import Process
from app.extensions import db
from app.results import bp, exports, report
from app.results.services import ResultsError

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_data(process_id: int, totals: bool = False) -> exports.ExportData:
    process = db.session.get(Process, process_id) if 0 < process_id < 2**31 else None
    if process is None:
        abort(404)
    scope = exports.staff_scope(process, request.args.get("event"))
    return exports.collect(process, scope, totals=totals)


def _filename(data: exports.ExportData, extension: str) -> str:
    suffix = f"-event-{data.scope.event_ids[0]}" if request.args.get("event") and data.scope.event_ids else ""
    return f"ideas-process-{data.process.id}{suffix}.{extension}"


def _download_headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


@bp.errorhandler(ResultsError)
def results_error(exc: ResultsError):
    return render_error(400, str(exc.message))


@bp.route("/manage/results/processes/<int:process_id>/ideas.csv")
@staff_required("admin", "council")
def export_csv(process_id: int):
    data = _export_data(process_id)
    return Response(exports.csv_chunks(data), mimetype="text/csv",
                    headers=_download_headers(_filename(data, "csv")))


@bp.route("/manage/results/processes/<int:process_id>/ideas.xlsx")
@staff_required("admin", "council")
def export_xlsx(process_id: int):
    data = _export_data(process_id, totals=True)
    response = send_file(exports.write_xlsx(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=_filename(data, "xlsx"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/manage/results/processes/<int:process_id>/ideas.json")
@staff_required("admin", "council")
def export_json(process_id: int):
    data = _export_data(process_id)
    body = json.dumps(exports.as_json(data), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json", headers=_download_headers(_filename(data, "json")))


@bp.route("/manage/results/processes/<int:process_id>/report.pdf")
@staff_required("admin", "council")
def council_report(process_id: int):
    """The council report; German by default, ``?lang=en`` (or the chosen UI language) for English."""
    process = db.session.get(Process, process_id) if 0 < process_id < 2**31 else None
    if process is None:
        abort(404)
    asked = request.args.get("lang")
    language = asked if asked in current_app.config["LANGUAGES"] else str(get_locale() or "de")
    with force_locale(language):
        pdf = report.council_report(process)
    return Response(pdf, mimetype="application/pdf",
                    headers=_download_headers(f"council-report-process-{process.id}-{language}.pdf"))
