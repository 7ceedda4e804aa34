"""Residents' pages of online participation: sign up without an account, confirm the address,
and with the private participation link submit, edit and withdraw ideas (issue 18)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.core import ratelimit
from app.core.access import public
from app.core.privacy import own_data_response
from app.core.forms import attach_error as _attach_error
from app.events.models import Process
from app.extensions import db
from app.participation import bp, comments, follows, lists, privacy, services, supports
from app.participation.views_lists import render_list
from app.participation.models import Participant
from app.participation.participant_forms import HONEYPOT, IdeaForm, SignupForm, StandIdeaForm


def _participant_or_404(token: str) -> Participant:
    participant = services.find_by_token(token)
    if participant is None:
        abort(404)
    return participant


@bp.route("/processes/<int:process_id>/participate", methods=["GET", "POST"])
@public
@ratelimit.limit("PARTICIPATION_SIGNUP_RATE_LIMIT", methods=["POST"], refund_when=ratelimit.database_unavailable, keep_form=True)
def signup(process_id: int):
    process = db.get_or_404(Process, process_id)
    if not services.is_open(process):
        return render_template("participation/closed.html", process=process), (
            409 if request.method == "POST" else 200)
    form = SignupForm()
    context = {"process": process, "form": form, "consent_texts": services.consent_texts(process)}
    if ratelimit.refused():
        flash(ratelimit.refused(), "error")
        return render_template("participation/signup.html", **context)
    if request.method == "POST" and (request.form.get(HONEYPOT) or "").strip():
        return redirect(url_for("participation.signup_sent", process_id=process.id))  # a bot: store nothing
    if form.validate_on_submit():
        data = services.SignupData(display_name=form.display_name.data,
                                   show_name_publicly=form.show_name_publicly.data == "yes",
                                   email=form.email.data, consent=bool(form.consent.data))
        try:
            services.sign_up(process, data)
        except services.ParticipationError as exc:
            if exc.code == "closed":
                return render_template("participation/closed.html", process=process), 409
            _attach_error(form, exc)
        else:
            return redirect(url_for("participation.signup_sent", process_id=process.id))
    status = 422 if form.is_submitted() else 200
    return render_template("participation/signup.html", **context), status


@bp.route("/processes/<int:process_id>/participate/sent")
@public
def signup_sent(process_id: int):
    return render_template("participation/signup_sent.html", process=db.get_or_404(Process, process_id))


@bp.route("/participation/<link>/confirm/<link_signature>", methods=["GET", "POST"])
@public
def confirm(link: str, link_signature: str):
    token, signature = link, link_signature
    # GET only shows a button: mail systems' link scanners open links, and a GET changes nothing.
    try:
        if request.method == "POST":
            participant = services.confirm(token, signature)
        else:
            participant = services.check_confirmation_link(token, signature)
    except services.ParticipationError as exc:
        if exc.code == "not_found":
            abort(404)
        status = 410 if exc.code == "link_expired" else 400
        return render_template("events/application_link_error.html", message=exc.message), status
    if request.method == "GET":
        return render_template("participation/confirm.html", participant=participant,
                               process=participant.process)
    flash(_("Thank you! Your email address is confirmed. We have also sent you your participation link."),
          "success")
    return redirect(url_for("participation.my_participation", link=token))


def _page(participant: Participant, token: str, form, status: int = 200):
    stands = services.idea_stands(participant.process)
    supported = supports.own_supported(participant)
    return render_template(
        "participation/mine.html", participant=participant, process=participant.process, token=token,
        form=form, stands=stands, ideas=services.own_ideas(participant), state_of=services.state_of,
        can_change=services.can_change, state_labels=services.STATE_LABELS, supported_ideas=supported,
        supportable=supports.supportable_ids(participant, supported), own_comments=comments.own_comments(participant),
        comment_state=comments.state_of, comment_labels=comments.STATE_LABELS,
        comment_can_change=comments.can_change, followed_ideas=follows.own_followed(participant)), status


def _refused(participant: Participant, token: str, exc: services.ParticipationError):
    """Unconfirmed or blocked: the page with the reason and no form, 403."""
    flash(str(exc.message), "error")
    return _page(participant, token, None, 403)


@bp.route("/participation/<link>", methods=["GET", "POST"])
@public
def my_participation(link: str):
    token = link
    participant = _participant_or_404(token)
    try:
        services.check_active(participant)
    except services.ParticipationError as exc:
        if request.method == "POST" or exc.code == "unconfirmed":
            return _refused(participant, token, exc)
        flash(str(exc.message), "error")
        return _page(participant, token, None)
    form = StandIdeaForm()
    form.stand.choices = [("", _("Choose a stand"))] + [
        (str(value), label) for value, label in services.stand_choices(services.idea_stands(participant.process))]
    if form.validate_on_submit():
        try:
            services.submit_idea(participant, form.stand.data, form.text.data)
        except services.ParticipationError as exc:
            if exc.code in ("unconfirmed", "blocked"):
                return _refused(participant, token, exc)
            if exc.code == "closed":  # the form is gone with the phase: the message stands alone
                flash(str(exc.message), "error")
            else:
                _attach_error(form, exc)
        else:
            flash(_("Thank you! Your idea has been saved."), "success")
            return redirect(url_for("participation.my_participation", link=token))
    return _page(participant, token, form, 422 if form.is_submitted() else 200)


def _back_with(token: str, message):
    """Back to "my participation" with ``message`` (a refused change), 303."""
    flash(str(message), "error")
    return redirect(url_for("participation.my_participation", link=token)), 303


def _own_idea_or_404(participant: Participant, idea_id: int):
    idea = services.own_idea(participant, idea_id)
    if idea is None:
        abort(404)
    return idea


@bp.route("/participation/<link>/ideas/<int:online_idea_id>/edit", methods=["GET", "POST"])
@public
def edit_idea(link: str, online_idea_id: int):
    token, idea_id = link, online_idea_id
    participant = _participant_or_404(token)
    idea = _own_idea_or_404(participant, idea_id)
    form = IdeaForm()
    if not form.is_filled_in():
        form.text.data = idea.text
    elif form.validate():
        try:
            services.edit_idea(participant, idea, form.text.data)
        except services.ParticipationError as exc:
            db.session.rollback()  # refused: the redirect of _back_with must not commit
            if exc.code in ("unconfirmed", "blocked", "not_changeable"):
                return _back_with(token, exc.message)
            _attach_error(form, exc)
        else:
            flash(_("Your changes have been saved."), "success")
            return redirect(url_for("participation.my_participation", link=token))
    if not services.can_change(idea):
        return _back_with(token, services.NOT_CHANGEABLE)
    return render_template("participation/idea_edit.html", participant=participant, idea=idea, form=form,
                           token=token, process=participant.process), 422 if form.is_submitted() else 200


@bp.route("/participation/<link>/ideas/<int:online_idea_id>/withdraw", methods=["GET", "POST"])
@public
def withdraw_idea(link: str, online_idea_id: int):
    token, idea_id = link, online_idea_id
    participant = _participant_or_404(token)
    idea = _own_idea_or_404(participant, idea_id)
    if request.method == "POST":
        try:
            services.withdraw_idea(participant, idea)
        except services.ParticipationError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            return _back_with(token, exc.message)
        flash(_("Your idea has been withdrawn."), "success")
        return redirect(url_for("participation.my_participation", link=token))
    if not services.can_change(idea):
        return _back_with(token, services.NOT_CHANGEABLE)
    return render_template("participation/idea_withdraw.html", participant=participant, idea=idea, token=token,
                           process=participant.process)


@bp.route("/participation/<link>/ideas")
@public
def participant_ideas(link: str):
    """The process's public idea list as the participant sees it: with support buttons."""
    participant = _participant_or_404(link)
    return render_list(participant.process, participant=participant, token=link)


