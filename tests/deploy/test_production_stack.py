"""The production stack (scripts/serve-prod.sh): nginx → gunicorn (≥2 gthread workers) → the
database (migrated by the script), with Redis. A page, a static file served by nginx itself,
/healthz, a staff login, and the wall's own stream switched off (nginx holds the streams)."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
import sqlalchemy as sa

from app import create_app
from app.core.security import SECURITY_HEADERS
from app.extensions import db
from config import TestingConfig
from tests.support import wait_until
from tests.support.prodstack import ProductionStack, nginx_available
from tests.support.servers import RedisServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is not installed (scripts/install-test-deps.sh)"),
    pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed"),
]


METRICS_TOKEN = "stack-metrics-token-" + "m" * 24


@pytest.fixture
def stack(empty_database_url, tmp_path):
    with RedisServer() as redis, ProductionStack(empty_database_url, redis_url=redis.url, workers=2,
                                                 env={"IDEENMARKT_METRICS_TOKEN": METRICS_TOKEN}) as running:
        running.redis = redis
        yield running


def _data_app(stack: ProductionStack):
    """An app on the stack's database, for setting up and checking data directly."""
    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=stack.env["DATABASE_URL"],
                      INSTANCE_PATH=str(stack.instance), MAIL_SEND_AFTER_REQUEST=False)


def _get(url: str, opener=None):
    try:
        return (opener or urllib.request.build_opener()).open(url, timeout=10)
    except urllib.error.HTTPError as exc:
        return exc


