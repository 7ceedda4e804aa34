"""Staff views: stands (admins), live capture and idea moderation (moderators of the stand, admins).

The capture screen is a plain form (POST, redirect back) that ``capture.js``
enhances: the JSON endpoints below take the same input, are CSRF protected
through the ``X-CSRFToken`` header, and make create idempotent by client id.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.access import staff_required
from app.core.domain import error_body
from app.core.urls import absolute_url
from app.events.models import Event
from app.extensions import db
from app.ideas import bp, live, merge_groups, services, similar
from app.ideas.display import idea_number, idea_payload
from app.ideas.forms import CaptureForm, ConfirmForm, HideForm, IdeaEditForm, MergeForm, StandForm
from app.ideas.models import Idea, IdeaLog, Stand, WallLink
from app.ideas.services import IdeaError
from app.participation import moderation
from app.ideas.views_wall import LIVE_CHANGES_BATCH, _after_parameter

T = TypeVar("T")
MODERATION = ("admin", "moderator")
#: Most recent entries shown under the capture field.
RECENT_ON_CAPTURE = 15


# -- loading and access helpers -----------------------------------------------------------


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def get_stand(stand_id: int, check_moderator: bool = True) -> Stand:
    """The stand, or 404; with ``check_moderator`` 403 unless the user moderates it (admins do)."""
    stand = db.session.get(Stand, stand_id)
    if stand is None:
        abort(404)
    if check_moderator and not services.can_moderate(current_user, stand):
        abort(403)
    return stand


def get_idea(idea_id: int, check_moderator: bool = True) -> Idea:
    """The idea, or 404; with ``check_moderator`` 403 unless the user moderates its stand."""
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        abort(404)
    if check_moderator and not services.can_moderate(current_user, idea.stand):
        abort(403)
    return idea


def commit_retrying(operation: Callable[[], T], attempts: int = 3) -> T:
    """Run ``operation`` and commit; on a unique-constraint race roll back and run it again.

    Idempotent creates (same client id, or a new tag typed at two stands at once)
    lose such races only to a row that now exists; the retry finds and reuses it.
    """
    for attempt in range(attempts):
        try:
            result = operation()
            db.session.commit()
            return result
        except IntegrityError:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def json_error(exc: IdeaError, status: int = 422):
    return jsonify(error_body(exc, status)), status


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise IdeaError(_("The request must be a JSON object."), "bad_request")
    return data


def wall_links(event_ids: list[int]) -> dict[int, str]:
    if not event_ids:
        return {}
    rows = db.session.execute(select(WallLink.event_id, WallLink.token).where(WallLink.event_id.in_(event_ids)))
    return {event_id: token for event_id, token in rows}


# -- overview and stand administration -------------------------------------------------------


@bp.route("/ideas")
@staff_required(*MODERATION)
def overview():
    """The stands this user works at (admins: every event, to set stands up)."""
    stands = services.stands_for(current_user)
    by_event: dict[int, list[Stand]] = {}
    for stand in stands:
        by_event.setdefault(stand.event_id, []).append(stand)
    if current_user.has_role("admin"):
        events = list(db.session.execute(select(Event).order_by(Event.starts_at.desc(), Event.id)).scalars())
    else:
        events = [stands_[0].event for stands_ in by_event.values()]
    counts = services.stand_counts([s.id for s in stands])
    return render_template("ideas/overview.html", events=events, by_event=by_event, counts=counts,
                           links=wall_links([e.id for e in events]))


@bp.route("/manage/events/<int:event_id>/stands", methods=["GET", "POST"])
@staff_required("admin")
def manage_stands(event_id: int):
    event = get_event(event_id)
    stands = list(db.session.execute(
        select(Stand).where(Stand.event_id == event.id).order_by(Stand.position, Stand.id)).scalars())
    form = StandForm()
    form.moderators.choices = [(u.id, f"{u.name} ({u.email})") for u in services.moderator_candidates()]
    if not form.is_filled_in():
        form.position.data = (max((s.position for s in stands), default=0) + 1)
    if form.validate_on_submit():
        try:
            stand = services.save_stand(event, None, title=form.title.data, description=form.description.data or "",
                                        position=form.position.data or 0, moderator_ids=form.moderators.data or [])
            services.wall_link(event)
        except IdeaError as exc:
            form.title.errors.append(str(exc.message))
        else:
            flash(_("The stand \"%(title)s\" has been created.", title=stand.title), "success")
            return redirect(url_for("ideas.manage_stands", event_id=event.id), 303)
    link = wall_links([event.id]).get(event.id)
    return render_template("ideas/manage_stands.html", event=event, stands=stands, form=form, wall_token=link,
                           wall_url=absolute_url("ideas.wall_event", wall_token=link) if link else None,
                           confirm=ConfirmForm(), counts=services.stand_counts([s.id for s in stands])), \
        (422 if form.errors else 200)


@bp.route("/manage/stands/<int:stand_id>", methods=["GET", "POST"])
@staff_required("admin")
def edit_stand(stand_id: int):
    stand = get_stand(stand_id)
    form = StandForm(obj=stand)
    form.moderators.choices = [(u.id, f"{u.name} ({u.email})") for u in services.moderator_candidates()]
    if not form.is_filled_in():
        form.moderators.data = [u.id for u in stand.moderators]
    if form.validate_on_submit():
        try:
            services.save_stand(stand.event, stand, title=form.title.data, description=form.description.data or "",
                                position=form.position.data or 0, moderator_ids=form.moderators.data or [])
        except IdeaError as exc:
            form.moderators.errors = [str(exc.message)]
        else:
            flash(_("The stand has been saved."), "success")
            return redirect(url_for("ideas.manage_stands", event_id=stand.event_id), 303)
    return render_template("ideas/stand_form.html", stand=stand, form=form), (422 if form.errors else 200)


@bp.route("/manage/events/<int:event_id>/wall-link", methods=["POST"])
@staff_required("admin")
def renew_wall_link(event_id: int):
    event = get_event(event_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        existed = event.id in wall_links([event.id])
        services.wall_link(event, renew=True)
        db.session.commit()  # before the walls close: a wall that reconnects must find the new link
        # Walls held by nginx were authorised once, with the old secret: end them.
        live.close_channels(event.id, list(db.session.execute(select(Stand.id).where(Stand.event_id == event.id)).scalars()))
        flash(_("A new wall link has been made; the old one no longer works.") if existed
              else _("The wall link has been made."), "success")
    return redirect(url_for("ideas.manage_stands", event_id=event.id), 303)


# -- capture -----------------------------------------------------------------------------------


def _recent(stand: Stand, limit: int = RECENT_ON_CAPTURE) -> list[Idea]:
    return list(db.session.execute(
        select(Idea).where(Idea.stand_id == stand.id).order_by(Idea.id.desc()).limit(limit)).scalars())


def _online_pending(stand: Stand) -> int:
    """How many online ideas wait for approval at the stand (the link to its online queue)."""
    return moderation.pending_counts([stand.id])[stand.id]


@bp.route("/stands/<int:stand_id>/capture", methods=["GET", "POST"])
@staff_required(*MODERATION)
def capture(stand_id: int):
    stand = get_stand(stand_id)
    form = CaptureForm()
    status = 200
    if form.validate_on_submit():
        try:
            idea, created = commit_retrying(lambda: services.record_idea(
                stand, form.text.data, said_by=form.said_by.data, client_id=form.client_id.data,
                user=current_user))
        except IdeaError as exc:
            form.text.errors.append(str(exc.message))
            status = 422
        else:
            flash(_("Idea %(id)s saved.", id=idea_number(idea.id)) if created
                  else _("Idea %(id)s had already been saved.", id=idea_number(idea.id)), "success")
            return redirect(url_for("ideas.capture", stand_id=stand.id), 303)
    elif form.is_submitted():
        status = 422
    if status == 200 or not form.client_id.data:
        form.client_id.data = str(uuid.uuid4())
    if status == 200:
        form.text.data = ""
    tags = services.process_tags(stand.event.process_id)
    after = live.latest_change_id(stand.event_id)  # read before the list: a change in between comes again
    return render_template("ideas/capture.html", stand=stand, form=form, recent=_recent(stand),
                           tags=tags[:30], max_length=services.MAX_IDEA_LENGTH, after=after,
                           online_pending=_online_pending(stand),
                           live_capture_url=f"/live/capture/{stand.id}" if live.live_enabled() else None), status


@bp.route("/stands/<int:stand_id>/changes.json")
@staff_required(*MODERATION)
def capture_changes(stand_id: int):
    """The stand's feed after ``?after=`` with "said by": the capture list catches up after its
    stream was down (and reads the staff fields of what nchan announced), and polls it as its
    fallback."""
    stand = get_stand(stand_id)
    after = _after_parameter()
    batch = live.changes_after(stand.event_id, after, stand_id=stand.id, limit=LIVE_CHANGES_BATCH, staff=True)
    response = jsonify(changes=[{"change_id": cid, "idea": payload} for cid, payload in batch],
                       last=batch[-1][0] if batch else after, more=len(batch) >= LIVE_CHANGES_BATCH)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/stands/<int:stand_id>/stream")
@staff_required(*MODERATION)
def capture_stream(stand_id: int):
    """The capture list's own stream without nginx (development, ``make run``); 404 where nginx
    holds the streams (``LIVE_PUBLISH_URL``), like the walls' stream."""

    if live.live_enabled():
        abort(404)
    stand = get_stand(stand_id)
    event_id, stand_id, after = stand.event_id, stand.id, _after_parameter()
    app = current_app._get_current_object()
    db.session.remove()  # the stream opens its own short sessions
    response = Response(live.stream(app, event_id, after, stand_id=stand_id, staff=True),
                        mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.route("/stands/<int:stand_id>/ideas.json", methods=["POST"])
@staff_required(*MODERATION)
def api_create(stand_id: int):
    stand = get_stand(stand_id)
    try:
        data = json_body()
        idea, created = commit_retrying(lambda: services.record_idea(
            stand, data.get("text"), said_by=data.get("said_by") or "", client_id=data.get("client_id"),
            user=current_user))
    except IdeaError as exc:
        return json_error(exc)
    return jsonify({"idea": _staff_payload(idea), "created": created}), (201 if created else 200)


def _staff_payload(idea: Idea) -> dict:
    data = idea_payload(idea, staff=True)
    data["url"] = url_for("ideas.idea_detail", idea_id=idea.id)
    return data


@bp.route("/ideas/<int:idea_id>.json", methods=["POST"])
@staff_required(*MODERATION)
def api_update(idea_id: int):
    idea = get_idea(idea_id)
    try:
        data = json_body()
        commit_retrying(lambda: services.edit_idea(idea, data.get("text"), said_by=data.get("said_by"),
                                                   user=current_user))
    except IdeaError as exc:
        return json_error(exc)
    return jsonify({"idea": _staff_payload(idea)})


@bp.route("/ideas/<int:idea_id>/undo.json", methods=["POST"])
@staff_required(*MODERATION)
def api_undo(idea_id: int):
    """Withdraw an entry just made by mistake: it is hidden (with a reason), never deleted."""
    idea = get_idea(idea_id)
    try:
        services.hide_idea(idea, _("Withdrawn at the stand right after it was recorded."), user=current_user)
    except IdeaError as exc:
        return json_error(exc)
    return jsonify({"idea": _staff_payload(idea)})


@bp.route("/ideas/<int:idea_id>/restore.json", methods=["POST"])
@staff_required(*MODERATION)
def api_restore(idea_id: int):
    idea = get_idea(idea_id)
    try:
        services.unhide_idea(idea, user=current_user)
    except IdeaError as exc:
        return json_error(exc)
    return jsonify({"idea": _staff_payload(idea)})


@bp.route("/stands/<int:stand_id>/tags.json")
@staff_required(*MODERATION)
def api_tags(stand_id: int):
    stand = get_stand(stand_id)
    return jsonify({"tags": [{"label": t.label, "key": t.key, "count": n}
                             for t, n in services.process_tags(stand.event.process_id)]})


@bp.route("/stands/<int:stand_id>/suggestions.json")
@staff_required(*MODERATION)
def api_suggestions(stand_id: int):
    """Ideas of the same event that say nearly the same as ``q`` (while typing): only those can be merged."""
    stand = get_stand(stand_id)
    query = request.args.get("q", "")[:4 * services.MAX_IDEA_LENGTH]
    exclude = {int(v) for v in request.args.getlist("exclude") if v.isdigit()}
    found = similar.suggest(stand.event_id, query, exclude=exclude)
    ideas = {i.id: i for i in db.session.execute(
        select(Idea).where(Idea.id.in_([i for i, _ in found]))).scalars()} if found else {}
    return jsonify({"suggestions": [
        {"id": idea_id, "text": ideas[idea_id].text, "stand": ideas[idea_id].stand.title, "score": score,
         "url": url_for("ideas.idea_detail", idea_id=idea_id)}
        for idea_id, score in found if idea_id in ideas
    ]})


# -- the stand's list and one idea --------------------------------------------------------------


@bp.route("/stands/<int:stand_id>/ideas")
@staff_required(*MODERATION)
def stand_ideas(stand_id: int):
    stand = get_stand(stand_id)
    ideas = list(db.session.execute(
        select(Idea).where(Idea.stand_id == stand.id).order_by(Idea.id.desc())).scalars())
    duplicates = similar.duplicate_pairs(stand.event_id,
                                         [i.id for i in ideas if i.is_visible])
    others = {i.id: i for i in db.session.execute(select(Idea).where(
        Idea.id.in_({o for pairs in duplicates.values() for o, _ in pairs}))).scalars()} if duplicates else {}
    counts = services.stand_counts([stand.id])[stand.id]
    return render_template("ideas/stand_ideas.html", stand=stand, ideas=ideas, duplicates=duplicates,
                           others=others, counts=counts)


@bp.route("/ideas/<int:idea_id>", methods=["GET", "POST"])
@staff_required(*MODERATION)
def idea_detail(idea_id: int):
    idea = get_idea(idea_id)
    form = _edit_form(idea)
    status = 200
    if form.validate_on_submit():
        try:
            tags = services.parse_tag_list(form.tags.data or "")
            commit_retrying(lambda: services.edit_idea(idea, form.text.data or "", said_by=form.said_by.data or "",
                                                       tags=tags, user=current_user))
        except IdeaError as exc:
            (form.tags if exc.code == "too_many_tags" else form.text).errors.append(str(exc.message))
            status = 422
        else:
            flash(_("The idea has been saved."), "success")
            return redirect(url_for("ideas.idea_detail", idea_id=idea.id), 303)
    elif form.is_submitted():
        status = 422
    return render_template("ideas/idea_detail.html", **_detail_context(idea), form=form), status


def _edit_form(idea: Idea, formdata: bool = True) -> IdeaEditForm:
    form = IdeaEditForm(obj=idea) if formdata else IdeaEditForm(obj=idea, formdata=None)
    if not formdata or not form.is_filled_in():
        form.tags.data = " ".join(f"#{t.label}" for t in idea.tags)
    return form


def _detail_context(idea: Idea, merge_form: MergeForm | None = None, hide_form: HideForm | None = None) -> dict:
    suggestions = []
    if idea.is_visible:
        found = similar.suggest(idea.stand.event_id, idea.text, exclude={idea.id})
        by_id = {i.id: i for i in db.session.execute(
            select(Idea).where(Idea.id.in_([i for i, _ in found]))).scalars()} if found else {}
        suggestions = [(by_id[i], score) for i, score in found if i in by_id]
    log = list(db.session.execute(
        select(IdeaLog).where(IdeaLog.idea_id == idea.id).order_by(IdeaLog.id.desc())).scalars())
    return {"idea": idea, "suggestions": suggestions, "log": log, "hide_form": hide_form or HideForm(),
            "merge_form": merge_form or MergeForm(), "confirm": ConfirmForm(),
            "group_size": len(merge_groups.group_ids(idea.id))}


@bp.route("/ideas/<int:idea_id>/hide", methods=["POST"])
@staff_required(*MODERATION)
def hide_idea(idea_id: int):
    idea = get_idea(idea_id)
    form = HideForm()
    if form.validate_on_submit():
        try:
            services.hide_idea(idea, form.reason.data, user=current_user)
        except IdeaError as exc:
            form.reason.errors = [str(exc.message)]
        else:
            flash(_("The idea is hidden now."), "success")
            return redirect(url_for("ideas.idea_detail", idea_id=idea.id), 303)
    # Like the merge form: the page again with the message at the field and the typed reason kept.
    return render_template("ideas/idea_detail.html", **_detail_context(idea, hide_form=form),
                           form=_edit_form(idea, formdata=False)), 422


@bp.route("/ideas/<int:idea_id>/unhide", methods=["POST"])
@staff_required(*MODERATION)
def unhide_idea(idea_id: int):
    idea = get_idea(idea_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.unhide_idea(idea, user=current_user)
        except IdeaError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(str(exc.message), "error")
        else:
            flash(_("The idea is visible again."), "success")
    return redirect(url_for("ideas.idea_detail", idea_id=idea.id), 303)


@bp.route("/ideas/<int:idea_id>/merge", methods=["POST"])
@staff_required(*MODERATION)
def merge_idea(idea_id: int):
    """Merge the idea ``source_id`` into this one (the survivor)."""
    target = get_idea(idea_id)
    form = MergeForm()
    if form.validate_on_submit():
        try:
            source = _merge_source(target, form.source_id.data)
            services.merge_ideas(target, [source], user=current_user)
        except IdeaError as exc:
            form.source_id.errors = [str(exc.message)]
        else:
            flash(_("Idea %(source)s has been merged into idea %(target)s.", source=idea_number(source.id), target=idea_number(target.id)),
                  "success")
            return redirect(url_for("ideas.idea_detail", idea_id=target.id), 303)
    # A wrong number is a typing slip: the page again, the message at the field, not an error page.
    return render_template("ideas/idea_detail.html", **_detail_context(target, merge_form=form),
                           form=_edit_form(target, formdata=False)), 422


def _merge_source(target: Idea, idea_id: int) -> Idea:
    """The idea to merge into ``target``, for the merge form: an unknown number or one of a stand the user
    does not moderate is an :class:`IdeaError` for the field, not a 404 or 403 page. An idea of another
    event is left to :func:`services.merge_ideas`, which refuses it for everyone."""
    source = db.session.get(Idea, idea_id)
    if source is None:
        raise IdeaError(_("There is no idea %(id)s.", id=idea_number(idea_id)), "not_found")
    if source.stand.event_id == target.stand.event_id and not services.can_moderate(current_user, source.stand):
        raise IdeaError(_("Idea %(id)s is at a stand you do not moderate; ask its moderators or an admin to "
                          "merge it.", id=idea_number(idea_id)), "forbidden")
    return source


@bp.route("/ideas/<int:idea_id>/unmerge", methods=["POST"])
@staff_required(*MODERATION)
def unmerge_idea(idea_id: int):
    source = get_idea(idea_id)
    if source.merged_into is not None:
        get_idea(source.merged_into.id)  # 403 unless the user also moderates the survivor's stand
    if ConfirmForm().validate_on_submit():
        try:
            services.unmerge_idea(source, user=current_user)
        except IdeaError as exc:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(str(exc.message), "error")
        else:
            flash(_("The merge has been undone; idea %(id)s stands on its own again.", id=idea_number(source.id)), "success")
    return redirect(url_for("ideas.idea_detail", idea_id=source.id), 303)
