"""Staff pages of the invitations: the register extract (upload, mapping, preview, import) and
stage 1 (plan with its table, commitment, draw, audit file)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core import formreplay
from app.core.access import staff_required
from app.core.forms import attach_error
from app.core.models import utcnow
from app.events.models import Event
from app.extensions import db
from app.invitations import bp, codes, jobs, letters, reminders, services, stage1
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
    db.session.rollback()  # refused: the caller's redirect must not commit
    flash(str(exc.message), "error")


@bp.route("/manage/events/<int:event_id>/invitations")
@staff_required("admin")
def manage(event_id: int):
    return _manage_page(get_event_or_404(event_id))


def _manage_page(event: Event, letter: dict | None = None, letter_error: InvitationError | None = None,
                 status: int = 200, upload_form: ExtractUploadForm | None = None, **reminder):
    """The invitations page; ``letter``: the letter as typed (shown again with ``letter_error``)."""
    extract = services.current_extract(event)
    draw_row = services.active_draw(event)
    table = groups = counts = None
    if draw_row is not None and extract is not None and extract.state == "imported":
        table = stage1.plan_table(extract, draw_row.plan)
        groups = stage1.plan_groups(draw_row.plan, table)
    if draw_row is not None and draw_row.state == "drawn":
        counts = stage1.invitation_counts(draw_row)
    return render_template("invitations/manage.html", event=event, extract=extract, draw=draw_row, table=table,
                           groups=groups, counts=counts, code_bits=codes.CODE_BITS, code_length=codes.CODE_LENGTH,
                           alphabet_size=len(codes.ALPHABET), default_bands=stage1.DEFAULT_BANDS_TEXT,
                           pending=services.pending_extract(event), upload_form=upload_form or ExtractUploadForm(),
                           import_job=jobs.import_in_progress(extract) if extract and extract.state == "importing"
                           else None, field_labels=dict((n, label) for n, label, _r in reader.FIELDS),
                           error_labels=reader.ERROR_LABELS,
                           letter=letter or (letters.letter_of(draw_row) if draw_row is not None else None),
                           letter_error=letter_error, placeholders=letters.PLACEHOLDERS,
                           letters_job=jobs.latest_letters(event.id),
                           letters_count=letters.count(draw_row) if counts is not None else 0,
                           plan_field_id=_plan_field_id,
                           **_reminder_context(draw_row, counts is not None, **reminder)), status


@bp.route("/manage/events/<int:event_id>/invitations/register", methods=["POST"])
@staff_required("admin")
def upload(event_id: int):
    event = get_event_or_404(event_id)
    form = ExtractUploadForm()
    if not form.validate_on_submit():  # the page again, the message at the file field
        return _manage_page(event, status=422, upload_form=form)
    storage = form.register_file.data
    try:
        extract = services.upload_extract(event, current_user, storage.filename or "", storage.read())
    except InvitationError as exc:
        attach_error(form, exc, "register_file")
        return _manage_page(event, status=422, upload_form=form)
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
            flash(_("The file was discarded; nothing was imported."), "success")
            return _back(event)
        try:
            services.preview(extract, _mapping_from_form())
            if action == "confirm":
                job = jobs.confirm_import(extract, current_user)
                if job is None:
                    flash(ngettext("%(num)d resident imported.", "%(num)d residents imported.",
                                   extract.row_count), "success")
                else:
                    flash(_("The import runs in the background; this page shows how far it got."), "success")
                return _back(event)
        except InvitationError as exc:
            info = services.file_info(extract)
            return render_template("invitations/mapping.html", event=event, extract=extract, headers=info.headers,
                                   mapping=_mapping_from_form(), result=None, error=exc, fields=reader.FIELDS,
                                   error_labels=reader.ERROR_LABELS), 422
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
    db.session.rollback()  # a GET changes nothing: the preview is computed, never committed
    return render_template("invitations/mapping.html", event=event, extract=extract, headers=info.headers,
                           mapping=extract.mapping, result=result, error=error, fields=reader.FIELDS,
                           error_labels=reader.ERROR_LABELS)


# ------------------------------------------------------------------ stage 1: the invitation draw


def _plan_field_id(name: str) -> str:
    """The id of the plan form's field ``name`` (a group's field is named after the group, which may
    contain spaces)."""
    return "-".join(name.split())


def _number(name: str, default=None, cast=float):
    raw = (request.form.get(name) or "").strip().replace(",", ".")
    if not raw:
        return default
    try:
        return cast(raw)
    except ValueError:
        raise InvitationError("bad_plan", _("“%(value)s” is not a number.", value=raw[:40]), field=name) from None


@bp.route("/manage/events/<int:event_id>/invitations/plan", methods=["POST"])
@staff_required("admin")
def plan(event_id: int):
    event = get_event_or_404(event_id)
    try:
        groups = {}
        for key in request.form:
            if key.startswith("rate-") or key.startswith("factor-"):
                group = key.split("-", 1)[1]
                groups.setdefault(group, (_number(f"rate-{group}"), _number(f"factor-{group}")))
        deadline_text = (request.form.get("answer_deadline") or "").strip()
        try:
            deadline = datetime.strptime(deadline_text, "%Y-%m-%d") if deadline_text else None
        except ValueError:
            raise InvitationError("bad_plan", _("Please enter the answer deadline as a date."),
                                  field="answer_deadline") from None
        stage1.save_plan(event, letters=_number("letters", 0, int), by_district=bool(request.form.get("by_district")),
                         age_bands=request.form.get("age_bands", ""),
                         response_rate_percent=_number("response_rate", 8.0),
                         group_settings=groups, one_per_household=bool(request.form.get("one_per_household")),
                         answer_deadline=deadline)
    except InvitationError as exc:
        return _refused_draw_form(event, exc)
    flash(_("The plan was saved."), "success")
    return redirect(url_for("invitations.manage", event_id=event.id, _anchor="draw"), 303)


def _refused_draw_form(event: Event, exc: InvitationError):
    """A refused form of the draw (plan, commitment, public value): the page again, 422, the form as
    typed and the message at its field (issue 16 item 7); without a field, a flash after a redirect."""
    db.session.rollback()  # refused: a redirect below must not commit (or the page again)
    if exc.field:
        shown = formreplay.page_with_refusal(url_for("invitations.manage", event_id=event.id),
                                             _plan_field_id(exc.field), str(exc.message))
        if shown is not None:
            return shown
    _fail(exc)
    return redirect(url_for("invitations.manage", event_id=event.id, _anchor="draw"), 303)


def _draw_step(event: Event, operation, success):
    """Run one step on the event's draw: on an InvitationError roll back and show it, else commit."""
    draw_row = services.active_draw(event)
    try:
        if draw_row is None:
            raise InvitationError("wrong_state", _("Please save a plan first."))
        operation(draw_row)
    except InvitationError as exc:
        return _refused_draw_form(event, exc)
    flash(success(draw_row), "success")
    return redirect(url_for("invitations.manage", event_id=event.id, _anchor="draw"), 303)


