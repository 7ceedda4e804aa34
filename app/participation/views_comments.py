"""Comments (issue 18): the public page of an idea with its comments; the participant's version
with the comment form, answers, editing and withdrawing their own comment; the moderators'
buttons in the stand's online queue. The rules are in :mod:`app.participation.comments`."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import sqlalchemy as sa

from app.core.access import public, staff_required
from app.core.forms import attach_error
from app.core.security import MAX_ID
from app.events.models import Event, Process
from app.extensions import db
from app.ideas.forms import ConfirmForm
from app.ideas.models import Idea, Stand
from app.ideas.services import IdeaError, can_moderate
from app.ideas.views_manage import MODERATION
from app.participation import bp, comments, follows, lists, services, supports
from app.participation.moderation import netiquette_reasons
from app.participation.models import Comment, Participant
from app.participation.participant_forms import CommentForm
from app.participation.views_moderation import comment_hide_form, queue_page
from app.participation.views_public import _participant_or_404


def _public_idea_or_404(process: Process, idea_id: int) -> Idea:
    idea = db.session.execute(
        sa.select(Idea).join(Stand, Stand.id == Idea.stand_id).join(Event, Event.id == Stand.event_id)
        .where(Idea.id == idea_id, lists.public_where(process))).scalar_one_or_none() if idea_id <= MAX_ID else None
    if idea is None:
        abort(404)
    return idea


def _render_idea(process: Process, idea: Idea, *, participant: Participant | None = None, token: str | None = None,
                 form: CommentForm | None = None, status: int = 200):
    can_write = participant is not None and participant.is_active and comments.comments_open(idea)
    if can_write and form is None:
        # On a GET the form is empty, or holds what was typed when the session had expired
        # (app/core/formreplay.py); after a refused POST of another kind it must not read the body.
        form = CommentForm() if request.method == "GET" else CommentForm(formdata=None)
    return render_template(
        "participation/comments/idea.html", process=process, idea=idea, threads=comments.threads(idea),
        outcome=lists.outcomes([idea])[idea.id], support_count=supports.counts([idea]).get(idea.id),
        participant=participant, token=token, form=form if can_write else None,
        reply_to=(form.parent_id.data or None) if form is not None else None,
        can_change=comments.can_change, open_=comments.comments_open(idea),
        following=participant is not None and follows.follows(participant, idea),
        can_follow=participant is not None and participant.is_active and idea.is_visible), status


@bp.route("/processes/<int:process_id>/ideas/<int:idea_id>")
@public
def public_idea(process_id: int, idea_id: int):
    process = db.get_or_404(Process, process_id)
    return _render_idea(process, _public_idea_or_404(process, idea_id))


@bp.route("/participation/<link>/ideas/<int:idea_id>", methods=["GET", "POST"])
@public
def participant_idea(link: str, idea_id: int):
    """The idea as the participant sees it; POST writes a comment (or an answer: ``parent_id``)."""
    participant = _participant_or_404(link)
    idea = _public_idea_or_404(participant.process, idea_id)
    if request.method == "GET":
        return _render_idea(participant.process, idea, participant=participant, token=link)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            comment = comments.write_comment(participant, idea, form.text.data, form.parent_id.data)
        except services.ParticipationError as exc:
            if exc.code in ("unconfirmed", "blocked", "closed", "not_commentable"):
                flash(str(exc.message), "error")
                return _render_idea(participant.process, idea, participant=participant, token=link, status=403
                                    if exc.code in ("unconfirmed", "blocked") else 409)
            attach_error(form, exc)
            if exc.code == "parent_invalid":  # no answer form for it: the text goes back to the main one
                form.parent_id.data = ""
        else:
            flash(_("Thank you! Your comment is shown now.") if comment.is_visible else
                  _("Thank you! Your comment will be shown once a moderator has approved it."), "success")
            return redirect(url_for("participation.participant_idea", link=link, idea_id=idea.id,
                                    _anchor=f"comment-{comment.id}"), 303)
    return _render_idea(participant.process, idea, participant=participant, token=link, form=form, status=422)


def _own_comment_or_404(participant: Participant, comment_id: int) -> Comment:
    comment = comments.own_comment(participant, comment_id)
    if comment is None:
        abort(404)
    return comment


def _back_to_mine(link: str, message):
    flash(str(message), "error")
    return redirect(url_for("participation.my_participation", link=link, _anchor="comments"), 303)


@bp.route("/participation/<link>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@public
def edit_comment(link: str, comment_id: int):
    participant = _participant_or_404(link)
    comment = _own_comment_or_404(participant, comment_id)
    form = CommentForm()
    if not form.is_filled_in():
        form.text.data = comment.text
    elif form.validate():
        try:
            comments.edit_comment(participant, comment, form.text.data)
        except services.ParticipationError as exc:
            db.session.rollback()  # refused: the redirect of _back_to_mine must not commit
            if exc.code in ("unconfirmed", "blocked", "not_changeable"):
                return _back_to_mine(link, exc.message)
            attach_error(form, exc)
        else:
            flash(_("Your changes have been saved."), "success")
            return redirect(url_for("participation.my_participation", link=link, _anchor="comments"), 303)
    if not comments.can_change(comment):
        return _back_to_mine(link, comments.NOT_CHANGEABLE)
    return render_template("participation/comments/edit.html", participant=participant, comment=comment, form=form,
                           token=link, process=participant.process), 422 if form.is_submitted() else 200


@bp.route("/participation/<link>/comments/<int:comment_id>/withdraw", methods=["GET", "POST"])
@public
def withdraw_comment(link: str, comment_id: int):
    participant = _participant_or_404(link)
    comment = _own_comment_or_404(participant, comment_id)
    if request.method == "POST":
        try:
            comments.withdraw_comment(participant, comment)
        except services.ParticipationError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            return _back_to_mine(link, exc.message)
        flash(_("Your comment has been withdrawn."), "success")
        return redirect(url_for("participation.my_participation", link=link, _anchor="comments"), 303)
    if not comments.can_change(comment):
        return _back_to_mine(link, comments.NOT_CHANGEABLE)
    return render_template("participation/comments/withdraw.html", participant=participant, comment=comment,
                           token=link, process=participant.process)


# ------------------------------------------------------------------ moderation


def _moderated_comment(comment_id: int) -> Comment:
    """The comment, or 404; 403 unless the user moderates its idea's stand (admins do)."""
    comment = db.session.get(Comment, comment_id) if comment_id <= MAX_ID else None
    if comment is None:
        abort(404)
    if not can_moderate(current_user, comment.idea.stand):
        abort(403)
    return comment


