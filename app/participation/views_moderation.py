"""Staff views: a stand's online queue beside the capture view (moderators of the stand, admins).

Every action is a plain form (POST, redirect back to the queue); a wrong input shows the queue
again with the message at the field of that idea and what was typed kept. The rules are in
:mod:`app.participation.moderation`.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import staff_required
from app.extensions import db
from app.ideas.display import idea_number
from app.ideas.forms import ConfirmForm
from app.ideas.models import Idea, IdeaChannel, Stand
from app.ideas.services import IdeaError
from app.ideas.views_manage import MODERATION, get_idea, get_stand
from app.participation import bp, comments, moderation, reports
from app.participation.forms_moderation import MergeIntoRoomForm, NetiquetteHideForm


def reason_form(prefix: str, reasons: list[str], formdata: bool = False) -> NetiquetteHideForm:
    """The form to hide an idea or a comment with a rule of the netiquette (one per item of the queue)."""
    form = NetiquetteHideForm(prefix=prefix, **({} if formdata else {"formdata": None}))
    form.reason.choices = [("", _("– choose a rule –"))] + [(r, r) for r in reasons]
    return form


def _hide_form(idea: Idea, reasons: list[str], formdata: bool = False) -> NetiquetteHideForm:
    return reason_form(f"hide-{idea.id}", reasons, formdata)


def comment_hide_form(comment, reasons: list[str], formdata: bool = False) -> NetiquetteHideForm:
    return reason_form(f"hide-comment-{comment.id}", reasons, formdata)


def _merge_form(idea: Idea, formdata: bool = False) -> MergeIntoRoomForm:
    return MergeIntoRoomForm(prefix=f"merge-{idea.id}", **({} if formdata else {"formdata": None}))


def queue_page(stand: Stand, *, failed: Idea | None = None, hide_form=None, merge_form=None,
                failed_comment=None, comment_form=None, status=200):
    page = moderation.QueuePage.from_arg(request.args.get("page"))
    data = moderation.queue(stand, page, keep=failed)
    comment_queue = comments.queue(stand, page, keep=failed_comment)
    reasons = moderation.netiquette_reasons(stand.event.process_id)
    hide_forms = {i.id: (hide_form if failed is not None and i.id == failed.id and hide_form is not None
                         else _hide_form(i, reasons)) for i in data.pending + data.shown}
    merge_forms = {i.id: (merge_form if failed is not None and i.id == failed.id and merge_form is not None
                          else _merge_form(i)) for i in data.shown}
    comment_forms = {c.id: (comment_form if failed_comment is not None and c.id == failed_comment.id
                            and comment_form is not None else comment_hide_form(c, reasons))
                     for c in comment_queue.pending + comment_queue.shown}
    return render_template("participation/moderation/queue.html", stand=stand, queue=data, reasons=reasons,
                           hide_forms=hide_forms, merge_forms=merge_forms, confirm=ConfirmForm(),
                           failed=failed, failed_form=hide_form or merge_form or comment_form,
                           comments=comment_queue, comment_forms=comment_forms,
                           reported=reports.open_reports(stand),
                           comment_number=comments.comment_number,
                           settings=moderation.settings_of(stand.event.process_id), page=page), status


def _online_idea(idea_id: int) -> Idea:
    """The online idea, or 404 (a room idea has no place in the queue); 403 unless the user
    moderates its stand (admins do)."""
    idea = get_idea(idea_id)
    if idea.channel != IdeaChannel.ONLINE.value:
        abort(404)
    return idea


def _back(idea: Idea):
    return redirect(url_for("participation.online_queue", stand_id=idea.stand_id) + f"#idea-{idea.id}", 303)


@bp.route("/stands/<int:stand_id>/online")
@staff_required(*MODERATION)
def online_queue(stand_id: int):
    return queue_page(get_stand(stand_id))


def _simple_action(idea_id: int, action, done: str):
    """A button with only the CSRF token: run ``action``, flash ``done`` or the rule's message."""
    idea = _online_idea(idea_id)
    if ConfirmForm().validate_on_submit():
        try:
            action(idea)
        except IdeaError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(str(exc.message), "error")
        else:
            flash(done % {"id": idea_number(idea.id)}, "success")
    return _back(idea)


@bp.route("/online-ideas/<int:idea_id>/approve", methods=["POST"])
@staff_required(*MODERATION)
def approve_online(idea_id: int):
    return _simple_action(idea_id, lambda i: moderation.approve(i, user=current_user),
                          _("Idea %(id)s is approved and shown now."))


@bp.route("/online-ideas/<int:idea_id>/unhide", methods=["POST"])
@staff_required(*MODERATION)
def unhide_online(idea_id: int):
    return _simple_action(idea_id, lambda i: moderation.unhide(i, user=current_user),
                          _("Idea %(id)s is visible again."))


@bp.route("/online-ideas/<int:idea_id>/take", methods=["POST"])
@staff_required(*MODERATION)
def take_online(idea_id: int):
    return _simple_action(idea_id, lambda i: moderation.take_into_room(i, user=current_user),
                          _("Idea %(id)s is in the room's list now."))


@bp.route("/online-ideas/<int:idea_id>/block", methods=["POST"])
@staff_required(*MODERATION)
def block_participant(idea_id: int):
    return _simple_action(idea_id, lambda i: moderation.block(i, user=current_user),
                          _("The participation link of the author of idea %(id)s is blocked."))


@bp.route("/online-ideas/<int:idea_id>/unblock", methods=["POST"])
@staff_required(*MODERATION)
def unblock_participant(idea_id: int):
    return _simple_action(idea_id, lambda i: moderation.unblock(i, user=current_user),
                          _("The participation link of the author of idea %(id)s works again."))


@bp.route("/online-ideas/<int:idea_id>/hide", methods=["POST"])
@staff_required(*MODERATION)
def hide_online(idea_id: int):
    idea = _online_idea(idea_id)
    form = _hide_form(idea, moderation.netiquette_reasons(idea.stand.event.process_id), formdata=True)
    if form.validate_on_submit():
        try:
            reports.hide_idea(idea, form.reason.data, user=current_user)
        except IdeaError as exc:
            form.reason.errors = [str(exc.message)]
        else:
            flash(_("Idea %(id)s is hidden now; the reason is shown in its place.", id=idea_number(idea.id)),
                  "success")
            return _back(idea)
    return queue_page(idea.stand, failed=idea, hide_form=form, status=422)


@bp.route("/online-ideas/<int:idea_id>/merge", methods=["POST"])
@staff_required(*MODERATION)
def merge_online(idea_id: int):
    idea = _online_idea(idea_id)
    form = _merge_form(idea, formdata=True)
    if form.validate_on_submit():
        try:
            target = moderation.merge_into_room_idea(idea, form.target_id.data, user=current_user)
        except IdeaError as exc:
            form.target_id.errors = [str(exc.message)]
        else:
            flash(_("Idea %(source)s has been merged into idea %(target)s.", source=idea_number(idea.id),
                    target=idea_number(target.id)), "success")
            return _back(idea)
    return queue_page(idea.stand, failed=idea, merge_form=form, status=422)