@bp.route("/manage/events/<int:event_id>/invitations/commit", methods=["POST"])
@staff_required("admin")
def commit(event_id: int):
    return _draw_step(get_event_or_404(event_id),
                      lambda d: stage1.commit(d, current_user, request.form.get("number_source_kind", ""),
                                              request.form.get("number_source", "")),
                      lambda d: _("The commitment is fixed. Publish it before the public value is drawn."))


@bp.route("/manage/events/<int:event_id>/invitations/draw", methods=["POST"])
@staff_required("admin")
def perform(event_id: int):
    return _draw_step(get_event_or_404(event_id),
                      lambda d: stage1.perform(d, current_user, request.form.get("public_value")),
                      lambda d: ngettext("%(num)d invitation drawn.", "%(num)d invitations drawn.",
                                         len(d.record["invited"])))


@bp.route("/manage/events/<int:event_id>/invitations/audit.json")
@staff_required("admin")
def audit(event_id: int):
    event = get_event_or_404(event_id)
    draw_row = services.active_draw(event)
    if draw_row is None or draw_row.record_json is None:
        abort(404)
    return Response(stage1.audit_json(draw_row), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="event-{event.id}-invitations-audit.json"'})


@bp.route("/manage/events/<int:event_id>/invitations/letter", methods=["POST"])
@staff_required("admin")
def save_letter(event_id: int):
    """Save the city's letter (checked: placeholders, lengths, one page); a mistake shows the text again."""
    event = get_event_or_404(event_id)
    draw_row = services.active_draw(event)
    typed = {name: request.form.get(name, "") for name in letters.LIMITS}
    try:
        if draw_row is None:
            raise InvitationError("wrong_state", _("Please save a plan first."))
        letters.save_letter(draw_row, typed)
    except InvitationError as exc:
        return _manage_page(event, typed, exc, 422)
    flash(_("The letter was saved."), "success")
    return redirect(url_for("invitations.manage", event_id=event.id, _anchor="letters"), 303)


def _queue_file(event_id: int, anchor: str, queue, refusal: str):
    """Queue a letters file of the event's drawn draw in the form's ``format`` (PDF or CSV) with
    ``queue(draw, fmt)``, which gives None when there is nothing to make; then ``refusal`` is shown."""
    event = get_event_or_404(event_id)
    draw_row = services.active_draw(event)
    fmt = request.form.get("format", "")
    if draw_row is None or draw_row.state != "drawn" or fmt not in jobs.LETTER_FORMATS or queue(draw_row, fmt) is None:
        flash(refusal, "error")
    return redirect(url_for("invitations.manage", event_id=event.id, _anchor=anchor), 303)


@bp.route("/manage/events/<int:event_id>/invitations/letters", methods=["POST"])
@staff_required("admin")
def make_letters(event_id: int):
    """Queue the letters (PDF) or the address list for a print-and-mail service (CSV) as a job."""
    return _queue_file(event_id, "letters", lambda draw_row, fmt: jobs.letters_job(draw_row, fmt, current_user),
                       _("Letters can be made only for drawn invitations."))


# ------------------------------------------------------------------ reminder letters


def _reminder_context(draw_row, drawn: bool, texts: dict | None = None, typed: dict | None = None,
                      error: InvitationError | None = None) -> dict:
    """What the reminders part of the page shows; ``texts``/``typed``: the reminder text or the run's
    fields as typed (shown again with ``error``)."""
    if not drawn:
        return {"reminder_counts": None}
    return {"reminder_counts": reminders.counts(draw_row), "reminder_due": reminders.due_count(draw_row),
            "reminder_run": reminders.latest_run(draw_row), "reminder_history": reminders.history(draw_row),
            "reminder_job": jobs.latest_reminders(draw_row.event_id),
            "reminder_texts": texts or letters.reminder_texts(draw_row), "reminder_typed": typed or {},
            "reminder_error": error, "today": utcnow().date().isoformat(),
            "tomorrow": (utcnow().date() + timedelta(days=1)).isoformat()}


def _drawn_or_error(event: Event):
    draw_row = services.active_draw(event)
    if draw_row is None or draw_row.state != "drawn":
        raise InvitationError("wrong_state", _("Letters can be made only for drawn invitations."))
    return draw_row


@bp.route("/manage/events/<int:event_id>/invitations/reminder", methods=["POST"])
@staff_required("admin")
def save_reminder(event_id: int):
    """Save the reminder's subject and text (checked like the letter); a mistake shows the text again."""
    event = get_event_or_404(event_id)
    typed = {name: request.form.get(name, "") for name in letters.REMINDER_LIMITS}
    try:
        letters.save_reminder(_drawn_or_error(event), typed)
    except InvitationError as exc:
        return _manage_page(event, status=422, texts=typed, error=exc)
    flash(_("The reminder letter was saved."), "success")
    return redirect(url_for("invitations.manage", event_id=event.id, _anchor="reminders"), 303)


@bp.route("/manage/events/<int:event_id>/invitations/reminders", methods=["POST"])
@staff_required("admin")
def remind(event_id: int):
    """A reminder run: everyone who has not answered by the date is marked reminded; their letters
    (PDF or CSV) are made by a job."""
    event = get_event_or_404(event_id)
    typed = {"not_answered_by": request.form.get("not_answered_by", "")[:20],
             "new_deadline": request.form.get("new_deadline", "")[:20], "again": bool(request.form.get("again"))}
    fmt = request.form.get("format", "pdf")
    try:
        draw_row = _drawn_or_error(event)
        if fmt not in jobs.LETTER_FORMATS:
            raise InvitationError("wrong_state", _("Letters can be made only for drawn invitations."))
        run = reminders.remind(draw_row, reminders.parse_date(typed["not_answered_by"]), again=typed["again"],
                               new_deadline=reminders.parse_new_deadline(typed["new_deadline"]), user=current_user)
    except InvitationError as exc:
        return _manage_page(event, status=422, typed=typed, error=exc)
    jobs.reminders_job(draw_row, run, fmt, current_user)  # commits the run with the job
    flash(ngettext("%(num)d invitee will get a reminder letter.", "%(num)d invitees will get a reminder letter.",
                   run.count), "success")
    return redirect(url_for("invitations.manage", event_id=event.id, _anchor="reminders"), 303)


@bp.route("/manage/events/<int:event_id>/invitations/reminders/file", methods=["POST"])
@staff_required("admin")
def reminder_file(event_id: int):
    """The last reminder run's letters again, as PDF or CSV (the same people; nobody is marked anew)."""
    def queue(draw_row, fmt):
        run = reminders.latest_run(draw_row)
        return None if run is None else jobs.reminders_job(draw_row, run, fmt, current_user)

    return _queue_file(event_id, "reminders", queue, _("There is no reminder run yet."))
