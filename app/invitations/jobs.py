"""The register import as a background job (app/jobs), for files too large for one request."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.invitations import services
from app.invitations.errors import InvitationError
from app.invitations.models import ExtractState, RegisterExtract
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
