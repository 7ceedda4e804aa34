"""Staff views (admins): measures of a process, their status, the ideas taken into them,
reasons for ideas not taken, and the CSV import with its preview."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core import formreplay
from app.core.access import safe_next, staff_required
from app.core.forms import attach_error
from app.core.errors import render_error
from app.core.security import MAX_ID, int_arg
from app.events.models import Event, Process
from app.extensions import db
from app.ideas.display import idea_number
from app.ideas.models import Idea
from app.measures import bp, importer, lifecycle, links
from app.measures.base import MAX_LINK_BATCH, STATUS_LABELS, MeasureError, next_statuses, status_label
from app.measures.forms import (
    ConfirmForm, ImportForm, LinkIdeasForm, LinkMeasureForm, MeasureCreateForm, MeasureEditForm, ReasonForm,
    StatusForm, status_choices,
)
from app.measures.models import Measure


def get_process(process_id: int) -> Process:
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    return process


def get_measure(measure_id: int) -> Measure:
    measure = db.session.get(Measure, measure_id)
    if measure is None:
        abort(404)
    return measure


def get_idea(idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        abort(404)
    return idea


# -- measures ---------------------------------------------------------------------------------------


@bp.route("/manage/measures")
@staff_required("admin")
def overview():
    processes = db.session.execute(sa.select(Process).order_by(Process.created_at.desc())).scalars().all()
    counts = dict(db.session.execute(
        sa.select(Measure.process_id, sa.func.count(Measure.id)).group_by(Measure.process_id)).all())
    return render_template("measures/manage/overview.html", processes=processes, counts=counts)


@bp.route("/manage/processes/<int:process_id>/measures")
@staff_required("admin")
def measure_list(process_id: int):
    process = get_process(process_id)
    measures = lifecycle.measures_of(process.id)
    return render_template("measures/manage/list.html", process=process, measures=measures,
                           links=lifecycle.link_counts([m.id for m in measures]))


@bp.route("/manage/processes/<int:process_id>/measures/new", methods=["GET", "POST"])
@staff_required("admin")
def create_measure(process_id: int):
    process = get_process(process_id)
    form = MeasureCreateForm()
    if form.validate_on_submit():
        try:
            measure = lifecycle.create_measure(
                process, title=form.title.data, description=form.description.data, chapter=form.chapter.data,
                office=form.office.data, progress=form.progress.data, status=form.status.data,
                on=form.changed_on.data, comment=form.comment.data, user=current_user)
        except MeasureError as exc:
            attach_error(form, exc)
        else:
            flash(_("The measure “%(title)s” has been created.", title=measure.title), "success")
            return redirect(url_for("measures.measure_detail", measure_id=measure.id), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("measures/manage/create.html", process=process, form=form), status


def _detail(measure: Measure, *, edit_form=None, status_form=None, link_form=None, status: int = 200):
    edit_form = edit_form or MeasureEditForm(obj=measure)
    status_form = status_form or StatusForm()
    status_form.status.choices = status_choices(next_statuses(measure))
    query = request.args.get("q", "")[:200]
    event_id = int_arg("event", 0)
    events = db.session.execute(
        sa.select(Event).where(Event.process_id == measure.process_id).order_by(Event.starts_at, Event.id)
    ).scalars().all()
    candidates = links.search_ideas(measure, query, event_id=event_id or None)
    return render_template(
        "measures/manage/detail.html", measure=measure, process=measure.process, edit_form=edit_form,
        status_form=status_form, ideas=links.linked_ideas(measure), candidates=candidates, query=query,
        event_id=event_id, events=events, link_form=link_form or LinkIdeasForm(), confirm=ConfirmForm(),
    ), status


@bp.route("/manage/measures/<int:measure_id>", methods=["GET", "POST"])
@staff_required("admin")
def measure_detail(measure_id: int):
    measure = get_measure(measure_id)
    form = MeasureEditForm(obj=measure)
    if form.validate_on_submit():
        try:
            lifecycle.update_measure(measure, title=form.title.data, description=form.description.data,
                                     chapter=form.chapter.data, office=form.office.data,
                                     progress=form.progress.data)
        except MeasureError as exc:
            attach_error(form, exc)
        else:
            flash(_("The measure has been saved."), "success")
            return redirect(url_for("measures.measure_detail", measure_id=measure.id), 303)
    return _detail(measure, edit_form=form, status=422 if form.is_submitted() else 200)


@bp.route("/manage/measures/<int:measure_id>/status", methods=["POST"])
@staff_required("admin")
def change_status(measure_id: int):
    measure = get_measure(measure_id)
    form = StatusForm()
    form.status.choices = status_choices(next_statuses(measure))
    if form.validate_on_submit():
        try:
            lifecycle.change_status(measure, form.status.data, on=form.changed_on.data, comment=form.comment.data,
                                    progress=form.progress.data, user=current_user)
        except MeasureError as exc:
            attach_error(form, exc)
        else:
            flash(_("The status is now “%(status)s”.", status=status_label(measure.status)), "success")
            return redirect(url_for("measures.measure_detail", measure_id=measure.id), 303)
    return _detail(measure, status_form=form, status=422)


@bp.route("/manage/measures/<int:measure_id>/ideas", methods=["POST"])
@staff_required("admin")
def link_ideas(measure_id: int):
    measure = get_measure(measure_id)
    form = LinkIdeasForm()
    if form.validate_on_submit() and form.idea_ids.data:
        chosen = [i for i in form.idea_ids.data[:MAX_LINK_BATCH + 1] if 0 < i <= MAX_ID]
        ideas = db.session.execute(sa.select(Idea).where(Idea.id.in_(chosen))).scalars().all()
        try:
            if len(ideas) != len(set(form.idea_ids.data)):
                raise MeasureError(_("One of the chosen ideas does not exist (any more)."), "idea_missing")
            linked = links.link_ideas(measure, ideas, user=current_user)
        except MeasureError as exc:
            attach_error(form, exc, "idea_ids")
        else:
            flash(ngettext_linked(len(linked)), "success")
            return redirect(url_for("measures.measure_detail", measure_id=measure.id), 303)
    elif not form.errors:
        form.idea_ids.errors = [_("Choose at least one idea.")]
    # The page again with the same search (the form's URL carries it), the ideas still ticked and
    # the message at the list (issue 16 item 7).
    return _detail(measure, link_form=form, status=422)


def ngettext_linked(n: int) -> str:
    return ngettext("%(num)d idea taken into the measure.", "%(num)d ideas taken into the measure.", n)


@bp.route("/manage/measures/<int:measure_id>/ideas/<int:idea_id>/unlink", methods=["POST"])
@staff_required("admin")
def unlink_idea(measure_id: int, idea_id: int):
    measure = get_measure(measure_id)
    idea = get_idea(idea_id)
    if ConfirmForm().validate_on_submit():
        if links.unlink_idea(measure, idea, user=current_user):
            flash(_("Idea %(id)s is no longer linked to the measure.", id=idea_number(idea.id)), "success")
    return redirect(safe_next(url_for("measures.measure_detail", measure_id=measure.id)), 303)


# -- from the idea lists --------------------------------------------------------------------------


def idea_measure_controls(ideas) -> dict:
    """For the staff idea lists (app/ideas templates): per idea its measures and not-taken
    reason, the process's measures to choose from, and the forms. Admins only; three queries."""
    if not current_user.is_authenticated or not current_user.has_role("admin"):
        return {}
    ideas = list(ideas)
    if not ideas:
        return {}
    ids = [i.id for i in ideas]
    process_id = ideas[0].stand.event.process_id
    return {
        "measures": links.measures_by_idea(ids),
        "reasons": links.not_taken_reasons(ids),
        "choices": lifecycle.measures_of(process_id),
        "link_form": LinkMeasureForm(),
        "reason_form": ReasonForm(),
        "confirm": ConfirmForm(),
        "next": request.full_path if request.query_string else request.path,
    }