def _raw(stack: ProductionStack, method: str, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _methods_request_ids_and_host(stack: ProductionStack) -> None:
    """Issue 14, item 8, on the real nginx: TRACE (refused by nginx before any location) and
    every method the app does not serve answer 405 with Allow; a client's X-Request-ID is
    replaced by nginx's; the Host header does not make the OpenAPI servers."""
    for method in ("TRACE", "PUT", "DELETE", "PROPFIND"):
        response = _raw(stack, method, "/processes")
        assert response.status == 405, method
        assert response.headers["Allow"] == "GET, HEAD, POST, OPTIONS", method
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    static = _raw(stack, "POST", "/static/ideas/wall.css")
    assert static.status == 405 and static.headers["Allow"] == "GET, HEAD"
    # What the app serves is untouched: its own Allow for a method a route lacks, OPTIONS, pages.
    get_only = _raw(stack, "POST", "/processes")
    assert get_only.status == 405 and set(get_only.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert _raw(stack, "OPTIONS", "/login").status == 200
    page = _raw(stack, "GET", "/processes", {"X-Request-ID": "forged-id-0123456789"})
    assert page.status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", page.headers["X-Request-ID"]), page.headers["X-Request-ID"]
    # nginx writes the access line once the response is sent: the client may read it first.
    wait_until(lambda: page.headers["X-Request-ID"] in stack.log("nginx-access.log"),
               message=lambda: stack.log("nginx-access.log"))
    document = json.loads(_get(urllib.request.Request(stack.url + "/api/v1/openapi.json",
                                                      headers={"Host": "evil.example"})).read())
    assert document["servers"] == [{"url": stack.url + "/api/v1"}]


def _metrics_add_up_across_workers(stack: ProductionStack) -> None:
    """Issue 20, item 3: /metrics (multiprocess mode) sums what both gunicorn workers counted,
    and a worker that exits stops counting in the live gauges (gunicorn's child_exit hook)."""
    from concurrent.futures import ThreadPoolExecutor

    def scrape() -> str:
        request = urllib.request.Request(stack.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        response = _get(request)
        assert response.status == 200
        return response.read().decode()

    def health_count(text: str) -> float:
        return sum(float(line.rpartition(" ")[2]) for line in text.splitlines()
                   if line.startswith("ideenmarkt_http_requests_total{") and 'route="/healthz"' in line)

    def counted_by() -> set[int]:
        files = (stack.run_dir / "metrics").glob("counter_*.db")
        return {int(f.stem.rpartition("_")[2]) for f in files} & stack.worker_pids()

    assert _get(stack.url + "/metrics").status == 403
    before = health_count(scrape())
    sent = 0
    # New connections in parallel: both workers take some. For up to a minute, not a fixed count: on a
    # loaded machine the second worker may still be booting while the first takes every connection.
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(8) as pool:
        while len(counted_by()) < 2 and time.monotonic() < deadline:
            assert all(status == 200 for status in pool.map(lambda _: _get(stack.url + "/healthz").status, range(50)))
            sent += 50
    assert len(counted_by()) == 2, "only one worker served /healthz"
    text = scrape()
    assert health_count(text) - before == sent
    assert "ideenmarkt_outbox_backlog" in text and "ideenmarkt_db_pool_size" in text
    assert re.search(r"^ideenmarkt_live_nchan_subscribers \d", text, re.MULTILINE), "nchan's status not read"

    gone = min(stack.worker_pids())
    os.kill(gone, signal.SIGKILL)
    wait_until(lambda: not list((stack.run_dir / "metrics").glob(f"gauge_livesum_{gone}.db")), timeout=30,
               message="the dead worker's live gauges were not removed (child_exit)")
    wait_until(lambda: len(stack.worker_pids()) == 2, timeout=30, message="gunicorn did not replace the worker")


def test_page_static_health_login_and_wall_through_nginx(stack):
    from app.demo import load_demo
    from app.events.models import Event
    from app.ideas import services as ideas

    # Several gthread workers behind nginx.
    assert len(stack.worker_pids()) == 2

    # /healthz and a page, proxied to gunicorn, with the app's headers.
    health = _get(stack.url + "/healthz")
    assert health.status == 200 and b'"ok"' in health.read()
    page = _get(stack.url + "/")
    assert page.status == 200 and page.headers["Server"] == "nginx"
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value, name
    assert page.headers["X-Request-ID"]

    _methods_request_ids_and_host(stack)
    _metrics_add_up_across_workers(stack)

    # A static file from nginx itself: no request id (the app would add one), not in gunicorn's log.
    css = _get(stack.url + "/static/ideas/wall.css")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    assert css.headers.get("X-Request-ID") is None and css.headers["X-Content-Type-Options"] == "nosniff"
    assert css.headers["Cache-Control"] == "max-age=3600"
    assert _get(stack.url + "/static/ideas/missing.css").status == 404

    # Demo data in the migrated database; a staff login through the proxy (CSRF, session cookie).
    data = _data_app(stack)
    with data.app_context():
        load_demo()
        event = db.session.execute(sa.select(Event).where(Event.seats == 15)).scalar_one()
        token = ideas.wall_link(event).token
        db.session.commit()
        event_id = event.id
    admin, password = next(line.split("\t") for line in (stack.instance / "demo-logins.txt").read_text().splitlines()
                           if line.startswith("admin@"))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    login_page = _get(stack.url + "/login", opener).read().decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    response = _get(urllib.request.Request(stack.url + "/login", data=urllib.parse.urlencode(
        {"csrf_token": csrf, "email": admin, "password": password.strip()}).encode()), opener)
    assert response.status == 200 and "/login" not in response.url, response.url
    assert _get(stack.url + "/manage/users", opener).status == 200

    # nginx holds the walls' streams (nchan: tests/deploy/test_live_nchan.py); the app's own
    # stream is off in production, so no gunicorn thread can be held by a wall stream.
    assert _raw(stack, "GET", f"/wall/{token}/stream", {"Accept": "text/event-stream"}).status == 404
    assert f'data-live-url="/live/wall/{event_id}/{token}"' in _get(stack.url + f"/wall/{token}").read().decode()
    # Private links never reach a log: the wall's secret is in its path.
    for name in ("gunicorn-access.log", "gunicorn.log", "nginx-access.log", "nginx-error.log"):
        assert token not in stack.log(name), name
    assert '"GET" 200' in stack.log("nginx-access.log") and '"GET" 200' in stack.log("gunicorn-access.log")
    with data.app_context():
        db.session.remove()
        db.engine.dispose()

    # gunicorn gone (a deploy restarting it): nginx shows the friendly bilingual page.
    for pid in (*stack.worker_pids(), stack.gunicorn_pid()):
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: _get(stack.url + "/").status == 502, timeout=30, message="gunicorn did not stop",
               ignore=(OSError,))
    down = _get(stack.url + "/events")
    body = down.read().decode()
    assert down.status == 502 and "Vorübergehend nicht erreichbar" in body and "Temporarily unavailable" in body
    assert down.headers["X-Content-Type-Options"] == "nosniff"
