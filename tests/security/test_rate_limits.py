"""Rate limits hold across gunicorn workers through Redis, and fall back safely without it.

The login limit across workers is in tests/accounts/test_rate_limit.py; here: the
application form across workers, and what happens when Redis goes away.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.support.servers import GunicornServer, RedisServer

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed")]


class Visitor:
    """A browser-like client with cookies that posts forms with their CSRF token; a new
    connection per request, so the kernel spreads them over the workers."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def post_form(self, path: str, fields: dict[str, str], form_path: str | None = None) -> int:
        status, page = self.get(form_path or path)
        assert status == 200, (status, page[:300])
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


def _gunicorn(database_uri: str, tmp_path, redis_url: str, **limits: str) -> GunicornServer:
    env = {"DATABASE_URL": database_uri, "IDEENMARKT_ENV": "development", "IDEENMARKT_INSTANCE": str(tmp_path),
           "SECRET_KEY": "s" * 40, "REDIS_URL": redis_url, "IDEENMARKT_MAIL_SEND_AFTER_REQUEST": "0",
           "IDEENMARKT_MAIL_RETRY_INTERVAL": "-1",
           **{f"IDEENMARKT_{name}": value for name, value in limits.items()}}
    return GunicornServer("wsgi:app", workers=WORKERS, env=env, cwd=str(ROOT),
                          extra_args=["--worker-class", "gthread", "--threads", "2"])


def _criteria_fields(page: str) -> dict[str, str]:
    """The first option of every criterion on the application form."""
    fields = {}
    for name, value in re.findall(r'name="(criterion_\d+)"[^>]*value="(\d+)"', page):
        fields.setdefault(name, value)
    return fields


def test_application_limit_holds_across_workers_through_redis(app, world, database_uri, tmp_path):
    with RedisServer() as redis, _gunicorn(database_uri, tmp_path, redis.url,
                                           APPLY_RATE_LIMIT="4 per minute") as server:
        server.wait_for_workers(WORKERS)
        path = f"/events/{world.other_event_id}/apply"
        _, page = Visitor(server.url).get(path)
        fields = {"name": "Resident", "consent": "y", **_criteria_fields(page)}
        statuses = [Visitor(server.url).post_form(path, {**fields, "email": f"r{n}@world.example"})
                    for n in range(10)]
    assert statuses[:4] == [200] * 4 or statuses[:4] == [302] * 4, statuses
    assert statuses[4:] == [429] * 6, statuses


def test_without_redis_the_site_works_and_limits_fall_back_to_each_worker(app, world, database_uri, tmp_path):
    """Redis stops: pages still answer, and the login limit still holds in each worker's memory
    (at most ``workers × limit`` attempts get through, never a 500)."""
    limit, attempts = 3, 20
    with RedisServer() as redis, _gunicorn(database_uri, tmp_path, redis.url,
                                           LOGIN_RATE_LIMIT=f"{limit} per minute") as server:
        server.wait_for_workers(WORKERS)
        redis.stop()
        for path in ("/", "/login", f"/events/{world.other_event_id}", "/healthz"):
            status, body = Visitor(server.url).get(path)
            assert status == 200 and "Traceback" not in body, (path, status)
        statuses = [Visitor(server.url).post_form("/login", {"email": world.admin_email, "password": "wrong pw!"})
                    for _ in range(attempts)]
        log = server.log_text()
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) <= WORKERS * limit, statuses
    assert statuses.count(429) >= attempts - WORKERS * limit, statuses
    assert "Traceback" not in log, log[-2000:]


@pytest.mark.parametrize("app_config", [{"VOTING_CODE_RATE_LIMIT": "3 per minute", "MAIL_SEND_AFTER_REQUEST": False,
                                         "MAIL_RETRY_INTERVAL": -1}])
def test_an_outage_does_not_count_as_guessing_ticket_codes(app, world, persona, monkeypatch):
    """A hall behind one address: while the database is away the ticket links answer 503, and
    those answers must not use up the hall's allowance for wrong codes."""
    import sqlalchemy as sa

    from app.voting import services

    def database_gone(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patch:
        patch.setattr(services, "find_ticket", database_gone)
        for _ in range(5):
            assert persona("anonymous").get(f"/events/{world.event_id}/vote/t/{world.a.code}").status_code == 503
    assert persona("anonymous").get(f"/events/{world.event_id}/vote/t/{world.a.code}").status_code == 302
    for _ in range(3):  # wrong codes still count
        assert persona("anonymous").get(f"/events/{world.event_id}/vote/t/WRONG123").status_code == 404
    assert persona("anonymous").get(f"/events/{world.event_id}/vote/t/{world.b.code}").status_code == 429
