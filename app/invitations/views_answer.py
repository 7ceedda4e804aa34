"""Answering an invitation: the invitee's public pages (code, answer, thanks) and staff entering a
paper or phone answer. Wrong codes share one guessing allowance per client address
(``INVITATIONS_CODE_RATE_LIMIT``), charged before the check and given back for every answer that
is not a wrong code (404), as with ticket codes."""
from __future__ import annotations

import json
import logging

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.core import ratelimit
from app.core.access import public, staff_required
from app.core.logs import log_event
from app.events.application_services import ApplicationError
from app.events.models import Event
from app.extensions import db
from app.invitations import answering, bp, codes, stage1
from app.invitations.errors import InvitationError
from app.invitations.forms import CodeForm, answer_form
from app.invitations.models import Invitation
from app.privacy import services as privacy_services

SCOPE = "invitation-code"


def _not_a_wrong_code(response) -> bool:
    return response.status_code != 404


def _attach(form, exc) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
    else:
        flash(str(exc.message), "error")


def _lookup(raw_code, event: Event | None = None) -> Invitation:
    """The open invitation of a typed code (of ``event`` for staff).

    :raises InvitationError: ``bad_code``, ``answer_closed``, ``no_person``.
    """
    invitation = stage1.find_invitation(raw_code)
    if event is not None and invitation.event_id != event.id:
        raise InvitationError("bad_code", _("This invitation code is not known. Please check it against your letter."),
                              field="code")
    answering.check_open(invitation, by_staff=event is not None)
    answering.person_of(invitation)
    return invitation


def _code_page(form, error, status: int, event: Event | None = None):
    template = "invitations/staff_answer_code.html" if event is not None else "invitations/answer_code.html"
    return render_template(template, form=form, error=error, event=event), status


def _answer_page(invitation: Invitation, form, status: int, staff: bool = False):
    person = answering.person_of(invitation)
    event = db.session.get(Event, invitation.event_id)
    return render_template("invitations/answer.html", invitation=invitation, event=event, form=form, staff=staff,
                           name=answering.display_name(person), address=answering.address_lines(person),
                           code=codes.format_code(codes.normalise_code(form.code.data) or "")), status


def _new_answer_form(invitation: Invitation, code: str, *, staff: bool, formdata=None):
    event = db.session.get(Event, invitation.event_id)
    criteria = answering.asked_criteria(event, answering.person_of(invitation))
    form = answer_form(criteria, staff=staff, formdata=formdata)
    form.code.data = code
    return form


def _failed(exc: InvitationError, event: Event | None = None):
    log_event("invitations.code_failed", logging.WARNING, code=exc.code, staff=event is not None)
    form = CodeForm(formdata=None)
    form.code.data = request.form.get("code", "")
    return _code_page(form, exc, 404 if exc.code == "bad_code" else 409, event)


@bp.route("/invitation", methods=["GET", "POST"])
@public
@ratelimit.limit("INVITATIONS_CODE_RATE_LIMIT", scope=SCOPE, methods=["POST"], refund_when=_not_a_wrong_code,
                 keep_form=True)
def answer_code():
    """Type the code from the letter (the QR link fills it in: ``?code=``), then the answer form."""
    form = CodeForm()  # a GET shows it empty, or with what was typed when the session had expired
    if request.method == "GET":
        if not form.is_filled_in():
            form.code.data = (request.args.get("code") or "")[:64]
        return _code_page(form, None, 200)
    if ratelimit.refused():
        flash(ratelimit.refused(), "error")
        return _code_page(form, None, 429)
    if not form.validate_on_submit():
        return _code_page(form, None, 400)
    try:
        invitation = _lookup(form.code.data)
    except InvitationError as exc:
        return _failed(exc)
    return _answer_page(invitation, _new_answer_form(invitation, codes.normalise_code(form.code.data), staff=False),
                        200)