@bp.route("/manage/ideas/<int:idea_id>/measures", methods=["POST"])
@staff_required("admin")
def link_from_idea(idea_id: int):
    idea = get_idea(idea_id)
    form = LinkMeasureForm()
    back = safe_next(url_for("ideas.idea_detail", idea_id=idea.id))
    if form.validate_on_submit() and form.measure_id.data:
        # validate_choice is off (the choices are filled per idea): keep the id in the column's range.
        measure = db.session.get(Measure, form.measure_id.data) if 0 < form.measure_id.data <= MAX_ID else None
        if measure is None:
            return _refused_in_list(back, f"measure-for-{idea.id}", _("Choose a measure."))
        try:
            links.link_ideas(measure, [idea], user=current_user)
        except MeasureError as exc:
            return _refused_in_list(back, f"measure-for-{idea.id}", exc.message)
        flash(_("Idea %(id)s is taken into “%(title)s”.", id=idea_number(idea.id), title=measure.title), "success")
        return redirect(back, 303)
    return _refused_in_list(back, f"measure-for-{idea.id}", _("Choose a measure."))


def _refused_in_list(back: str, field_id: str, message):
    """The idea list again with the message at the row's field and what was typed (issue 16 item 7);
    a flash on the list if it cannot be shown."""
    page = formreplay.page_with_refusal(back, field_id, str(message))
    if page is not None:
        return page
    db.session.rollback()  # refused: the redirect below must not commit
    flash(str(message), "error")
    return redirect(back, 303)