def _back(comment: Comment):
    return redirect(url_for("participation.online_queue", stand_id=comment.idea.stand_id)
                    + f"#comment-{comment.id}", 303)


def _simple_action(comment_id: int, action, done: str):
    """A button with only the CSRF token: run ``action``, flash ``done`` or the rule's message."""
    comment = _moderated_comment(comment_id)
    if ConfirmForm().validate_on_submit():
        try:
            action(comment)
        except IdeaError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(str(exc.message), "error")
        else:
            flash(done % {"id": comments.comment_number(comment.id)}, "success")
    return _back(comment)


@bp.route("/online-comments/<int:comment_id>/approve", methods=["POST"])
@staff_required(*MODERATION)
def approve_comment(comment_id: int):
    return _simple_action(comment_id, lambda c: comments.approve(c, user=current_user),
                          _("Comment %(id)s is approved and shown now."))


@bp.route("/online-comments/<int:comment_id>/unhide", methods=["POST"])
@staff_required(*MODERATION)
def unhide_comment(comment_id: int):
    return _simple_action(comment_id, lambda c: comments.unhide(c, user=current_user),
                          _("Comment %(id)s is visible again."))


@bp.route("/online-comments/<int:comment_id>/hide", methods=["POST"])
@staff_required(*MODERATION)
def hide_comment(comment_id: int):
    comment = _moderated_comment(comment_id)
    form = comment_hide_form(comment, netiquette_reasons(comment.idea.stand.event.process_id), formdata=True)
    if form.validate_on_submit():
        try:
            comments.hide(comment, form.reason.data, user=current_user)
        except IdeaError as exc:
            form.reason.errors = [str(exc.message)]
        else:
            flash(_("Comment %(id)s is hidden now; the reason is shown in its place.",
                    id=comments.comment_number(comment.id)), "success")
            return _back(comment)
    return queue_page(comment.idea.stand, failed_comment=comment, comment_form=form, status=422)

