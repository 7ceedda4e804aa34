"""Live at the door and during the count: the check-in counter and the public voting results.

What triggers an update, without touching the voting services: every change of attendance or
of the totals is written to the audit log in the same transaction (``voting.check_in``,
``voting.walk_in``, ``voting.ticket_revoke``, ``voting.board_count``, ``voting.open``,
``voting.close``, ...), seats confirmed or given back send the signals ``seat_confirmed`` /
``seat_released`` (app/core/signals.py), and a hidden or merged idea changes the results through
the ideas' feed (``app.ideas.live.AFTER_IDEA_COMMIT``). A session listener notes which event
changed; after the commit the update is handed to the background sender (app/core/live.py),
which reads the state there, after the commit (so the newest message reflects every commit
before it), and publishes it once:

* ``door-<event>`` (staff, authorised by the session: who works at the event): the counter
  ``{"as_of", "checked_in", "confirmed", "walk_ins"}``;
* ``results-<event>`` (public while the event is): ``{"as_of", "state", "sums", "receipts",
  "receipt_dots", "rows", "removed"}``, where ``rows`` are only the ideas whose totals
  changed (a board count) and ``removed`` the ones no longer shown (hidden, merged); a change
  of the voting state (closed, re-opened) makes the page load again.

The results feature publishes its public outcome page after the same commits
(:data:`AFTER_VOTING_COMMIT`, app/results/live.py).

``as_of`` is the sender's clock when it read the state; pages keep per part the newest. The
JSON endpoints give the whole state: the pages catch up from them on every (re)connect, every
``LIVE_CATCH_UP_SECONDS`` and in their polling fallback. Without nginx (development) the pages
use the app's own streams below (404 where nginx holds the streams).
"""
from __future__ import annotations

import json
import threading
import time

from flask import current_app, has_app_context, jsonify
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app.core import live as core_live
from app.core import signals
from app.core.access import public, staff_required
from app.core.live import Message
from app.extensions import db
from app.voting import bp
from app.audit.models import AuditEntry
from app.ideas import live as ideas_live
from app.voting.checkin import attendance
from app.events.models import Event
from app.voting.base import settings_for
from app.voting.models import VotingState
from app.voting.receipts import published_receipts
from app.voting.totals import channel_sums, totals
from app.voting.views_manage import get_event
from app.events.services import public_event, public_event_or_404
from app.core.security import MAX_ID
from app.ideas.services import works_at_event

_CHANGED = "voting_live_changed"
_LOCK = threading.Lock()

#: Audit actions after which the door counter / the results of the entry's event change.
DOOR_ACTIONS = frozenset({"voting.check_in", "voting.walk_in", "voting.ticket_revoke", "voting.ticket_reissue",
                          "voting.tickets_issue"})
RESULTS_ACTIONS = frozenset({"voting.board_count", "voting.open", "voting.close"})


#: Called after a commit that changed an event's attendance or totals (or its ideas), with the
#: event ids, where nginx holds the streams: the results feature publishes its public outcome
#: page from here (app/results/live.py).
AFTER_VOTING_COMMIT: list = []


def _note(session: Session, kind: str, event_id: int | None, idea_id: int | None = None) -> None:
    if event_id is None:
        return
    changed = session.info.setdefault(_CHANGED, {})
    ideas = changed.setdefault((kind, event_id), set())
    if idea_id is not None and ideas is not None:
        ideas.add(idea_id)
    elif idea_id is None and kind == "results":
        changed[(kind, event_id)] = None  # the whole state (open/close)


@sa_event.listens_for(Session, "after_flush")
def _watch_audit(session: Session, _context) -> None:
    for obj in session.new:
        if not isinstance(obj, AuditEntry):
            continue
        if obj.action in DOOR_ACTIONS:
            _note(session, "door", obj.event_id)
        if obj.action in RESULTS_ACTIONS:
            idea_id = obj.target_id if obj.action == "voting.board_count" and obj.target_type == "idea" else None
            if obj.action == "voting.board_count" and idea_id is None:
                continue
            _note(session, "results", obj.event_id, idea_id)


def _seat_changed(application, **_kwargs) -> None:
    _note(db.session(), "door", application.event_id)


def _ideas_committed(touched: dict[int, set[int]]) -> None:
    for event_id, idea_ids in touched.items():
        _publish_results(event_id, set(idea_ids))
    _after_commit(set(touched))


def _after_commit(event_ids: set[int]) -> None:
    if event_ids and has_app_context() and core_live.enabled():
        for hook in AFTER_VOTING_COMMIT:
            hook(event_ids)


@sa_event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if not changed or not has_app_context() or not core_live.enabled():
        return
    for (kind, event_id), idea_ids in changed.items():
        if kind == "door":
            core_live.publish_computed(f"door-{event_id}", lambda e=event_id: door_messages(e))
        else:
            _publish_results(event_id, idea_ids)
    _after_commit({event_id for _kind, event_id in changed})


