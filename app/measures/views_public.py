"""Public pages: "what became of the ideas" of a process, and the opt-out link of the mails."""
from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _

from app.core.access import public
from app.events.models import Process
from app.extensions import db
from app.measures import bp, notify
from app.measures.forms import ConfirmForm
from app.measures.outcome import outcome as outcome_of  # the view below is called outcome (its endpoint)


@bp.route("/processes/<int:process_id>/outcome")
@public
def outcome(process_id: int):
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    return render_template("measures/public/outcome.html", process=process, data=outcome_of(process))


@bp.route("/measure-mails/<mail_token>", methods=["GET", "POST"])
@public
def optout(mail_token: str):
    """Stop the mails about measures. A page with a button (GET changes nothing, so a mail
    scanner that opens links does not unsubscribe anyone)."""
    applications = notify.applications_for_token(mail_token)
    if not applications:
        abort(404)
    form = ConfirmForm()
    done = False
    if form.validate_on_submit():
        notify.opt_out(applications)
        done = True
    subscribed = any(a.notify_measures for a in applications)
    events = sorted({a.event.title for a in applications})
    return render_template("measures/public/optout.html", form=form, done=done, subscribed=subscribed,
                           events=events, message=_("You will receive no more mails about the measures.")
                           if done else None)
