"""Admin pages of the lottery: preview, commitment, draw, replacements, re-draw, files, report."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core import formreplay
from app.core.access import safe_next, staff_required
from app.core.forms import attach_error
from app.core.security import int_arg
from app.events.models import Application, Event
from app.events.services import criteria_locked_reason
from app.extensions import db
from app.invitations import stages as invitation_stages
from app.lottery import bp, charts, jobs, receipts, seats
from app.lottery import representativeness as shares
from app.lottery.base import current_draw, draws_of, pool_applications
from app.lottery.draw import perform_draw
from app.lottery.preview import preview_from_json
from app.lottery.sortition_files import (
    dry_run_files, dry_run_from_json, export_categories_csv, export_people_csv, import_categories,
)
from app.lottery.supersede import supersede_draw
from app.lottery.errors import LotteryError
from app.lottery.forms import (
    MAX_UPLOAD, CategoriesImportForm, CommitForm, DrawForm, DryRunForm, ObjectionAnswerForm, SupersedeForm,
)
from app.lottery.models import DrawState
from app.jobs.views import error_text


def get_event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def _back(event: Event):
    return redirect(url_for("lottery.manage", event_id=event.id), 303)


#: The form field a refusal of the lottery page's forms belongs to (else: the whole form).
FIELD_OF_CODE = {"bad_number": "number", "bad_deadline": "deadline", "reason_missing": "reason"}


def _form_again(event: Event, form_name: str, form, exc: LotteryError | None = None):
    """The lottery page again with ``form`` as typed, its errors (and ``exc``) at its fields
    (issue 16 item 7): nothing typed is lost to a redirect."""
    if exc is not None:
        attach_error(form, exc, exc.field or FIELD_OF_CODE.get(exc.code))
    return _manage_page(event, **{form_name: form}), 422


@bp.route("/manage/events/<int:event_id>/lottery")
@staff_required("admin")
def manage(event_id: int):
    return _manage_page(get_event_or_404(event_id))


def _manage_page(event: Event, commit_form: CommitForm | None = None, draw_form: DrawForm | None = None,
                 supersede_form: SupersedeForm | None = None) -> str:
    draw = current_draw(event)
    draws = draws_of(event)
    context = {"event": event, "draw": draw, "superseded": [d for d in draws if not d.is_active],
               "commit_form": commit_form or CommitForm(), "draw_form": draw_form or DrawForm(),
               "supersede_form": supersede_form or SupersedeForm(),
               "objections": receipts.objections_of_event(event.id)}
    if draw is None and event.status in ("open", "closed", "drawn"):
        # While applications come in, the preview shows how the quotas work out so far. A job
        # computes it (once per pool: the same pool shows the stored result at once); the page
        # only reads it, a POST (the page's button, pressed by jobs.js) asks for it.
        preview_job = jobs.current_preview(event)
        context["preview_job"] = preview_job
        if preview_job is not None and preview_job.status == "done":
            context["preview"] = preview_from_json(preview_job.result)
        context["commit_job"] = jobs.commit_in_progress(event)
    elif draw is None:
        context["applicant_count"] = len(pool_applications(event))
    if draw is not None and draw.state == DrawState.DRAWN.value:
        context["entries"] = seats.entries_in_order(draw)
        context["vacancies"] = seats.vacancies(draw)
    return render_template("lottery/manage.html", **context)


@bp.route("/manage/events/<int:event_id>/lottery/preview", methods=["POST"])
@staff_required("admin")
def start_preview(event_id: int):
    """Ask for the preview job of the current pool (a failed one is started again)."""
    event = get_event_or_404(event_id)
    if current_draw(event) is None and event.status in ("open", "closed", "drawn"):
        jobs.preview_job(event, current_user)
    return _back(event)


@bp.route("/manage/events/<int:event_id>/lottery/commit", methods=["POST"])
@staff_required("admin")
def commit(event_id: int):
    event = get_event_or_404(event_id)
    form = CommitForm()
    if not form.validate():
        return _form_again(event, "commit_form", form)
    try:
        job = jobs.commit_job(event, current_user, form.number_source.data, form.description.data or "",
                              form.public_value_source.data or "")
    except LotteryError as exc:
        return _form_again(event, "commit_form", form, exc)
    if job.status == "done":
        flash(_("The commitment has been published. The list of applicants is now fixed."), "success")
    elif job.status == "failed":
        flash(error_text(job), "error")
    else:
        flash(_("The table of panels is being computed; the commitment is published when it is ready."), "success")
    return _back(event)


@bp.route("/manage/events/<int:event_id>/lottery/draw", methods=["POST"])
@staff_required("admin")
def draw(event_id: int):
    event = get_event_or_404(event_id)
    current = current_draw(event)
    if current is None:
        flash(_("Publish the commitment first."), "error")
        return _back(event)
    form = DrawForm()
    if not form.validate():
        return _form_again(event, "draw_form", form)
    try:
        number = perform_draw(current, current_user, form.number.data, form.deadline.data,
                              public_value=form.public_value.data).number
    except LotteryError as exc:
        return _form_again(event, "draw_form", form, exc)
    flash(_("Number %(number)d has been drawn. The applicants are being notified.", number=number), "success")
    return _back(event)


@bp.route("/manage/events/<int:event_id>/lottery/process", methods=["POST"])
@staff_required("admin")
def process(event_id: int):
    event = get_event_or_404(event_id)
    current = current_draw(event)
    if current is None or current.state != DrawState.DRAWN.value:
        flash(_("There is no drawn lottery for this event."), "error")
        return _back(event)
    result = seats.process_draw(current, user=current_user)
    flash(ngettext("%(num)d unconfirmed seat has lapsed.", "%(num)d unconfirmed seats have lapsed.",
                   len(result.expired)) + " "
          + ngettext("%(num)d person has moved up from the waiting list.",
                     "%(num)d people have moved up from the waiting list.", len(result.admitted)), "success")
    if result.blocked is not None:
        flash(str(result.blocked.message), "warning")
    return _back(event)


@bp.route("/manage/events/<int:event_id>/applications/<int:application_id>/seat", methods=["POST"])
@staff_required("admin")
def respond_on_behalf(event_id: int, application_id: int):
    """Staff confirm or decline a seat for an applicant who answered by phone, on paper or in person.

    Posted from the lottery page and the list of applications; ``next`` leads back there.
    """
    event = get_event_or_404(event_id)
    application = db.session.get(Application, application_id)
    if application is None or application.event_id != event.id:
        abort(404)
    page = safe_next(url_for("lottery.manage", event_id=event.id))
    back = redirect(page, 303)
    answer = request.form.get("answer")
    if answer not in ("confirm", "decline"):
        flash(_("Choose whether the seat is confirmed or declined."), "error")
        return back
    try:
        outcome = seats.respond_on_behalf(application, answer == "confirm", request.form.get("channel", ""),
                                          current_user)
    except LotteryError as exc:
        db.session.rollback()  # refused: the redirect below must not commit (or the page again)
        if exc.code == "bad_channel":  # the page again, the message at the choice (issue 16 item 7)
            shown = formreplay.page_with_refusal(page, f"behalf-{application.id}-channel", str(exc.message))
            if shown is not None:
                return shown
        flash(str(exc.message), "error")
        return back
    name = application.name or "–"
    messages = {
        "confirmed": (_("The seat of %(name)s is confirmed.", name=name), "success"),
        "declined": (_("The seat of %(name)s is declined; it goes to the next person on the waiting list who "
                       "keeps the quotas.", name=name), "success"),
        "unchanged": (_("This answer of %(name)s had already been recorded.", name=name), "success"),
        "expired": (_("The deadline to confirm had passed; the seat of %(name)s has gone to the waiting list.",
                      name=name), "error"),
    }
    flash(*messages[outcome])
    return back


@bp.route("/manage/events/<int:event_id>/lottery/supersede", methods=["POST"])
@staff_required("admin")
def supersede(event_id: int):
    event = get_event_or_404(event_id)
    current = current_draw(event)
    if current is None:
        flash(_("There is no draw to supersede."), "error")
        return _back(event)
    form = SupersedeForm()
    if current.state == "drawn" and current.redraw_requested_at is None \
            and current_app.config["LOTTERY_REDRAW_NEEDS_SECOND_ADMIN"]:
        done = _("Your request for a re-draw is recorded. A second admin has to approve it; until then the draw "
                 "stands.")
    else:
        done = _("The draw has been superseded; it stays visible with the reason. Publish a new commitment to "
                 "draw again.")
    try:  # the service checks the reason (its length, with the number of characters)
        supersede_draw(current, current_user, form.reason.data or "")
    except LotteryError as exc:
        return _form_again(event, "supersede_form", form, exc)
    flash(done, "success")
    return _back(event)


@bp.route("/manage/events/<int:event_id>/lottery/objections/<int:objection_id>", methods=["GET", "POST"])
@staff_required("admin")
def objection(event_id: int, objection_id: int):
    """An applicant's objection to the lottery record, and the answer mailed to them."""
    event = get_event_or_404(event_id)
    found = receipts.objection_of_event(event.id, objection_id)
    if found is None:
        abort(404)
    form = ObjectionAnswerForm()
    if request.method == "GET" and found.answer:
        form.answer.data = found.answer
    if form.validate_on_submit():
        try:
            receipts.answer_objection(found, form.answer.data, current_user)
        except LotteryError as exc:
            attach_error(form, exc, "answer")
        else:
            if found.entry.application.email:
                flash(_("The answer has been saved and mailed to the applicant. It is shown on their receipt "
                        "page."), "success")
            else:
                flash(_("The answer has been saved and is shown on the applicant's receipt page. The application "
                        "has no email address: tell the applicant by phone or letter."), "warning")
            return redirect(url_for("lottery.manage", event_id=event.id, _anchor="objections"), 303)
    return render_template("lottery/objection.html", event=event, objection=found, form=form), \
        422 if form.is_submitted() else 200


