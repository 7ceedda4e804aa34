"""Residents apply for a seat, confirm by mail, and manage their application by its secret link."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.core.access import public
from app.core.forms import attach_error
from app.core.models import utcnow
from app.core import ratelimit
from app.events import bp
from app.events import application_services as services
from app.events.application_forms import HONEYPOT, apply_form, manage_form
from app.events.application_services import ApplicationData, ApplicationError
from app.events.models import Event
from app.events.services import public_event_or_404
from app.extensions import db


def get_application_or_404(token: str):
    application = services.find_by_token(token)
    if application is None:
        abort(404)
    return application


def _unavailable(response) -> bool:
    """A 503 (the database restarting) is no application: it must not use up the allowance."""
    return response.status_code == 503


def _closed(event: Event, status: int):
    return render_template("events/apply_closed.html", event=event, now=utcnow()), status


@bp.route("/events/<int:event_id>/apply", methods=["GET", "POST"])
@public
@ratelimit.limit("APPLY_RATE_LIMIT", methods=["POST"], refund_when=ratelimit.database_unavailable, keep_form=True)
def apply(event_id: int):
    event = public_event_or_404(event_id)
    if event.invitation_only:  # only with the personal code of a letter (app/invitations)
        return render_template("events/apply_invitation_only.html", event=event), \
            409 if request.method == "POST" else 200
    if not services.window_is_open(event):
        return _closed(event, 409 if request.method == "POST" else 200)
    form = apply_form(event)
    if ratelimit.refused():  # the form again as typed, with how long to wait; nothing stored
        flash(ratelimit.refused(), "error")
        return render_template("events/apply.html", event=event, form=form)
    if request.method == "POST" and (request.form.get(HONEYPOT) or "").strip():
        # A bot filled the hidden field: answer as for any application, store nothing.
        return redirect(url_for("events.apply_sent", event_id=event.id))
    if form.validate_on_submit():
        data = ApplicationData(name=form.name.data, email=form.email.data, answers=form.answers(),
                               consent=bool(form.consent.data), language=str(get_locale() or "de"),
                               notify_measures=bool(form.notify_measures.data))
        try:
            services.submit_application(event, data)
        except ApplicationError as exc:
            if exc.code == "window_closed":
                return _closed(event, 409)
            if exc.code == "invitation_only":
                return render_template("events/apply_invitation_only.html", event=event), 409
            attach_error(form, exc)
        else:
            return redirect(url_for("events.apply_sent", event_id=event.id))
    status = 422 if form.is_submitted() else 200
    return render_template("events/apply.html", event=event, form=form), status


@bp.route("/events/<int:event_id>/apply/sent")
@public
def apply_sent(event_id: int):
    event = public_event_or_404(event_id)
    return render_template("events/apply_sent.html", event=event)


@bp.route("/applications/<token>", methods=["GET", "POST"])
@public
def manage_application(token: str):
    application = get_application_or_404(token)
    event = application.event
    form = None
    if services.can_edit(application):
        form = manage_form(event)
        if not form.is_filled_in():
            form.name.data = application.name
            form.set_answers({a.criterion_id: a.option_id for a in application.answers})
        elif form.validate_on_submit():
            try:
                services.update_answers(application, form.name.data, form.answers())
            except ApplicationError as exc:
                attach_error(form, exc)
            else:
                flash(_("Your changes have been saved."), "success")
                return redirect(url_for("events.manage_application", token=token))
    elif request.method == "POST":
        flash(_("The application can no longer be changed: the application period has ended."), "error")
        return redirect(url_for("events.manage_application", token=token)), 303
    status = 422 if form is not None and form.errors else 200
    return render_template("events/application_manage.html", application=application, event=event,
                           form=form, token=token, can_withdraw=services.can_withdraw(application),
                           status_label=services.STATUS_LABELS.get(application.status)), status


@bp.route("/applications/<token>/confirm/<signature>", methods=["GET", "POST"])
@public
def confirm_application(token: str, signature: str):
    # GET only shows a button: link scanners in mail systems open links, and a GET
    # must never change anything.
    try:
        if request.method == "POST":
            services.confirm_application(token, signature)
        else:
            application = services.check_confirmation_link(token, signature)
    except ApplicationError as exc:
        if exc.code == "not_found":
            abort(404)
        status = 410 if exc.code in ("link_expired", "too_late") else 400
        return render_template("events/application_link_error.html", message=exc.message), status
    if request.method == "GET":
        return render_template("events/application_confirm.html", application=application,
                               event=application.event)
    flash(_("Thank you! Your email address is confirmed and your application counts."), "success")
    return redirect(url_for("events.manage_application", token=token))


@bp.route("/applications/<token>/withdraw", methods=["GET", "POST"])
@public
def withdraw_application(token: str):
    application = get_application_or_404(token)
    if request.method == "POST":
        try:
            services.withdraw(application, token)
        except ApplicationError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(str(exc.message), "error")
            return redirect(url_for("events.manage_application", token=token))
        flash(_("Your application has been withdrawn."), "success")
        return redirect(url_for("events.manage_application", token=token))
    if not services.can_withdraw(application):
        flash(_("This application cannot be withdrawn."), "error")
        return redirect(url_for("events.manage_application", token=token))
    return render_template("events/application_withdraw.html", application=application,
                           event=application.event, token=token)
