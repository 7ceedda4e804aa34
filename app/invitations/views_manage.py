"""Staff pages of the invitations: the register extract (upload, mapping, preview, import)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core.access import staff_required
from app.events.models import Event
from app.extensions import db
from app.invitations import bp, jobs, services
from app.invitations import register_import as reader
from app.invitations.errors import InvitationError
from app.invitations.forms import ExtractUploadForm


def get_event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def get_extract_or_404(event: Event, extract_id: int):
    extract = services.extract_of(event, extract_id)
    if extract is None:
        abort(404)
    return extract


def _back(event: Event):
    return redirect(url_for("invitations.manage", event_id=event.id), 303)


def _fail(exc: InvitationError) -> None:
    db.session.rollback()
    flash(str(exc.message), "error")


@bp.route("/manage/events/<int:event_id>/invitations")
@staff_required("admin")
def manage(event_id: int):
    event = get_event_or_404(event_id)
    extract = services.current_extract(event)
    return render_template("invitations/manage.html", event=event, extract=extract,
                           pending=services.pending_extract(event), upload_form=ExtractUploadForm(),
                           import_job=jobs.import_in_progress(extract) if extract and extract.state == "importing"
                           else None, field_labels=dict((n, label) for n, label, _r in reader.FIELDS),
                           error_labels=reader.ERROR_LABELS)


@bp.route("/manage/events/<int:event_id>/invitations/register", methods=["POST"])
@staff_required("admin")
def upload(event_id: int):
    event = get_event_or_404(event_id)
    form = ExtractUploadForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return _back(event)
    storage = form.register_file.data
    try:
        extract = services.upload_extract(event, current_user, storage.filename or "", storage.read())
    except InvitationError as exc:
        _fail(exc)
        return _back(event)
    db.session.commit()
    return redirect(url_for("invitations.mapping", event_id=event.id, extract_id=extract.id), 303)


def _mapping_from_form() -> dict[str, str]:
    return {name: request.form.get(f"map-{name}", "").strip() for name in reader.FIELD_NAMES
            if request.form.get(f"map-{name}", "").strip()}


@bp.route("/manage/events/<int:event_id>/invitations/register/<int:extract_id>", methods=["GET", "POST"])
@staff_required("admin")
def mapping(event_id: int, extract_id: int):
    event = get_event_or_404(event_id)
    extract = get_extract_or_404(event, extract_id)
    if extract.state != "uploaded":
        return _back(event)
    if request.method == "POST":
        action = request.form.get("action")
        if action == "cancel":
            services.cancel_upload(extract)
            db.session.commit()
            flash(_("The file was discarded; nothing was imported."), "success")
            return _back(event)
        try:
            services.preview(extract, _mapping_from_form())
            if action == "confirm":
                job = jobs.confirm_import(extract, current_user)
                db.session.commit()
                if job is None:
                    flash(ngettext("%(num)d resident imported.", "%(num)d residents imported.",
                                   extract.row_count), "success")
                else:
                    flash(_("The import runs in the background; this page shows how far it got."), "success")
                return _back(event)
        except InvitationError as exc:
            db.session.rollback()
            info = services.file_info(extract)
            return render_template("invitations/mapping.html", event=event, extract=extract, headers=info.headers,
                                   mapping=_mapping_from_form(), result=None, error=exc, fields=reader.FIELDS,
                                   error_labels=reader.ERROR_LABELS), 422
        db.session.commit()
        return redirect(url_for("invitations.mapping", event_id=event.id, extract_id=extract.id,
                                _anchor="preview"), 303)
    try:
        info = services.file_info(extract)
    except InvitationError as exc:
        _fail(exc)
        return _back(event)
    result, error = None, None
    try:
        result = services.preview(extract, extract.mapping)
    except InvitationError as exc:
        error = exc
    db.session.rollback()  # a GET changes nothing
    return render_template("invitations/mapping.html", event=event, extract=extract, headers=info.headers,
                           mapping=extract.mapping, result=result, error=error, fields=reader.FIELDS,
                           error_labels=reader.ERROR_LABELS)