@bp.route("/manage/events/<int:event_id>/lottery/representativeness")
@staff_required("admin", "council")
def representativeness(event_id: int):
    event = get_event_or_404(event_id)
    reports, sizes = shares.representativeness(event)
    # A council drawn from the residents' register: its stages, register to attended (app/invitations).
    funnel = invitation_stages.stages(event)
    return render_template("lottery/representativeness.html", event=event, reports=reports, sizes=sizes,
                           charts=[charts.share_chart(report) for report in reports],
                           groups=shares.GROUPS, stages=funnel, stage_labels=invitation_stages.STAGE_LABELS,
                           stage_charts=[charts.share_chart(c, invitation_stages.STAGES, invitation_stages.STAGE_LABELS,
                                                   "stages-") for c in funnel.criteria] if funnel else [])


@bp.route("/manage/events/<int:event_id>/lottery/categories.csv")
@staff_required("admin")
def export_categories(event_id: int):
    event = get_event_or_404(event_id)
    return _csv(export_categories_csv(event), f"event-{event.id}-categories.csv")


@bp.route("/manage/events/<int:event_id>/lottery/people.csv")
@staff_required("admin")
def export_people(event_id: int):
    event = get_event_or_404(event_id)
    return _csv(export_people_csv(event), f"event-{event.id}-people.csv")