@bp.route("/manage/ideas/<int:idea_id>/not-taken", methods=["POST"])
@staff_required("admin")
def not_taken(idea_id: int):
    idea = get_idea(idea_id)
    form = ReasonForm()
    back = safe_next(url_for("ideas.idea_detail", idea_id=idea.id))
    if form.validate_on_submit():
        try:
            if (form.reason.data or "").strip():
                links.set_not_taken(idea, form.reason.data, user=current_user)
                message = _("The reason has been saved; it is shown on the public page.")
            else:
                links.clear_not_taken(idea, user=current_user)
                message = _("The reason has been removed.")
        except MeasureError as exc:
            return _refused_in_list(back, f"reason-{idea.id}", exc.message)
        flash(message, "success")
    return redirect(back, 303)


# -- CSV import ------------------------------------------------------------------------------------


@bp.errorhandler(413)
def upload_too_large(exc=None):
    """The answer to an upload over the size limit: called before the body is read when the
    Content-Length says so, or when the body turned out too large while it was streaming."""
    process = db.session.get(Process, (request.view_args or {}).get("process_id", 0))
    if process is None or request.endpoint != "measures.import_measures":
        return render_error(413)
    form = ImportForm(formdata=None, meta={"csrf": False})  # must not read the body
    form.file.errors = [str(importer.too_large_message(current_app.config["MEASURES_IMPORT_MAX_BYTES"]))]
    response = render_template("measures/manage/import.html", process=process, form=form, preview=None,
                               entry=None)
    return response, 413


@bp.route("/manage/processes/<int:process_id>/measures/import", methods=["GET", "POST"])
@staff_required("admin")
def import_measures(process_id: int):
    process = get_process(process_id)
    form = ImportForm()
    preview = entry = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors = [_("Choose a CSV file.")]
            status = 422
        else:
            limit = current_app.config["MEASURES_IMPORT_MAX_BYTES"]
            preview = importer.parse(process, importer.read_limited(upload.stream, limit))
            if preview.ok:
                entry = importer.store(process, current_user, preview, upload.filename)
            else:
                status = 422
    elif form.is_submitted():
        status = 422
    return render_template("measures/manage/import.html", process=process, form=form, preview=preview,
                           entry=entry, confirm=ConfirmForm(), labels=STATUS_LABELS), status


@bp.route("/manage/processes/<int:process_id>/measures/import/<int:import_id>", methods=["POST"])
@staff_required("admin")
def confirm_import(process_id: int, import_id: int):
    process = get_process(process_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        measures = importer.confirm(process, current_user, import_id)
    except MeasureError as exc:
        db.session.rollback()  # refused: the redirect below must not commit
        flash(str(exc.message), "error")
        return redirect(url_for("measures.import_measures", process_id=process.id), 303)

    flash(ngettext("%(num)d measure imported.", "%(num)d measures imported.", len(measures)), "success")
    return redirect(url_for("measures.measure_list", process_id=process.id), 303)
