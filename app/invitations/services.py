"""Operations of the register extract: upload, mapping and preview, import (inline or as a job).

Nothing of a file is stored as register rows until staff confirm the preview; until then the
file is held in :class:`~app.invitations.models.RegisterUpload` (deleted by the import, a cancel,
or the purge after a day). Services flush; the request (or the job worker) commits.
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core.models import utcnow
from app.events.models import Event
from app.extensions import db
from app.invitations import register_import as reader
from app.invitations.errors import InvitationError
from app.invitations.models import (
    ExtractState,
    InvitationDraw,
    InvitationDrawState,
    RegisterExtract,
    RegisterHousehold,
    RegisterPerson,
    RegisterUpload,
)
from app.invitations.retention import delete_register_rows, extract_retention_end


def current_extract(event: Event) -> RegisterExtract | None:
    """The event's imported (or importing) register extract, if any."""
    return db.session.execute(
        sa.select(RegisterExtract).where(RegisterExtract.event_id == event.id,
                                         RegisterExtract.state.in_((ExtractState.IMPORTED.value,
                                                                    ExtractState.IMPORTING.value)))
        .order_by(RegisterExtract.id.desc()).limit(1)
    ).scalar_one_or_none()


def pending_extract(event: Event) -> RegisterExtract | None:
    """The file uploaded last and not yet imported (mapping and preview), if any."""
    return db.session.execute(
        sa.select(RegisterExtract).where(RegisterExtract.event_id == event.id,
                                         RegisterExtract.state == ExtractState.UPLOADED.value)
        .order_by(RegisterExtract.id.desc()).limit(1)
    ).scalar_one_or_none()


def extract_of(event: Event, extract_id: int) -> RegisterExtract | None:
    extract = db.session.get(RegisterExtract, extract_id)
    return extract if extract is not None and extract.event_id == event.id else None


def active_draw(event: Event) -> InvitationDraw | None:
    return db.session.execute(
        sa.select(InvitationDraw).where(InvitationDraw.event_id == event.id,
                                        InvitationDraw.state != InvitationDrawState.SUPERSEDED.value)
    ).scalar_one_or_none()


def _check_replaceable(event: Event) -> None:
    draw = active_draw(event)
    if draw is not None and draw.state != InvitationDrawState.PLANNED.value:
        raise InvitationError("wrong_state", _l("The invitations have been committed to or drawn from the "
                                                "current register extract: it can no longer be replaced."))


