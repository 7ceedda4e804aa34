"""Login is rate-limited, with a friendly 429 page, and the limit holds across workers."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.support.databases import ON_POSTGRES, PG_URL
from tests.support.servers import GunicornServer, RedisServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config():
    return {"LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_rate_limit_gives_friendly_429(client):
    for _ in range(3):
        assert client.submit("/login", {"email": "a@example.org", "password": "wrong password"}).status_code == 200
    response = client.submit("/login", {"email": "a@example.org", "password": "wrong password"})
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Zu viele Anfragen" in body and "Traceback" not in body
    assert response.headers.get("Retry-After")
    # It says how long: a minute's window, not "a moment" (issue 24, defect 14).
    assert "Bitte versuchen Sie es in 1 Minute erneut." in body or "Sekunden erneut." in body
    assert "einen Moment" not in body
    # Reading the login page is not limited.
    assert client.get("/login").status_code == 200


def test_an_hourly_limit_says_it_lasts_an_hour_in_both_languages(app, client):
    app.config["FEEDBACK_RATE_LIMIT"] = "1 per hour"
    data = {"page_url": "/", "description": "Der Kontrast ist zu schwach.", "email": ""}
    client.submit("/accessibility/feedback", data)
    refused = client.submit("/accessibility/feedback", data)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 3000
    assert "Bitte versuchen Sie es in 1 Stunde erneut." in refused.get_data(as_text=True)
    client.set_cookie("ideenmarkt_lang", "en")
    english = client.submit("/accessibility/feedback", data)
    assert "Please try again in 1 hour." in english.get_data(as_text=True)


class Browserish:
    """A tiny HTTP client with cookies that can post the login form with its CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def login_attempt(self) -> tuple[int, int]:
        import re

        page = self.opener.open(self.base + "/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "email": "a@example.org", "password": "nope nope"})
        request = urllib.request.Request(self.base + "/login", data=data.encode())
        try:
            response = self.opener.open(request)
            return response.status, int(response.headers.get("X-Worker-Pid", 0))
        except urllib.error.HTTPError as exc:
            return exc.code, 0


def _prepare_database(tmp_path) -> str:
    url = PG_URL if ON_POSTGRES else f"sqlite:///{tmp_path / 'shared.sqlite'}"
    if not ON_POSTGRES:
        from app import create_app
        from app.extensions import db
        from config import TestingConfig

        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp_path))
        with app.app_context():
            db.create_all()
            db.engine.dispose()
    return url


def _run_against_gunicorn(tmp_path, extra_env: dict) -> list[int]:
    env = {
        "DATABASE_URL": _prepare_database(tmp_path), "IDEENMARKT_ENV": "development",
        "IDEENMARKT_INSTANCE": str(tmp_path), "SECRET_KEY": "s" * 40,
        "IDEENMARKT_LOGIN_RATE_LIMIT": "5 per minute", **extra_env,
    }
    with GunicornServer("wsgi:app", workers=3, env=env, cwd=str(ROOT)) as server:
        server.wait_for_workers(3)
        # Each attempt is a fresh connection; the kernel spreads them over the workers.
        statuses = [Browserish(server.url).login_attempt()[0] for _ in range(12)]
    return statuses


@pytest.mark.slow
def test_limit_holds_across_gunicorn_workers_through_the_database(tmp_path):
    if ON_POSTGRES:
        pytest.skip("the SQLite run covers the database storage; PostgreSQL is shared by the other tests")
    statuses = _run_against_gunicorn(tmp_path, {})
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 7


@pytest.mark.slow
@pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed")
def test_limit_holds_across_gunicorn_workers_through_redis(tmp_path):
    with RedisServer() as redis:
        statuses = _run_against_gunicorn(tmp_path, {"REDIS_URL": redis.url})
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 7