@bp.route("/invitation/answer", methods=["POST"])
@public
@ratelimit.limit("INVITATIONS_CODE_RATE_LIMIT", scope=SCOPE, refund_when=_not_a_wrong_code, keep_form=True)
def answer_submit():
    """The answer form sent: an application of the event, marked as invited; the code is used up."""
    raw = request.form.get("code")
    if ratelimit.refused():
        flash(ratelimit.refused(), "error")
        form = CodeForm(formdata=None)
        form.code.data = raw or ""
        return _code_page(form, None, 429)
    try:
        invitation = _lookup(raw)
    except InvitationError as exc:
        return _failed(exc)
    form = _new_answer_form(invitation, codes.normalise_code(raw), staff=False, formdata=request.form)
    if form.validate_on_submit():
        try:
            answering.answer(invitation, email=form.email.data, phone=form.phone.data, answers=form.answers(),
                             consent=bool(form.consent.data), language=str(get_locale() or "de"))
        except (ApplicationError, InvitationError) as exc:
            _attach(form, exc)
        else:
            return redirect(url_for("invitations.answer_done", event_id=invitation.event_id), 303)
    return _answer_page(invitation, form, 422)


@bp.route("/events/<int:event_id>/invitation/done")
@public
def answer_done(event_id: int):
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return render_template("invitations/answer_done.html", event=event)


@bp.route("/manage/events/<int:event_id>/invitations/answer", methods=["GET", "POST"])
@staff_required("admin")
def staff_answer(event_id: int):
    """Staff enter an answer that came on the paper reply form or by phone: the code from the letter
    first, then the invitee's answers, the source and the consent they recorded."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if request.method == "GET" or request.form.get("step") != "answer":
        form = CodeForm()
        if request.method == "GET" or not form.validate_on_submit():
            return _code_page(form, None, 200 if request.method == "GET" else 400, event)
        try:
            invitation = _lookup(form.code.data, event)
        except InvitationError as exc:
            return _failed(exc, event)
        return _answer_page(invitation, _new_answer_form(invitation, codes.normalise_code(form.code.data), staff=True),
                            200, staff=True)
    try:
        invitation = _lookup(request.form.get("code"), event)
    except InvitationError as exc:
        return _failed(exc, event)
    form = _new_answer_form(invitation, codes.normalise_code(request.form.get("code")), staff=True,
                            formdata=request.form)
    if form.validate_on_submit():
        try:
            answering.answer(invitation, email=form.email.data, phone=form.phone.data, answers=form.answers(),
                             consent=bool(form.consent.data), language=form.language.data, source=form.source.data,
                             staff_user=current_user)
        except (ApplicationError, InvitationError) as exc:
            _attach(form, exc)
        else:
            flash(_("The answer has been recorded: the invitee takes part in the seat lottery."), "success")
            return redirect(url_for("invitations.staff_answer", event_id=event.id), 303)
    return _answer_page(invitation, form, 422, staff=True)


@bp.route("/invitation/my-data", methods=["GET", "POST"])
@public
@ratelimit.limit("INVITATIONS_CODE_RATE_LIMIT", scope=SCOPE, methods=["POST"], refund_when=_not_a_wrong_code,
                 keep_form=True)
def own_data():
    """An invitee who answered (by phone or on paper too, without an email and so without a manage
    link) sees with the code from the letter what is stored about them, or downloads it (JSON)."""
    form = CodeForm()
    if request.method == "GET" or ratelimit.refused() or not form.validate_on_submit():
        if request.method == "POST" and ratelimit.refused():
            flash(ratelimit.refused(), "error")
        status = 200 if request.method == "GET" else (429 if ratelimit.refused() else 400)
        return render_template("invitations/own_data_code.html", form=form, error=None), status
    try:
        invitation = stage1.find_answered(form.code.data)
    except InvitationError as exc:
        log_event("invitations.code_failed", logging.WARNING, code=exc.code, staff=False, own_data=True)
        return render_template("invitations/own_data_code.html", form=form, error=exc), 404
    data = privacy_services.own_data(invitation.application)
    if request.form.get("format") == "json":
        return Response(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="ideenmarkt-application-'
                                                        f'{invitation.application_id}.json"', "Cache-Control": "no-store"})
    event = db.session.get(Event, invitation.event_id)
    person = invitation.person
    response = make_response(render_template(
        "invitations/own_data.html", event=event, invitation=invitation, application=invitation.application,
        data=data, code=codes.normalise_code(form.code.data),
        address=answering.address_lines(person) if person is not None else None))
    response.headers["Cache-Control"] = "no-store"
    return response