def upload_extract(event: Event, user, filename: str, data: bytes) -> RegisterExtract:
    """Hold an uploaded file for its mapping and preview; nothing is imported yet.

    :raises InvitationError: ``too_large``, ``bad_file``, ``no_header``, ``wrong_state``.
    """
    _check_replaceable(event)
    limit = int(current_app.config["INVITATIONS_IMPORT_MAX_BYTES"])
    if len(data) > limit:
        raise InvitationError("too_large", _l("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)))
    info = reader.read_file(data, filename)
    for old in db.session.execute(sa.select(RegisterExtract).where(
            RegisterExtract.event_id == event.id, RegisterExtract.state == ExtractState.UPLOADED.value)).scalars():
        db.session.delete(old)
    extract = RegisterExtract(event_id=event.id, state=ExtractState.UPLOADED.value, filename=(filename or "")[:255],
                              file_sha256=info.sha256, file_size=info.size, file_format=info.format,
                              encoding=info.encoding, delimiter=info.delimiter,
                              mapping_json=json.dumps(reader.guess_mapping(info.headers), sort_keys=True),
                              uploaded_by_id=getattr(user, "id", None))
    extract.upload = RegisterUpload(data=data)
    db.session.add(extract)
    db.session.flush()
    return extract


def file_info(extract: RegisterExtract) -> reader.FileInfo:
    """The held file's format and header (read again from the held bytes)."""
    if extract.upload is None:
        raise InvitationError("wrong_state", _l("The file of this extract is no longer held. Please upload it again."))
    return reader.read_file(extract.upload.data, extract.filename)


def preview(extract: RegisterExtract, mapping: dict[str, str]) -> reader.CheckResult:
    """Check every row with ``mapping`` (which is saved); nothing is imported.

    :raises InvitationError: ``wrong_state``, ``missing_columns``, ``bad_mapping``.
    """
    if extract.state != ExtractState.UPLOADED.value:
        raise InvitationError("wrong_state", _l("This file has already been imported or cancelled."))
    info = file_info(extract)
    columns = reader.check_mapping(mapping, info.headers)
    extract.mapping_json = json.dumps({k: v for k, v in mapping.items() if k in columns}, sort_keys=True)
    result = reader.check_rows(extract.upload.data, info, columns)
    extract.row_count = result.valid
    extract.skipped_count = result.error_rows
    extract.household_count = result.households
    db.session.flush()
    return result


def start_import(extract: RegisterExtract) -> bool:
    """Check the previewed file and mark it importing; True when small enough to import in the request.

    (:func:`app.invitations.jobs.confirm_import` then imports it or queues the job.)

    :raises InvitationError: ``wrong_state``, ``no_rows``, ``missing_columns``.
    """
    if extract.state != ExtractState.UPLOADED.value:
        raise InvitationError("wrong_state", _l("This file has already been imported or cancelled."))
    event = db.session.get(Event, extract.event_id)
    _check_replaceable(event)
    info = file_info(extract)
    reader.check_mapping(extract.mapping, info.headers)
    if extract.row_count == 0:
        raise InvitationError("no_rows", _l("No row of the file can be imported: please check the preview's "
                                            "errors and the column mapping."))
    extract.state = ExtractState.IMPORTING.value
    db.session.flush()
    return extract.row_count + extract.skipped_count <= int(current_app.config["INVITATIONS_IMPORT_INLINE_ROWS"])


def run_import(extract: RegisterExtract, progress=None) -> None:
    """Store the rows of the held file (the job's or the request's work); replaces an earlier extract.

    :param progress: called with a percentage after each batch (the job commits there: on SQLite its
        progress and heartbeat writes would otherwise wait for the whole import).
    """
    event = db.session.get(Event, extract.event_id)
    info = file_info(extract)
    columns = reader.check_mapping(extract.mapping, info.headers)
    # A retried job starts again from the first row.
    db.session.execute(sa.delete(RegisterPerson).where(RegisterPerson.extract_id == extract.id))
    db.session.execute(sa.delete(RegisterHousehold).where(RegisterHousehold.extract_id == extract.id))
    expected = max(1, extract.row_count + extract.skipped_count)
    result = reader.import_rows(extract.id, extract.upload.data, info, columns,
                                progress=(lambda rows: progress(min(99, 100 * rows // expected))) if progress else None)
    if result.valid == 0:
        raise InvitationError("no_rows", _l("No row of the file can be imported: please check the preview's "
                                            "errors and the column mapping."))
    extract.row_count = result.valid
    extract.skipped_count = result.error_rows
    extract.household_count = result.households
    extract.errors_json = json.dumps([e.as_json() for e in result.errors])
    for earlier in db.session.execute(sa.select(RegisterExtract).where(
            RegisterExtract.event_id == event.id, RegisterExtract.id != extract.id,
            RegisterExtract.state.in_((ExtractState.IMPORTED.value, ExtractState.IMPORTING.value)))).scalars():
        delete_register_rows(earlier, utcnow())  # the new file replaces it
    extract.state = ExtractState.IMPORTED.value
    extract.imported_at = utcnow()
    extract.retain_until = extract_retention_end(extract, event)
    db.session.execute(sa.delete(RegisterUpload).where(RegisterUpload.extract_id == extract.id))
    db.session.expire(extract, ["upload"])
    db.session.flush()


def cancel_upload(extract: RegisterExtract) -> None:
    """Drop a file that was uploaded but not imported."""
    if extract.state != ExtractState.UPLOADED.value:
        raise InvitationError("wrong_state", _l("This file has already been imported or cancelled."))
    db.session.delete(extract)
    db.session.flush()


def register_count(extract: RegisterExtract) -> int:
    return int(db.session.execute(sa.select(sa.func.count()).select_from(RegisterPerson)
                                  .where(RegisterPerson.extract_id == extract.id)).scalar_one())