def _csv(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _upload(field) -> bytes | None:
    storage = field.data
    if storage is None or not hasattr(storage, "read"):
        return None
    data = storage.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise LotteryError("csv_format", _("The file is too large (at most 5 MB)."))
    return data or None


@bp.route("/manage/events/<int:event_id>/lottery/files", methods=["GET", "POST"])
@staff_required("admin")
def files(event_id: int):
    event = get_event_or_404(event_id)
    import_form = CategoriesImportForm(prefix="import")
    dry_form = DryRunForm(prefix="dry")
    result, status, dry_job = None, 200, None
    if request.method == "GET" and request.args.get("job"):
        # A finished dry run (the job page's "Show the result"): another event's job does not exist.
        dry_job = jobs.dry_run_result(event, int_arg("job"), current_user)
        if dry_job is None:
            abort(404)
        result = dry_run_from_json(dry_job.result, str(get_locale()))
    if request.method == "POST" and request.form.get("action") == "import" and import_form.validate():
        try:
            data = _upload(import_form.categories)
            if data is None:
                raise LotteryError("csv_format", _("Choose a categories file."))
            notes: list = []
            saved = import_categories(event, data, notes)
        except LotteryError as exc:  # the page again, the message at the file (issue 16 item 7)
            attach_error(import_form, exc, "categories")
            status = 422
        else:
            flash(ngettext("%(num)d criterion imported.", "%(num)d criteria imported.", len(saved)), "success")
            for note in notes:
                flash(str(note), "warning")
            return redirect(url_for("lottery.files", event_id=event.id), 303)
    elif request.method == "POST" and request.form.get("action") in ("dry_run", "dry_run_csv") \
            and dry_form.validate():
        # The files are checked now (a bad file: a message here); a job computes the probabilities
        # (a leximin distribution: no request computes one) and its page shows them and the CSV.
        upload_field = "people"
        try:
            people = _upload(dry_form.people)
            if people is None:
                raise LotteryError("csv_format", _("Choose a people file."))
            upload_field = "dry_categories"
            categories = _upload(dry_form.dry_categories)
            upload_field = "already_selected"
            already = _upload(dry_form.already_selected)
            upload_field = None  # the files together: a message for the whole form
            dry_run_files(event, people, categories, dry_form.seats.data, already)
        except LotteryError as exc:
            attach_error(dry_form, exc, upload_field)
            status = 422
        else:
            job = jobs.dry_run_job(event, current_user, people, categories, dry_form.seats.data, already)
            if request.form.get("action") == "dry_run_csv" and job.status == "done":
                return redirect(url_for("jobs.download", job_id=job.id), 303)  # ready at once: the file
            return redirect(url_for("jobs.status", job_id=job.id), 303)
    elif request.method == "POST":  # the field errors are shown at their fields
        status = 422
        if not (import_form.errors or dry_form.errors):
            flash(_("Choose what to do."), "error")
    return render_template("lottery/files.html", event=event, import_form=import_form, dry_form=dry_form,
                           result=result, dry_job=dry_job,
                           locked_reason=criteria_locked_reason(event)), status