def _publish_results(event_id: int, idea_ids: set[int] | None) -> None:
    """One job per event while it waits; the ideas of updates that came meanwhile are added to it."""
    if not has_app_context() or not core_live.enabled():
        return
    app = current_app._get_current_object()
    pending = app.extensions.setdefault("voting_live_results", {})
    with _LOCK:
        if event_id in pending:
            waiting = pending[event_id]
            pending[event_id] = None if waiting is None or idea_ids is None else waiting | idea_ids
        else:
            pending[event_id] = idea_ids

    def compute() -> list[Message]:
        with _LOCK:
            ideas = pending.pop(event_id, set())
        return results_messages(event_id, ideas)

    core_live.publish_computed(f"results-{event_id}", compute)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def init_app(app) -> None:
    app.jinja_env.globals["live_channel_url"] = core_live.channel_url
    signals.seat_confirmed.connect(_seat_changed)
    signals.seat_released.connect(_seat_changed)

    if _ideas_committed not in ideas_live.AFTER_IDEA_COMMIT:
        ideas_live.AFTER_IDEA_COMMIT.append(_ideas_committed)


# -- the states ----------------------------------------------------------------------------------


def door_state(event) -> dict:
    counts = attendance(event)
    return {"as_of": time.time(), "checked_in": counts.checked_in, "confirmed": counts.confirmed,
            "walk_ins": counts.walk_ins}


def door_messages(event_id: int) -> list[Message]:
    event = db.session.get(Event, event_id)
    if event is None:
        return []
    return [Message(f"door/{event_id}", json.dumps(door_state(event)), event="attendance")]


def results_state(event, idea_ids: set[int] | None = None) -> dict:
    """The results page's state; with ``idea_ids`` only those ideas' rows (and which of them
    are no longer shown)."""
    settings = settings_for(event)
    state = {"as_of": time.time(), "state": settings.state}
    if settings.state != VotingState.CLOSED.value:
        return state
    rows = totals(event)
    receipts = published_receipts(event)
    shown = {row.idea.id for row in rows}
    state.update(
        sums=channel_sums(event), receipts=len(receipts), receipt_dots=sum(r.dots for r in receipts),
        rows=[_row(row) for row in rows if idea_ids is None or row.idea.id in idea_ids],
        removed=sorted(i for i in (idea_ids or ()) if i not in shown), complete=idea_ids is None)
    return state


def _row(row) -> dict:
    return {"id": row.idea.id, "text": row.idea.text, "stand": row.idea.stand.title, "room": row.room,
            "board": row.board, "online": row.online, "total": row.total,
            "created": row.idea.created_at.isoformat()}


def results_messages(event_id: int, idea_ids: set[int] | None) -> list[Message]:
    event = public_event(event_id)
    if event is None:
        return []
    return [Message(f"results/{event_id}", json.dumps(results_state(event, idea_ids), ensure_ascii=False),
                    event="results")]


def _results_changes(previous: dict, current: dict) -> dict | None:
    """For the app's own stream: only the rows that changed since the last message."""
    if previous.get("state") != current.get("state"):
        return current
    before = {row["id"]: row for row in previous.get("rows", ())}
    now = {row["id"]: row for row in current.get("rows", ())}
    rows = [row for key, row in now.items() if before.get(key) != row]
    removed = sorted(set(before) - set(now))
    strip = lambda s: {k: v for k, v in s.items() if k not in ("as_of", "rows")}  # noqa: E731
    if not rows and not removed and strip(previous) == strip(current):
        return None
    return {**current, "rows": rows, "removed": removed, "complete": False}


def _door_changes(previous: dict, current: dict) -> dict | None:
    strip = lambda s: {k: v for k, v in s.items() if k != "as_of"}  # noqa: E731
    return None if strip(previous) == strip(current) else current


# -- endpoints -----------------------------------------------------------------------------------


@bp.route("/manage/events/<int:event_id>/checkin/attendance.json")
@staff_required("admin", "moderator")
def door_json(event_id: int):
    """The check-in counter (its catch-up and polling fallback)."""
    return core_live.no_store(jsonify(door_state(get_event(event_id))))


@bp.route("/manage/events/<int:event_id>/checkin/stream")
@staff_required("admin", "moderator")
def door_stream(event_id: int):
    event_id = get_event(event_id).id
    return core_live.stream_response("attendance", lambda: door_state(db.session.get(Event, event_id)), _door_changes)


@bp.route("/events/<int:event_id>/vote/results.json")
@public
def results_json(event_id: int):
    """The whole state of the public results page (its catch-up and polling fallback)."""
    return core_live.no_store(jsonify(results_state(public_event_or_404(event_id))))


@bp.route("/events/<int:event_id>/vote/results/stream")
@public
def results_stream(event_id: int):
    event_id = public_event_or_404(event_id).id
    return core_live.stream_response("results", lambda: results_state(public_event(event_id)), _results_changes)


@bp.route("/live/authorize/door/<int:event_id>")
@public  # the staff session is checked here: nchan counts a redirect to the login as a yes
def live_authorize_door(event_id: int):
    def ok() -> bool:
        event = db.session.get(Event, event_id) if event_id <= MAX_ID else None
        return event is not None and current_user.is_authenticated and works_at_event(current_user, event.id)

    return core_live.authorization_answer(ok)


@bp.route("/live/authorize/results/<int:event_id>")
@public
def live_authorize_results(event_id: int):
    """Anyone may follow the results of a public event (what the results page shows)."""
    return core_live.authorization_answer(lambda: event_id <= MAX_ID and public_event(event_id) is not None)
