"""Publishing live updates to nginx (nchan) without ever making a request wait for it.

The features decide *what* is published and *when* (after their transaction committed:
app/ideas/live.py for ideas, app/voting/live.py for the door counter and the voting results);
this module only delivers. Each change is one HTTP request to nchan's publisher
(``LIVE_PUBLISH_URL``), which fans it out to every channel the publisher location names
(an idea: its event's wall, its stand's wall and the moderators' capture list, in one POST).

Delivery happens in one background thread per worker process, fed by a bounded queue
(``LIVE_PUBLISH_QUEUE`` entries): the request that committed the change only puts the message
in the queue and returns. A publisher that hangs costs the sender at most
``LIVE_PUBLISH_TIMEOUT`` seconds per message, never a request; a full queue drops the message
(logged). Nothing is lost by a dropped or failed publish: the pages catch up from the database
(the idea feed, the counters' JSON) on every (re)connect and every ``LIVE_CATCH_UP_SECONDS``.

A job can also be a function (``compute``) that builds its messages in the sender, in an app
context of its own, after the commit: counters are read there, so the last message for a
counter always reflects every commit before it. Jobs with the same ``key`` that are still
waiting are sent once.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import requests
from flask import Flask, Response, abort, current_app, request

from app.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One publish: ``path`` below LIVE_PUBLISH_URL (e.g. ``idea/3/7``), the SSE event name."""
    path: str
    data: str = ""
    event: str = "idea"
    method: str = "POST"


Compute = Callable[[], list[Message]]


