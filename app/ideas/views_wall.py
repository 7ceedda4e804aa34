"""Projector walls: read-only, large type, live. Opened with the event's unguessable wall link.

Why a secret link and not a staff login: the projector is often a hall PC or a
borrowed laptop, where nobody should log in with a staff account; the wall shows
only what the room sees anyway (visible idea texts and tags, never "said by" or
who recorded an idea), and an admin can replace the link at any time.
"""
from __future__ import annotations

from flask import Response, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.core.access import public
from app.core.security import MAX_ID
from app.events.models import Event
from app.extensions import db
from app.ideas import bp, live, services
from app.ideas.models import Idea, Stand


def get_wall_event(wall_token: str) -> Event:
    event = services.event_by_wall_token(wall_token)
    if event is None:
        abort(404)
    return event


def _stands(event: Event) -> list[Stand]:
    return list(db.session.execute(
        select(Stand).where(Stand.event_id == event.id).order_by(Stand.position, Stand.id)).scalars())


def _visible_ideas(stand_ids: list[int], newest_first: bool = True) -> list[Idea]:
    if not stand_ids:
        return []
    order = Idea.id.desc() if newest_first else Idea.id
    return list(db.session.execute(
        select(Idea).where(Idea.stand_id.in_(stand_ids), Idea.is_visible)
        .order_by(order)).scalars())


