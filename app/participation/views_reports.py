"""Reports (issue 18): the report form of an idea or a comment, for anyone and for a participant
with their link; the moderators resolve the open reports in the stand's online queue. The rules
are in :mod:`app.participation.reports`."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import ratelimit
from app.core.access import public, staff_required
from app.core.forms import attach_error
from app.core.security import MAX_ID
from app.events.models import Process
from app.extensions import db
from app.ideas.forms import ConfirmForm
from app.ideas.services import IdeaError
from app.ideas.views_manage import MODERATION, get_idea
from app.participation import bp, reports, services
from app.participation.models import Comment, Participant
from app.participation.moderation import netiquette_reasons
from app.participation.participant_forms import HONEYPOT, ReportForm
from app.participation.views_comments import _moderated_comment, _public_idea_or_404
from app.participation.views_public import _participant_or_404


def _comment_item_or_404(process: Process, comment_id: int) -> reports.Item:
    comment = db.session.get(Comment, comment_id) if comment_id <= MAX_ID else None
    if comment is None:
        abort(404)
    return reports.Item(_public_idea_or_404(process, comment.idea_id), comment)


def _report_page(item: reports.Item, process: Process, participant: Participant | None, token: str | None):
    form = ReportForm()
    form.reason.choices = [("", _("– choose a rule –"))] + [(r, r) for r in netiquette_reasons(process.id)]
    back = (url_for("participation.participant_idea", link=token, idea_id=item.idea.id) if participant
            else url_for("participation.public_idea", process_id=process.id, idea_id=item.idea.id))
    context = {"item": item, "process": process, "form": form, "back": back, "participant": participant}
    try:
        reports.check_reportable(item)
    except services.ParticipationError as exc:
        flash(str(exc.message), "error")
        return redirect(back, 303)
    if participant is not None and reports.already_reported(participant, item):
        flash(_("You have already reported this contribution; the moderation will look at it."), "success")
        return redirect(back, 303)
    if ratelimit.refused():
        flash(ratelimit.refused(), "error")
        return render_template("participation/comments/report.html", **context), 429
    if request.method == "POST" and (request.form.get(HONEYPOT) or "").strip():
        return redirect(back, 303)  # a bot: store nothing
    if form.validate_on_submit():
        try:
            reports.report(item, form.reason.data, form.details.data, participant)
        except services.ParticipationError as exc:
            if exc.code in ("unconfirmed", "blocked", "not_reportable", "rate_limited"):
                flash(str(exc.message), "error")
                return render_template("participation/comments/report.html", **context), (
                    429 if exc.code == "rate_limited" else 403)
            attach_error(form, exc)
        else:
            flash(_("Thank you! The moderation will look at your report."), "success")
            return redirect(back, 303)
    return render_template("participation/comments/report.html", **context), 422 if form.is_submitted() else 200


_LIMIT = ratelimit.limit("PARTICIPATION_REPORT_RATE_LIMIT", scope="participation-report-address", methods=["POST"],
                         keep_form=True)


@bp.route("/processes/<int:process_id>/ideas/<int:idea_id>/report", methods=["GET", "POST"])
@public
@_LIMIT
def report_idea(process_id: int, idea_id: int):
    process = db.get_or_404(Process, process_id)
    return _report_page(reports.Item(_public_idea_or_404(process, idea_id)), process, None, None)


@bp.route("/processes/<int:process_id>/comments/<int:comment_id>/report", methods=["GET", "POST"])
@public
@_LIMIT
def report_comment(process_id: int, comment_id: int):
    process = db.get_or_404(Process, process_id)
    return _report_page(_comment_item_or_404(process, comment_id), process, None, None)


@bp.route("/participation/<link>/ideas/<int:idea_id>/report", methods=["GET", "POST"])
@public
def participant_report_idea(link: str, idea_id: int):
    participant = _participant_or_404(link)
    item = reports.Item(_public_idea_or_404(participant.process, idea_id))
    return _report_page(item, participant.process, participant, link)


@bp.route("/participation/<link>/comments/<int:comment_id>/report", methods=["GET", "POST"])
@public
def participant_report_comment(link: str, comment_id: int):
    participant = _participant_or_404(link)
    return _report_page(_comment_item_or_404(participant.process, comment_id), participant.process, participant, link)


# ------------------------------------------------------------------ moderation


def _resolve(item: reports.Item):
    if ConfirmForm().validate_on_submit():
        try:
            count = reports.resolve(item, user=current_user)
        except IdeaError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(str(exc.message), "error")
        else:
            flash(_("The reports are marked as resolved (%(num)d).", num=count), "success")
    return redirect(url_for("participation.online_queue", stand_id=item.idea.stand_id) + "#reports-heading", 303)


@bp.route("/stand-ideas/<int:idea_id>/resolve-reports", methods=["POST"])
@staff_required(*MODERATION)
def resolve_idea_reports(idea_id: int):
    return _resolve(reports.Item(get_idea(idea_id)))


@bp.route("/online-comments/<int:comment_id>/resolve-reports", methods=["POST"])
@staff_required(*MODERATION)
def resolve_comment_reports(comment_id: int):
    comment = _moderated_comment(comment_id)
    return _resolve(reports.Item(comment.idea, comment))