class Sender:
    """A bounded queue and the thread that empties it (started at the first job of a process)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: queue.Queue = queue.Queue(maxsize=int(app.config.get("LIVE_PUBLISH_QUEUE", 1000)))
        self.pending_keys: set[str] = set()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.session = None

    def submit(self, job: Message | tuple[str, Compute]) -> bool:
        key = job[0] if isinstance(job, tuple) else None
        with self.lock:
            if self.pid != os.getpid() or self.thread is None or not self.thread.is_alive():
                self._start()
            if key is not None:
                if key in self.pending_keys:
                    return True  # the waiting job reads the state after this commit too
                self.pending_keys.add(key)
        try:
            self.queue.put_nowait(job)
            return True
        except queue.Full:
            if key is not None:
                with self.lock:
                    self.pending_keys.discard(key)
            self.app.logger.warning("live: publish queue full, update dropped; pages catch up from the database")
            return False

    def _start(self) -> None:
        if self.pid != os.getpid():  # a forked worker: a queue and thread of its own
            self.queue = queue.Queue(maxsize=self.queue.maxsize)
            self.pending_keys = set()
            self.session = None
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            job = self.queue.get()
            try:
                if isinstance(job, tuple):
                    key, compute = job
                    with self.lock:
                        self.pending_keys.discard(key)
                    with self.app.app_context():
                        try:
                            messages = compute()
                        finally:
                            db.session.remove()
                else:
                    messages = [job]
                for message in messages:
                    self._send(message)
            except Exception:  # noqa: BLE001 - the sender must survive anything
                self.app.logger.warning("live: could not build an update; pages catch up", exc_info=True)
            finally:
                self.queue.task_done()

    def _send(self, message: Message) -> bool:
        if self.session is None:
            self.session = requests.Session()
        base = self.app.config["LIVE_PUBLISH_URL"].rstrip("/")
        timeout = float(self.app.config.get("LIVE_PUBLISH_TIMEOUT", 0.5))
        try:
            response = self.session.request(
                message.method, f"{base}/{message.path}", data=message.data.encode() if message.data else None,
                timeout=timeout, headers={"Content-Type": "application/json", "X-EventSource-Event": message.event})
            if response.status_code >= 400 and not (message.method == "DELETE" and response.status_code == 404):
                raise OSError(f"nchan answered {response.status_code}")
            return True
        except (OSError, requests.RequestException):
            self.app.logger.warning("live: could not publish to %s; pages catch up from the database",
                                    message.path, exc_info=True)
            return False


def enabled() -> bool:
    return bool(current_app.config.get("LIVE_PUBLISH_URL"))


def sender(app: Flask | None = None) -> Sender:
    app = app or current_app._get_current_object()
    found = app.extensions.get("live_sender")
    if found is None:
        found = app.extensions["live_sender"] = Sender(app)
    return found


def publish(message: Message) -> bool:
    """Queue one message for nchan (False: dropped because the queue is full, logged)."""
    if not enabled():
        return True
    return sender().submit(message)


def publish_computed(key: str, compute: Compute) -> bool:
    """Queue ``compute`` (run in the sender, in an app context, after the commit); one per ``key``
    while it waits."""
    if not enabled():
        return True
    return sender().submit((key, compute))


def flush(app: Flask | None = None, timeout: float = 30.0) -> bool:
    """Wait until everything queued so far was sent or given up (tests, bench, shutdown)."""
    found = (app or current_app).extensions.get("live_sender")
    if found is None or found.thread is None:
        return True
    done = threading.Event()

    def wait() -> None:
        found.queue.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)


def state_stream(app: Flask, event: str, compute: Callable[[], dict], changes: Callable[[dict, dict], dict | None],
                 *, seconds: float, poll: float, heartbeat: float) -> Iterator[str]:
    """The app's own stream of a state (development, ``make run``: no nginx), for a bounded time.

    ``compute()`` (run in an app context of its own each ``poll`` seconds, so the stream holds
    no database connection while it waits) reads the whole state; the first message is the
    whole state, later ones only ``changes(previous, current)`` (None: nothing changed).
    """
    deadline = time.monotonic() + seconds
    previous = None
    last_write = time.monotonic()
    yield "retry: 1500\n\n"
    first = True
    while first or time.monotonic() < deadline:
        first = False
        with app.app_context():
            try:
                current = compute()
            finally:
                db.session.remove()
        update = current if previous is None else changes(previous, current)
        previous = current
        if update is not None:
            yield f"event: {event}\ndata: {json.dumps(update, ensure_ascii=False)}\n\n"
            last_write = time.monotonic()
        elif time.monotonic() - last_write >= heartbeat:
            yield ": keep-alive\n\n"
            last_write = time.monotonic()
        time.sleep(max(0.0, min(poll, deadline - time.monotonic())))


def no_store(response):
    """A live page's JSON or stream must never come from a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def stream_response(event: str, compute: Callable[[], dict], changes: Callable[[dict, dict], dict | None]):
    """The response of an in-app :func:`state_stream` (development); 404 where nginx holds the
    streams, so no request worker can be made to hold one in production."""

    if enabled():
        abort(404)
    app = current_app._get_current_object()
    config = app.config
    db.session.remove()  # the stream opens its own short sessions
    response = Response(state_stream(
        app, event, compute, changes, seconds=float(config["IDEAS_STREAM_SECONDS"]),
        poll=max(float(config["IDEAS_STREAM_POLL"]), 0.5), heartbeat=float(config["IDEAS_STREAM_HEARTBEAT"])),
        mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return no_store(response)


def channel_url(kind: str, channel_id: int) -> str | None:
    """Where a page subscribes to a channel authorised by the session (``capture``, ``door``,
    ``results``) when nginx holds the streams; None: the page uses the app's own stream."""
    return f"/live/{kind}/{channel_id}" if enabled() else None


def authorization_answer(ok) -> tuple[str, int]:
    """The app's answer to nchan's ``nchan_authorize_request`` (204: subscribe, 403: refused).
    Only nginx asks (it marks its question with ``X-Live-Authorize``; its public location
    answers 404): anyone else gets 404. ``ok`` is called only for nginx's question."""
    if request.headers.get("X-Live-Authorize") != "1":
        abort(404)
    return ("", 204) if ok() else ("", 403)