def _no_index(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/wall/<wall_token>")
@public
def wall_event(wall_token: str):
    event = get_wall_event(wall_token)
    after = live.latest_change_id(event.id)  # read before the ideas: a change in between is sent again
    stands = _stands(event)
    ideas = _visible_ideas([s.id for s in stands])
    return _no_index(current_app.make_response(render_template(
        "ideas/wall.html", event=event, stand=None, stands=stands, ideas=ideas, after=after,
        wall_token=wall_token, projector=_projector(), live_url=_live_url("wall", event.id, wall_token),
        page_seconds=current_app.config["IDEAS_WALL_PAGE_SECONDS"])))


def _live_url(kind: str, channel_id: int, wall_token: str) -> str | None:
    """The nchan subscription of a wall (nginx holds it), or None: the app streams itself."""
    return f"/live/{kind}/{channel_id}/{wall_token}" if live.live_enabled() else None


def _projector() -> bool:
    """``?projector=1``: page through all ideas, as many as fit the screen at a time."""
    return request.args.get("projector") == "1"


@bp.route("/wall/<wall_token>/stands/<int:stand_id>")
@public
def wall_stand(wall_token: str, stand_id: int):
    event = get_wall_event(wall_token)
    stand = db.session.get(Stand, stand_id)
    if stand is None or stand.event_id != event.id:
        abort(404)
    after = live.latest_change_id(event.id)
    ideas = _visible_ideas([stand.id])
    return _no_index(current_app.make_response(render_template(
        "ideas/wall.html", event=event, stand=stand, stands=[stand], ideas=ideas, after=after,
        wall_token=wall_token, projector=_projector(), live_url=_live_url("stand", stand.id, wall_token),
        page_seconds=current_app.config["IDEAS_WALL_PAGE_SECONDS"])))


@bp.route("/wall/<wall_token>/summary")
@public
def wall_summary(wall_token: str):
    """The plenary summary: per stand the number of ideas, top tags, and the ideas in order."""
    event = get_wall_event(wall_token)
    after = live.latest_change_id(event.id)  # read before the ideas: a change in between is sent again
    stands = _stands(event)
    ids = [s.id for s in stands]
    ideas = _visible_ideas(ids, newest_first=False)
    by_stand: dict[int, list[Idea]] = {sid: [] for sid in ids}
    for idea in ideas:
        by_stand[idea.stand_id].append(idea)
    return _no_index(current_app.make_response(render_template(
        "ideas/wall_summary.html", event=event, stands=stands, by_stand=by_stand,
        top_tags=services.top_tags_by_stand(ids), wall_token=wall_token, after=after,
        live_url=_live_url("wall", event.id, wall_token))))


@bp.route("/wall/<wall_token>/stream")
@public
def wall_stream(wall_token: str):
    """Server-sent events: changed ideas after ``Last-Event-ID`` (or ``?after=``).

    Only without nginx's live path (development, ``make run``): where nchan holds the streams
    (LIVE_PUBLISH_URL set), this endpoint answers 404, so no request worker can be made to hold
    a stream, whoever knows a wall secret (issue 14, item 2). Pages there subscribe to nginx and
    fall back to polling the feed (``/changes``).
    """
    if live.live_enabled():
        abort(404)
    event = get_wall_event(wall_token)
    stand_id = _stand_parameter(event)
    after = _after_parameter()
    app = current_app._get_current_object()
    event_id = event.id
    db.session.remove()  # the stream opens its own short sessions
    response = Response(live.stream(app, event_id, after, stand_id=stand_id), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return _no_index(response)


def _after_parameter() -> int:
    raw_after = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    return min(int(raw_after), MAX_ID) if raw_after.isdigit() and len(raw_after) < 19 else 0


def _stand_parameter(event: Event) -> int | None:
    stand_id = request.args.get("stand", type=int)
    if stand_id is not None:
        stand = db.session.get(Stand, stand_id) if 1 <= stand_id <= MAX_ID else None
        if stand is None or stand.event_id != event.id:
            abort(404)
    return stand_id


@bp.route("/wall/<wall_token>/changes")
@public
def wall_changes(wall_token: str):
    """The feed after ``?after=`` as JSON, in batches: what a wall missed while it was not
    subscribed (a reconnect after nchan's buffer expired), and its polling fallback."""
    event = get_wall_event(wall_token)
    stand_id = _stand_parameter(event)
    after = _after_parameter()
    batch = live.changes_after(event.id, after, stand_id=stand_id, limit=LIVE_CHANGES_BATCH)
    response = jsonify(changes=[{"change_id": cid, "idea": payload} for cid, payload in batch],
                       last=batch[-1][0] if batch else after, more=len(batch) >= LIVE_CHANGES_BATCH)
    response.headers["Cache-Control"] = "no-store"
    return _no_index(response)


LIVE_CHANGES_BATCH = 200


@bp.route("/live/authorize/wall/<int:event_id>/<wall_token>", endpoint="live_authorize_wall")
@bp.route("/live/authorize/event/<int:event_id>/<wall_token>", endpoint="live_authorize_event")
@public
def live_authorize_event(event_id: int, wall_token: str):
    """nchan asks once per new subscription; it passes the answer on (a wrong secret: 403).

    Only nginx asks (its public location answers 404; it marks its own question with
    ``X-Live-Authorize``); anyone else gets 404, like a wall page with an unknown secret."""
    event = services.event_by_wall_token(wall_token)
    return _authorized(event is not None and event.id == event_id)


def _authorized(ok: bool):
    if request.headers.get("X-Live-Authorize") != "1":
        abort(404)
    return ("", 204) if ok else ("", 403)


@bp.route("/live/authorize/stand/<int:stand_id>/<wall_token>")
@public
def live_authorize_stand(stand_id: int, wall_token: str):
    event = services.event_by_wall_token(wall_token)
    stand = db.session.get(Stand, stand_id) if event is not None and stand_id <= MAX_ID else None
    return _authorized(stand is not None and stand.event_id == event.id)


@bp.route("/live/authorize/capture/<int:stand_id>")
@public  # the staff session is checked here: nchan counts a redirect to the login as a yes
def live_authorize_capture(stand_id: int):
    """A moderator's capture page subscribes to its stand's entries (with "said by")."""
    if request.headers.get("X-Live-Authorize") != "1":
        abort(404)
    stand = db.session.get(Stand, stand_id) if stand_id <= MAX_ID else None
    user = current_user if current_user.is_authenticated else None
    return _authorized(stand is not None and user is not None and services.can_moderate(user, stand))
