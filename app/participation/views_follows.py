"""Following ideas (issue 18): the participant's follow / unfollow button (on the idea as they see
it through their link, and in "my participation"), and the opt-out link of the mails (GET shows
a button, POST unfollows: mail scanners open links). The rules are in :mod:`app.participation.follows`."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.core.access import public
from app.core.security import MAX_ID
from app.extensions import db
from app.ideas.models import Idea
from app.participation import bp, follows, services, supports
from app.participation.views_public import _participant_or_404


@bp.route("/participation/<link>/follows", methods=["POST"])
@public
def change_follow(link: str):
    """Follow an idea or stop following it (form fields ``idea_id``, ``action``), then back to the
    idea (or to "my participation" with ``back=mine``), 303."""
    participant = _participant_or_404(link)
    to_mine = request.form.get("back") == "mine"
    idea_id = request.form.get("idea_id")
    idea: Idea | None = None
    try:
        if request.form.get("action") == "unfollow":
            idea = follows.followed_idea(participant, idea_id)
            if idea is None:
                idea = supports.find_idea(participant, idea_id)
            changed = follows.unfollow(participant, idea)
            message = _("You no longer follow this idea.") if changed else _("You do not follow this idea.")
        else:
            idea = supports.find_idea(participant, idea_id)
            changed = follows.follow(participant, idea)
            message = (_("You follow this idea now. We will write to you when something becomes of it.") if changed
                       else _("You already follow this idea."))
    except services.ParticipationError as exc:
        db.session.rollback()  # refused: the redirect below must not commit
        flash(str(exc.message), "error")
        if to_mine or idea is None:
            return redirect(url_for("participation.my_participation", link=link, _anchor="follows")), 303
        return redirect(url_for("participation.participant_idea", link=link, idea_id=idea.id)), 303
    flash(message, "success")
    if to_mine:
        return redirect(url_for("participation.my_participation", link=link, _anchor="follows")), 303
    return redirect(url_for("participation.participant_idea", link=link, idea_id=idea.id)), 303


@bp.route("/participation/stop-following/<int:idea_id>/<follow_token>", methods=["GET", "POST"])
@public
def stop_following(idea_id: int, follow_token: str):
    """The opt-out link of the mails about an idea: works without the participation link; doing it
    twice changes nothing."""
    participant = follows.participant_for_unfollow(idea_id, follow_token) if idea_id <= MAX_ID else None
    idea = db.session.get(Idea, idea_id) if participant is not None else None
    if idea is None:
        abort(404)
    if request.method == "POST":
        if follows.unfollow(participant, idea, charge=False):
            flash(_("You no longer follow this idea. You will get no more mails about it."), "success")
        return redirect(url_for("participation.stop_following", idea_id=idea_id, follow_token=follow_token)), 303
    return render_template("participation/stop_following.html", participant=participant, idea=idea,
                           process=participant.process, following=follows.follows(participant, idea))
