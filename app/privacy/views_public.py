"""Public pages: the applicant's own data and erasure (by the secret manage link), the
privacy page, the accessibility statement and its feedback form."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from app.core.access import public
from app.core.privacy import own_data_response
from app.core import ratelimit
from app.events.application_services import find_by_token
from app.extensions import db
from app.privacy import bp, services
from app.privacy.forms import FeedbackForm
import sqlalchemy as sa
from app.events.models import Event
from app.events.services import PUBLIC_EVENT, PUBLIC_EVENT_ORDER


def _application_or_404(token: str):
    application = find_by_token(token)
    if application is None:
        abort(404)
    return application


@bp.route("/applications/<token>/data")
@public
def own_data(token: str):
    application = _application_or_404(token)
    return own_data_response(services.own_data(application), f"ideenmarkt-application-{application.id}.json")


@bp.route("/applications/<token>/erase", methods=["GET", "POST"])
@public
def erase(token: str):
    application = _application_or_404(token)
    if request.method == "POST":
        result = services.erase_application(application)
        return redirect(url_for("privacy.erased", result=result), 303)
    return render_template("privacy/erase.html", application=application, event=application.event, token=token)


@bp.route("/privacy/erased")
@public
def erased():
    deleted = request.args.get("result") == "deleted"
    return render_template("privacy/erased.html", deleted=deleted)


# ------------------------------------------------------------------ privacy, accessibility, feedback


@bp.route("/privacy")
@public
def privacy_page():

    events = db.session.execute(
        sa.select(Event).where(PUBLIC_EVENT).order_by(*PUBLIC_EVENT_ORDER)
    ).scalars().all()
    return render_template("privacy/privacy.html", events=events, retention_ends_at=services.retention_ends_at)


@bp.route("/accessibility/feedback", methods=["GET", "POST"])
@public
@ratelimit.limit("FEEDBACK_RATE_LIMIT", methods=["POST"], keep_form=True)
def feedback():
    form = FeedbackForm()
    if ratelimit.refused():  # the report again as typed, with how long to wait; nothing sent
        flash(ratelimit.refused(), "error")
        return render_template("privacy/feedback.html", form=form)
    if request.method == "POST" and (request.form.get("website") or "").strip():
        # A bot filled the hidden field: answer as for any report, send nothing.
        return redirect(url_for("privacy.feedback_sent"), 303)
    if form.validate_on_submit():
        services.send_feedback(form.name.data or "", form.email.data or "", form.message.data)
        return redirect(url_for("privacy.feedback_sent"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("privacy/feedback.html", form=form), status


@bp.route("/accessibility/feedback/sent")
@public
def feedback_sent():
    return render_template("privacy/feedback_sent.html")
