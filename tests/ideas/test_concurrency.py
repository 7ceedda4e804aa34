"""Concurrency: retries of one idea never make two, on SQLite and PostgreSQL; Redis wakes walls."""
from __future__ import annotations

import json
import threading
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.ideas.models import Idea, IdeaChange, Tag
from tests.support import wait_until
from tests.support.servers import LiveServer, RedisServer
from tests.support.threads import run_at_once


def _session_for(app, client) -> tuple[str, str]:
    """The logged-in session cookie and a CSRF token valid for it."""
    token = client.csrf_token()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}", token


def _post(url: str, cookie: str, token: str, payload: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json", "Cookie": cookie, "X-CSRFToken": token})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def test_twenty_concurrent_posts_of_one_idea_make_one(app, create_user, create_stand, login):
    moderator = create_user(roles=("moderator",))
    stand_id = create_stand(moderators=[moderator]).id
    client = app.test_client()
    login(client, moderator)
    cookie, token = _session_for(app, client)
    client_id = str(uuid.uuid4())
    statuses: list[int] = []

    with LiveServer(app) as server:
        url = f"{server.url}/stands/{stand_id}/ideas.json"
        # Different tag spellings race on the process's tag table as well.
        run_at_once(20, lambda i: statuses.append(_post(url, cookie, token, {
            "client_id": client_id, "text": f"Mehr Sitzbänke am Neckarufer #Bänke{'' if i % 2 else ' #Neckar'}"})))

    assert sorted(statuses).count(201) == 1 and sorted(statuses).count(200) == 19
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count(Idea.id))).scalar_one() == 1
        assert _db.session.execute(sa.select(sa.func.count(IdeaChange.id))).scalar_one() == 1
        assert _db.session.execute(sa.select(sa.func.count(Tag.id))).scalar_one() <= 2


def test_concurrent_different_ideas_all_arrive_in_feed_order(app, create_user, create_stand, login):
    """Many moderators at once: every idea gets exactly one feed row, ids strictly increasing."""
    moderator = create_user(roles=("moderator",))
    stand_id = create_stand(moderators=[moderator]).id
    client = app.test_client()
    login(client, moderator)
    cookie, token = _session_for(app, client)

    with LiveServer(app) as server:
        url = f"{server.url}/stands/{stand_id}/ideas.json"
        run_at_once(12, lambda i: _post(url, cookie, token, {
            "client_id": str(uuid.uuid4()), "text": f"Idee Nummer {i} #gemeinsam"}))
    with app.app_context():
        ideas = _db.session.execute(sa.select(sa.func.count(Idea.id))).scalar_one()
        feed = _db.session.execute(sa.select(IdeaChange.idea_id).order_by(IdeaChange.id)).scalars().all()
        assert ideas == 12 and len(set(feed)) == 12 and len(feed) == 12


@pytest.mark.skipif(not RedisServer.available(), reason="redis-server not installed")
def test_redis_wakes_the_stream_without_polling(app, create_user, create_stand, record, wall_token):
    """With REDIS_URL the stream blocks on pub/sub: a change arrives although the poll interval is huge."""
    stand = create_stand()
    stand_id, event_id = stand.id, stand.event_id
    token = wall_token(event_id)
    with RedisServer() as redis_server:
        # Polling every 60 s within a stream of 20 s (long enough for a busy machine to connect and
        # record): only a Redis wake-up can deliver in time.
        app.config.update(REDIS_URL=redis_server.url, IDEAS_STREAM_POLL=60, IDEAS_STREAM_SECONDS=20,
                          IDEAS_STREAM_HEARTBEAT=60)
        received: list[str] = []
        with LiveServer(app) as server:
            response = urllib.request.urlopen(f"{server.url}/wall/{token}/stream?after=0", timeout=30)

            def reader() -> None:
                for raw in response:
                    received.append(raw.decode())
                    if "Per Redis geweckt" in received[-1]:
                        break

            thread = threading.Thread(target=reader, daemon=True)
            thread.start()
            # The first poll (at connect) found nothing; now the stream waits on Redis.
            wait_until(lambda: any(line.startswith("retry:") for line in received), timeout=10)
            record(stand_id, "Per Redis geweckt")
            wait_until(lambda: any("Per Redis geweckt" in line for line in received), timeout=10,
                       message="the stream did not wake up through Redis")
            thread.join(timeout=10)
            response.close()