@bp.route("/participation/<link>/supports", methods=["POST"])
@public
def change_support(link: str):
    """Support an idea or withdraw the support (form fields ``idea_id``, ``action``), then back to
    the same place of the participant's list (its filters and page in the form, 303)."""
    participant = _participant_or_404(link)
    # The way back to the list: its filters unchecked here, the list checks them again (no query per POST).
    back = lists.Filters.from_args(request.form, None)
    args = dict(back.args(), page=back.page) if back.page > 1 else back.args()
    to_mine = request.form.get("back") == "mine"
    try:
        idea = supports.find_idea(participant, request.form.get("idea_id"))
        if request.form.get("action") == "withdraw":
            changed = supports.withdraw_support(participant, idea)
            message = _("Your support has been withdrawn.") if changed else _("You do not support this idea.")
        else:
            changed = supports.support(participant, idea)
            message = _("Thank you! You support this idea.") if changed else _("You already support this idea.")
    except services.ParticipationError as exc:
        db.session.rollback()  # refused: the redirect below must not commit
        flash(str(exc.message), "error")
        if to_mine:
            return redirect(url_for("participation.my_participation", link=link, _anchor="supports")), 303
        return redirect(url_for("participation.participant_ideas", link=link, **args)), 303
    flash(message, "success")
    if to_mine:
        return redirect(url_for("participation.my_participation", link=link, _anchor="supports")), 303
    return redirect(url_for("participation.participant_ideas", link=link, **args, _anchor=f"idea-{idea.id}")), 303


@bp.route("/participation/<link>/data")
@public
def own_data(link: str):
    participant = _participant_or_404(link)
    return own_data_response(privacy.participant_data(participant), f"ideenmarkt-participation-{participant.id}.json")


@bp.route("/participation/<link>/erase", methods=["GET", "POST"])
@public
def erase(link: str):
    participant = _participant_or_404(link)
    if request.method == "POST":
        process_id = participant.process_id
        privacy.erase_participation(participant)
        flash(_("Your participation has been erased: your name and email address are deleted, and your link "
                "no longer works. Your ideas stay, without your name."), "success")
        return redirect(url_for("events.process_detail", process_id=process_id), 303)
    return render_template("participation/erase.html", participant=participant, process=participant.process,
                           token=link)
