"""Background jobs (app/jobs): the register import for files too large for one request, the
invitation letters and the reminder letters (PDF or CSV)."""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from app.core.models import utcnow
from app.extensions import db
from app.invitations import letters, reminders, services
from app.invitations.errors import InvitationError
from app.invitations.models import ExtractState, InvitationDraw, InvitationDrawState, RegisterExtract
from app.jobs import services as jobs
from app.jobs.models import Job

IMPORT = "invitations.import"


def run_import(job: Job, report) -> tuple[dict, str]:
    extract = db.session.get(RegisterExtract, int(job.params["extract"]))
    if extract is None or extract.state != ExtractState.IMPORTING.value:
        raise InvitationError("wrong_state", _l("This file has already been imported or cancelled."))
    report("register_rows", 1)

    def progress(percent: int) -> None:
        db.session.commit()  # the batch so far (the extract stays "importing" until the end)
        report("register_rows", percent)

    services.run_import(extract, progress=progress)
    return {"rows": extract.row_count, "skipped": extract.skipped_count,
            "households": extract.household_count}, f"register_extract:{extract.id}"


def _page(job: Job) -> str:
    return url_for("invitations.manage", event_id=job.event_id)


jobs.register_kind(IMPORT, run_import, _l("Register extract import"), ("admin",), _page)


LETTERS = "invitations.letters"
#: Format → content type of the letters' file.
LETTER_FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def _render_letters(job: Job, report, draw_row: InvitationDraw, fmt: str, reminded_at=None) -> tuple[dict, None]:
    """The PDF (one sheet each: the letter and the reply form on its back) or CSV of the draw's letters, or of one reminder run's (``reminded_at``)."""
    report("rendering", 1)
    # A request context of its own: the dates of the letter are formatted for its language.
    with current_app.test_request_context():
        letter = letters.letter_of(draw_row) if reminded_at is None else letters.reminder_of(draw_row)
        context = letters.context_of(draw_row)
        items = list(letters.letters(draw_row, reminded_at=reminded_at))
        # End the read before the long render: on SQLite the progress reports write in their own transactions.
        db.session.rollback()
        total = max(1, len(items))
        if fmt == "pdf":
            data = letters.render_pdf(items, letter, context,
                                      progress=lambda n: report("rendering", min(99, 100 * n // total)))
        else:
            data = letters.render_csv(items)
    draw_row = db.session.get(InvitationDraw, int(job.params["draw"]))
    jobs.store_file(job, letters.filename(draw_row, fmt, reminder=reminded_at is not None), LETTER_FORMATS[fmt], data)
    return {"format": fmt, "letters": len(items), "size": len(data)}, None


def run_letters(job: Job, report) -> tuple[dict, None]:
    """The letters of a drawn draw as one PDF (one sheet each, the reply form on the back) or the CSV for a print-and-mail service."""
    draw_row = db.session.get(InvitationDraw, int(job.params["draw"]))
    fmt = job.params["format"]
    if draw_row is None or draw_row.state != InvitationDrawState.DRAWN.value or fmt not in LETTER_FORMATS:
        raise InvitationError("wrong_state", _l("Letters can be made only for drawn invitations."))
    return _render_letters(job, report, draw_row, fmt)


jobs.register_kind(LETTERS, run_letters, _l("Invitation letters"), ("admin",), _page)


def _version(draw_row: InvitationDraw) -> str:
    """What the letters' content depends on besides the people: the letter text and the answer deadline
    (a reminder run may set a new one)."""
    deadline = draw_row.answer_deadline.isoformat() if draw_row.answer_deadline else ""
    return hashlib.sha256(f"{draw_row.letter_json or ''}|{deadline}".encode()).hexdigest()[:16]


def letters_job(draw_row: InvitationDraw, fmt: str, user) -> Job:
    """Queue the letters file ``fmt`` (the same letter text and deadline on the same day: the same job)."""
    version = _version(draw_row)
    return jobs.submit(LETTERS, f"{LETTERS}:{draw_row.id}:{fmt}:{version}:{utcnow().date().isoformat()}",
                       event_id=draw_row.event_id, user=user, params={"draw": draw_row.id, "format": fmt})


def latest_letters(event_id: int) -> Job | None:
    return jobs.latest(LETTERS, event_id)


REMINDERS = "invitations.reminders"


def run_reminders(job: Job, report) -> tuple[dict, None]:
    """The reminder letters of one reminder run (its invitations' ``reminded_at``), PDF or CSV."""
    draw_row = db.session.get(InvitationDraw, int(job.params["draw"]))
    fmt = job.params["format"]
    if draw_row is None or draw_row.state != InvitationDrawState.DRAWN.value or fmt not in LETTER_FORMATS:
        raise InvitationError("wrong_state", _l("Letters can be made only for drawn invitations."))
    return _render_letters(job, report, draw_row, fmt, reminded_at=datetime.fromisoformat(job.params["run"]))


jobs.register_kind(REMINDERS, run_reminders, _l("Reminder letters"), ("admin",), _page)


def reminders_job(draw_row: InvitationDraw, run: reminders.Run, fmt: str, user) -> Job:
    """Queue the reminder letters of ``run`` as ``fmt`` (the same run, reminder text and deadline: the same job)."""
    version = _version(draw_row)
    at = run.at.isoformat()
    return jobs.submit(REMINDERS, f"{REMINDERS}:{draw_row.id}:{fmt}:{at}:{version}", event_id=draw_row.event_id,
                       user=user, params={"draw": draw_row.id, "format": fmt, "run": at})


def latest_reminders(event_id: int) -> Job | None:
    return jobs.latest(REMINDERS, event_id)


def confirm_import(extract: RegisterExtract, user) -> Job | None:
    """Import the previewed file: at once when small (None), else by a job worker (the job; commits,
    so the worker sees the row).

    :raises InvitationError: see :func:`app.invitations.services.start_import`.
    """
    if services.start_import(extract):
        services.run_import(extract)
        return None
    extract_id = extract.id
    job = jobs.submit(IMPORT, f"{IMPORT}:{extract_id}", event_id=extract.event_id, user=user,
                      params={"extract": extract_id})
    db.session.get(RegisterExtract, extract_id).job_id = job.id
    db.session.flush()
    return job


def import_in_progress(extract: RegisterExtract | None) -> Job | None:
    if extract is None or extract.job_id is None:
        return None
    return db.session.get(Job, extract.job_id)
