"""Staff pages for processes, events, their status and criteria.

Admins change things; council members may look at the overviews, which show
counts only and never personal data.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import staff_required
from app.core.forms import attach_error
from app.events import bp, services
from app.events.forms import CriterionForm, EventForm, ProcessForm, criterion_form, pad_options
from app.events.models import Application, Criterion, Event, Process
from app.events.services import EventError
from app.extensions import db


def get_process_or_404(process_id: int) -> Process:
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    return process


def get_event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def get_criterion_or_404(criterion_id: int) -> Criterion:
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None:
        abort(404)
    return criterion


def _is_admin() -> bool:
    return "admin" in current_user.role_names


# ------------------------------------------------------------------ processes


@bp.route("/manage/processes")
@staff_required("admin", "council")
def manage_processes():
    processes = db.session.execute(sa.select(Process).order_by(Process.created_at.desc())).scalars().all()
    counts = dict(db.session.execute(
        sa.select(Event.process_id, sa.func.count(Event.id)).group_by(Event.process_id)).all())
    return render_template("events/manage/processes.html", processes=processes, counts=counts,
                           can_edit=_is_admin())


@bp.route("/manage/processes/new", methods=["GET", "POST"])
@staff_required("admin")
def create_process():
    return _process_editor(None)


@bp.route("/manage/processes/<int:process_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def edit_process(process_id: int):
    return _process_editor(get_process_or_404(process_id))


def _process_editor(process: Process | None):
    form = ProcessForm(obj=process)
    if form.validate_on_submit():
        fields = (form.title.data, form.description.data, form.stakeholder_groups.data, form.easy_summary.data)
        try:
            if process is None:
                process = services.create_process(*fields)
            else:
                services.update_process(process, *fields)
        except EventError as exc:
            form.title.errors.append(str(exc.message))
        else:
            flash(_("The process has been saved."), "success")
            return redirect(url_for("events.manage_process", process_id=process.id))
    return _form_page("events/manage/process_form.html", form, process=process)


@bp.route("/manage/processes/<int:process_id>")
@staff_required("admin", "council")
def manage_process(process_id: int):
    process = get_process_or_404(process_id)
    counts = dict(db.session.execute(
        sa.select(Application.event_id, sa.func.count(Application.id))
        .join(Event, Event.id == Application.event_id)
        .where(Event.process_id == process.id).group_by(Application.event_id)).all())
    return render_template("events/manage/process.html", process=process, counts=counts, can_edit=_is_admin())


# ------------------------------------------------------------------ events


@bp.route("/manage/processes/<int:process_id>/events/new", methods=["GET", "POST"])
@staff_required("admin")
def create_event(process_id: int):
    return _event_editor(get_process_or_404(process_id), None)


@bp.route("/manage/events/<int:event_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def edit_event(event_id: int):
    event = get_event_or_404(event_id)
    return _event_editor(event.process, event)


#: The event form's field a refusal of :func:`services.update_event` belongs to (else: the form).
EVENT_FIELD_OF_CODE = {"title_missing": "title", "start_missing": "starts_at", "end_before_start": "ends_at",
                       "window_order": "applications_close_at", "window_after_start": "applications_close_at",
                       "seats_range": "seats", "retention_range": "retention_days"}


def _event_editor(process: Process, event: Event | None):
    form = EventForm(obj=event)
    if form.validate_on_submit():
        try:
            if event is None:
                event = services.create_event(process, form.to_data())
                message = _("The event has been created as a draft.")
            else:
                services.update_event(event, form.to_data())
                message = _("The event has been saved.")
        except EventError as exc:
            attach_error(form, exc, EVENT_FIELD_OF_CODE.get(exc.code))
        else:
            flash(message, "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    return _form_page("events/manage/event_form.html", form, process=process, event=event)


@bp.route("/manage/events/<int:event_id>")
@staff_required("admin", "council")
def manage_event(event_id: int):
    event = get_event_or_404(event_id)
    by_status = dict(db.session.execute(
        sa.select(Application.status, sa.func.count(Application.id))
        .where(Application.event_id == event.id).group_by(Application.status)).all())
    return render_template(
        "events/manage/event.html", event=event, by_status=by_status, can_edit=_is_admin(),
        actions=services.available_actions(event), locked_reason=services.criteria_locked_reason(event),
    )


@bp.route("/manage/events/<int:event_id>/status", methods=["POST"])
@staff_required("admin")
def change_event_status(event_id: int):
    event = get_event_or_404(event_id)
    action = request.form.get("action", "")
    try:
        services.change_status(event, action)
    except EventError as exc:
        db.session.rollback()  # refused: the redirect below must not commit
        flash(str(exc.message), "error")
    else:
        flash(_("The status is now “%(status)s”.", status=services.EVENT_STATUS_LABELS[event.status]), "success")
    return redirect(url_for("events.manage_event", event_id=event.id))


# ------------------------------------------------------------------ criteria


@bp.route("/manage/events/<int:event_id>/criteria/new", methods=["GET", "POST"])
@staff_required("admin")
def create_criterion(event_id: int):
    event = get_event_or_404(event_id)
    return _criterion_editor(event, None)


@bp.route("/manage/criteria/<int:criterion_id>", methods=["GET", "POST"])
@staff_required("admin")
def edit_criterion(criterion_id: int):
    criterion = get_criterion_or_404(criterion_id)
    return _criterion_editor(criterion.event, criterion)


@bp.route("/manage/criteria/<int:criterion_id>/delete", methods=["POST"])
@staff_required("admin")
def delete_criterion(criterion_id: int):
    criterion = get_criterion_or_404(criterion_id)
    event_id = criterion.event_id
    try:
        services.delete_criterion(criterion)
    except EventError as exc:
        db.session.rollback()  # refused: the redirect below must not commit
        flash(str(exc.message), "error")
    else:
        flash(_("The criterion has been removed."), "success")
    return redirect(url_for("events.manage_event", event_id=event_id))


def _criterion_editor(event: Event, criterion: Criterion | None):
    locked = services.criteria_locked_reason(event)
    if locked:
        flash(str(locked), "error")
        return redirect(url_for("events.manage_event", event_id=event.id))
    form = criterion_form(criterion)
    problem = None
    if form.validate_on_submit():
        try:
            criterion = services.save_criterion(event, form.label.data, form.key.data or "", form.to_options(),
                                                criterion=criterion)
        except EventError as exc:
            problem = str(exc.message)
        else:
            flash(_("The criterion “%(label)s” has been saved.", label=criterion.label), "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    if not form.is_filled_in():
        pad_options(form, 3 if criterion is not None else 4)
    status = 422 if form.is_submitted() else 200
    return render_template("events/manage/criterion_form.html", form=form, event=event, criterion=criterion,
                           problem=problem, row_errors=_row_errors(form)), status


def _row_errors(form: CriterionForm) -> list[tuple[str, str]]:
    """(field id, message) for every error of the option rows, for the error summary."""
    found = []
    for index, row in enumerate(form.options, start=1):
        for sub in row.form:
            for message in sub.errors:
                found.append((sub.id, _("Option %(n)d, %(field)s: %(message)s", n=index, field=sub.label.text,
                                        message=message)))
    return found


def _form_page(template: str, form, **context):
    process = context.get("process")
    if process is not None and "stakeholder_group" in form and process.stakeholder_group_list:
        form.stakeholder_group.render_kw = {"list": "stakeholder-groups"}
    status = 422 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status
