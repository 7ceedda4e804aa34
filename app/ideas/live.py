"""Live walls across worker processes: the change feed and the server-sent-events stream.

How it works
------------
* Every service that changes an idea calls :func:`note_change`. Right before the
  transaction commits, one ``idea_change`` row per change is inserted (same
  transaction: a change and its feed row are committed together or not at all).
* On PostgreSQL the insert first takes a transaction-level advisory lock per event,
  so feed rows of one event become visible in id order (a reader that has seen
  id 41 can never later find a committed 40). SQLite has one writer at a time anyway.
* The SSE view (:func:`stream`) reads ``idea_change`` rows with ``id > last id`` for
  its event (and stand), loads the ideas' current state and sends one message per
  idea with ``id: <feed id>``. Any worker process serves any wall: the database is
  the only shared state. The browser's EventSource sends ``Last-Event-ID`` when it
  reconnects, and the stream continues after that id, so nothing is missed.
* Without Redis the stream polls the feed (``IDEAS_STREAM_POLL`` seconds, 0.5 by
  default). With ``REDIS_URL`` set, a commit also publishes the event id on a Redis
  channel and the stream blocks on that channel instead of sleeping; it still reads
  the feed from the database (Redis pub/sub is only a wake-up call, so a lost
  message costs at most one slow poll, never an idea).
* Production (``LIVE_PUBLISH_URL`` set, scripts/serve-prod.sh): nginx holds the streams
  (the pub/sub module nchan, config from ``flask deploy nginx-config``). After the commit,
  :func:`_publish` hands each change, once, to the background sender (app/core/live.py): one
  POST to ``idea/<event id>/<stand id>``, which nchan delivers to the channels
  ``wall-<event id>``, ``stand-<stand id>`` and ``capture-<stand id>`` (the moderators' list)
  at once: the idea's wall state (never "said by") plus ``change_id``, its feed id. The
  capture page reads the staff fields from its own feed (:func:`changes_after` with
  ``staff=True``). nchan asks the app once per new subscription (views_wall.py). Publishing
  can fail or hang (nchan or Redis down): the save is committed already and the request does
  not wait for it; the failure is logged, and pages catch up from the feed (the ``changes``
  endpoints) on every (re)connect and while they poll in their fallback mode. No request
  worker holds a stream.
* A stream ends after ``IDEAS_STREAM_SECONDS`` (25 s by default, below gunicorn's
  default 30 s worker timeout); EventSource reconnects by itself. In production run
  gunicorn with threads (``--worker-class gthread --threads 8``) so open walls do
  not occupy whole worker processes.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.core import live as core_live
from app.core.live import Message
from app.extensions import db
from app.ideas.display import idea_payload
from app.ideas.models import Idea, IdeaChange
from app.metrics.instruments import LIVE_STREAMS

_PENDING = "ideas_pending_changes"
_PUBLISH = "ideas_publish_events"
_MESSAGES = "ideas_live_messages"
_TOUCHED = "ideas_live_touched"
CHANNEL_PREFIX = "ideenmarkt:ideas:event:"
#: Namespace of the advisory locks that order the feed (the second key is the event id).
ADVISORY_LOCK_CLASS = 4_2019


def note_change(idea, kind: str) -> None:
    """Remember that ``idea`` changed; the feed row is written just before commit."""
    session = db.session()
    session.info.setdefault(_PENDING, []).append((idea.stand.event_id, idea.stand_id, idea.id, kind))


@sa_event.listens_for(Session, "before_commit")
def _write_feed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return

    event_ids = sorted({p[0] for p in pending})
    if session.get_bind().dialect.name == "postgresql":
        for event_id in event_ids:  # sorted: two transactions never wait on each other in a cycle
            session.execute(text("SELECT pg_advisory_xact_lock(:cls, :key)"),
                            {"cls": ADVISORY_LOCK_CLASS, "key": event_id})
    seen = set()
    rows = []
    for event_id, stand_id, idea_id, kind in pending:
        if (idea_id, kind) in seen:
            continue
        seen.add((idea_id, kind))
        rows.append(IdeaChange(event_id=event_id, stand_id=stand_id, idea_id=idea_id, kind=kind))
    session.add_all(rows)
    session.flush()
    session.info.setdefault(_PUBLISH, set()).update(event_ids)
    touched = session.info.setdefault(_TOUCHED, {})
    for row in rows:
        touched.setdefault(row.event_id, set()).add(row.idea_id)
    if has_app_context() and current_app.config.get("LIVE_PUBLISH_URL"):
        session.info.setdefault(_MESSAGES, []).extend(_live_messages(session, rows))


def _live_messages(session: Session, rows) -> list[Message]:
    """One message per changed idea: its wall state as committed (no personal data), with its
    last feed id, for the event's wall, the stand's wall and the capture list at once."""

    last: dict[int, object] = {}
    for row in rows:
        last[row.idea_id] = row
    messages = []
    for idea_id, row in sorted(last.items(), key=lambda kv: kv[1].id):
        idea = session.get(Idea, idea_id)
        if idea is None:
            continue
        data = json.dumps({**wall_payload(idea), "change_id": row.id}, ensure_ascii=False)
        messages.append(Message(f"idea/{row.event_id}/{row.stand_id}", data))
    return messages


@sa_event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    event_ids = session.info.pop(_PUBLISH, None)
    messages = session.info.pop(_MESSAGES, None)
    touched = session.info.pop(_TOUCHED, None) or {}
    if not event_ids or not has_app_context():
        return
    for message in messages or ():
        core_live.publish(message)  # queued: a hanging nchan never holds this request
    for receiver in list(AFTER_IDEA_COMMIT):
        receiver(touched)
    url = current_app.config.get("REDIS_URL")
    if not url or live_enabled():
        return  # the Redis wake-up is for the app's own streams only
    try:
        client = _redis(url)
        for event_id in event_ids:
            client.publish(f"{CHANNEL_PREFIX}{event_id}", "1")
    except Exception:  # noqa: BLE001 - a wake-up call; walls still poll the database
        current_app.logger.warning("could not publish idea change to Redis", exc_info=True)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_PUBLISH, None)
    session.info.pop(_MESSAGES, None)
    session.info.pop(_TOUCHED, None)


# -- nginx holds the streams (nchan) -------------------------------------------------------


#: Called after a commit that changed ideas, with {event id: changed idea ids} (voting's
#: results page follows the ideas' visibility and merges: app/voting/live.py).
AFTER_IDEA_COMMIT: list = []


def close_channels(event_id: int, stand_ids: list[int]) -> bool:
    """Disconnect every subscriber of the event's walls (the wall link was replaced): they
    must subscribe again, and nchan asks the app, which refuses the old secret. Queued like
    every publish (False: the queue was full)."""
    if not live_enabled():
        return True  # in-app streams check the secret on each reconnect anyway
    return all([core_live.publish(Message(f"{kind}/{cid}", method="DELETE"))
                for kind, cid in [("wall", event_id), *(("stand", sid) for sid in stand_ids)]])


def live_enabled() -> bool:
    return core_live.enabled()


_REDIS_CLIENTS: dict[str, object] = {}


def _redis(url: str):
    import redis  # only with REDIS_URL (several workers); one process needs no Redis client

    client = _REDIS_CLIENTS.get(url)
    if client is None:
        client = _REDIS_CLIENTS[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


# -- reading the feed ---------------------------------------------------------------------


def wall_payload(idea) -> dict:
    """What walls get of an idea: a hidden or merged one only as "gone" (no text, no tags),
    so a text hidden for its content is never sent to a wall."""

    payload = idea_payload(idea)
    if not payload["visible"]:
        return {key: payload[key] for key in ("id", "stand_id", "status", "visible")}
    return payload


def latest_change_id(event_id: int) -> int:
    return db.session.execute(
        select(func.coalesce(func.max(IdeaChange.id), 0)).where(IdeaChange.event_id == event_id)
    ).scalar_one()


def changes_after(event_id: int, after: int, *, stand_id: int | None = None, limit: int = 200,
                  staff: bool = False) -> list[tuple[int, dict]]:
    """Feed entries after ``after`` as (feed id, wall payload of the idea's current state;
    ``staff``: the moderators' payload, with "said by").

    Several changes of one idea in the batch collapse into one message (the last id).
    """

    query = select(IdeaChange.id, IdeaChange.idea_id).where(
        IdeaChange.event_id == event_id, IdeaChange.id > after)
    if stand_id is not None:
        query = query.where(IdeaChange.stand_id == stand_id)
    rows = db.session.execute(query.order_by(IdeaChange.id).limit(limit)).all()
    if not rows:
        return []
    last_for_idea: dict[int, int] = {}
    for change_id, idea_id in rows:
        last_for_idea[idea_id] = change_id
    ideas = {i.id: i for i in db.session.execute(
        select(Idea).where(Idea.id.in_(last_for_idea))).scalars()}
    messages = []
    for idea_id, change_id in sorted(last_for_idea.items(), key=lambda kv: kv[1]):
        idea = ideas.get(idea_id)
        if idea is not None:
            messages.append((change_id, idea_payload(idea, staff=True) if staff else wall_payload(idea)))
    if messages and messages[-1][0] != rows[-1][0]:
        # The batch's last row belongs to an idea already sent with an earlier id:
        # still advance the client's position to the end of the batch.
        messages.append((rows[-1][0], None))
    return messages


class _Waiter:
    """Sleeps between polls, or blocks on Redis pub/sub when it is configured."""

    def __init__(self, app: Flask, event_id: int, poll: float):
        self.poll = poll
        self.pubsub = None
        url = app.config.get("REDIS_URL")
        if url:
            try:
                self.pubsub = _redis(url).pubsub(ignore_subscribe_messages=True)
                self.pubsub.subscribe(f"{CHANNEL_PREFIX}{event_id}")
            except Exception:  # noqa: BLE001 - fall back to polling
                app.logger.warning("Redis unavailable for live walls; polling the database", exc_info=True)
                self.pubsub = None

    def wait(self, seconds: float) -> None:
        if self.pubsub is None:
            time.sleep(min(self.poll, seconds))
            return
        try:
            # Woken by a publish; otherwise a slow safety poll of the database.
            message = self.pubsub.get_message(timeout=min(seconds, self.poll * 10))
            while message is not None:  # drain what queued up meanwhile
                message = self.pubsub.get_message(timeout=0)
        except Exception:  # noqa: BLE001
            self.close()
            time.sleep(min(self.poll, seconds))

    def close(self) -> None:
        if self.pubsub is not None:
            try:
                self.pubsub.close()
            except Exception:  # noqa: BLE001
                pass
            self.pubsub = None


def sse_message(change_id: int, payload: dict | None) -> str:
    if payload is None:
        return f"id: {change_id}\nevent: position\ndata: {{}}\n\n"
    return f"id: {change_id}\nevent: idea\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def stream(app: Flask, event_id: int, after: int, *, stand_id: int | None = None,
           staff: bool = False) -> Iterator[str]:
    """Server-sent events for one event's wall (optionally one stand), for a bounded time.

    Each database access runs in an app context of its own and returns its
    connection, so an open stream holds no connection or transaction while waiting.
    """
    seconds = float(app.config["IDEAS_STREAM_SECONDS"])
    poll = float(app.config["IDEAS_STREAM_POLL"])
    heartbeat = float(app.config["IDEAS_STREAM_HEARTBEAT"])
    deadline = time.monotonic() + seconds
    waiter = _Waiter(app, event_id, poll)
    last_write = time.monotonic()
    LIVE_STREAMS.inc()
    try:
        # Tell EventSource to retry quickly; also sends the headers at once.
        yield "retry: 1500\n\n"
        first = True
        # The first look always happens, however long the client took to read the retry line
        # (a busy machine): a stream always delivers what was pending when it connected.
        while first or time.monotonic() < deadline:
            first = False
            with app.app_context():
                batch = changes_after(event_id, after, stand_id=stand_id, staff=staff)
                db.session.remove()
            if batch:
                after = batch[-1][0]
                yield "".join(sse_message(cid, payload) for cid, payload in batch)
                last_write = time.monotonic()
                continue
            if time.monotonic() - last_write >= heartbeat:
                yield ": keep-alive\n\n"
                last_write = time.monotonic()
            waiter.wait(max(0.0, deadline - time.monotonic()))
    finally:
        LIVE_STREAMS.dec()
        waiter.close()
