"""Rate limits hold across gunicorn workers through Redis, and fall back safely without it.

The login limit across workers is in tests/accounts/test_rate_limit.py; here: the
application form across workers, simultaneous guesses against the limit (charged before
the work), what happens when Redis goes away, and X-Forwarded-For from untrusted peers.
"""
from __future__ import annotations

import contextlib
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.support.prodstack import ProductionStack, nginx_available
from tests.support.servers import GunicornServer, RedisServer, free_port

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


def _login_counters(database_uri: str) -> int:
    """Attempts counted in the database's rate-limit table for the login form."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_uri)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT coalesce(sum(count), 0) FROM rate_limit_counter WHERE key LIKE '%accounts.login%'"
            )).scalar_one())
    finally:
        engine.dispose()


def test_without_redis_the_site_works_and_limits_fall_back_to_the_database(app, world, database_uri, tmp_path):
    """Redis stops: pages still answer, and the login limit holds across all workers through the
    database's counters (not each worker's memory, where every worker would allow it again)."""
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
    assert statuses == [200] * limit + [429] * (attempts - limit), statuses
    assert _login_counters(database_uri) >= attempts
    assert "Traceback" not in log, log[-2000:]


@pytest.mark.parametrize("app_config", [{"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "LOGIN_RATE_LIMIT": "3 per minute",
                                         "MAIL_SEND_AFTER_REQUEST": False, "MAIL_RETRY_INTERVAL": -1}])
def test_redis_configured_but_down_counts_in_the_database(app, client, database_uri):
    """Nothing listens at REDIS_URL: every attempt is counted in the shared table."""
    statuses = [client.submit("/login", {"email": "a@example.org", "password": "wrong password"}).status_code
                for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert _login_counters(database_uri) == 5


#: Redis for the "redis" case below, started by the test itself (the app connects lazily).
GUESS_REDIS_PORT = free_port()
QUIET_MAIL = {"MAIL_SEND_AFTER_REQUEST": False, "MAIL_RETRY_INTERVAL": -1}
#: Every guess that reaches the code check holds its database connection while it waits.
WIDE_POOL = {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 70, "max_overflow": 10}}


@pytest.mark.parametrize("app_config", [
    {"VOTING_CODE_RATE_LIMIT": "20 per minute", **QUIET_MAIL, **WIDE_POOL},
    {"VOTING_CODE_RATE_LIMIT": "20 per minute", "REDIS_URL": f"redis://127.0.0.1:{GUESS_REDIS_PORT}/0", **QUIET_MAIL,
     **WIDE_POOL},
], ids=["database", "redis"])
def test_simultaneous_code_guesses_pass_at_most_the_limit(app, world, monkeypatch, app_config):
    """64 wrong codes from one address at the same moment: at most the limit of 20 reach the
    code check. Every checked guess waits until all 64 requests have been let in or turned away,
    so a limit charged after the response (all 64 checked) cannot pass by luck."""
    from app.voting import views_public
    from app.voting.tickets import find_ticket

    guesses, limit = 64, 20
    decided = threading.Condition()
    counts = {"checked": 0, "refused": 0}

    def find_ticket_once_all_are_decided(event, code):
        with decided:
            counts["checked"] += 1
            decided.notify_all()
            decided.wait_for(lambda: counts["checked"] + counts["refused"] == guesses, timeout=60)
        return find_ticket(event, code)

    monkeypatch.setattr(views_public, "find_ticket", find_ticket_once_all_are_decided)
    statuses: list[int] = []

    def guess(n: int) -> None:
        status = app.test_client().get(f"/events/{world.event_id}/vote/t/WRONG{n:04d}").status_code
        with decided:
            if status == 429:
                counts["refused"] += 1
                decided.notify_all()
            statuses.append(status)

    with contextlib.ExitStack() as servers:
        if "REDIS_URL" in app_config:
            redis = servers.enter_context(RedisServer(port=GUESS_REDIS_PORT))
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        if "REDIS_URL" in app_config:  # counted in Redis, not in the fallback
            assert redis_keys(redis.url)
    assert sorted(statuses) == [404] * limit + [429] * (guesses - limit), statuses


def redis_keys(url: str) -> list:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return client.keys("*voting-code*")
    finally:
        client.close()


@pytest.mark.parametrize("app_config", [{"VOTING_CODE_RATE_LIMIT": "5 per minute", **QUIET_MAIL}])
def test_correct_codes_are_given_back(app, world):
    """Charged before the check, a correct code's charge is given back: a hall of participants
    behind one address does not use up the allowance for wrong codes."""
    for _ in range(8):
        assert app.test_client().get(f"/events/{world.event_id}/vote/t/{world.a.code}").status_code == 302
    statuses = [app.test_client().get(f"/events/{world.event_id}/vote/t/WRONG{n}").status_code for n in range(6)]
    assert statuses == [404] * 5 + [429]


@pytest.mark.parametrize("app_config", [{"VOTING_CODE_RATE_LIMIT": "3 per minute", "MAIL_SEND_AFTER_REQUEST": False,
                                         "MAIL_RETRY_INTERVAL": -1}])
def test_an_outage_does_not_count_as_guessing_ticket_codes(app, world, persona, monkeypatch):
    """A hall behind one address: while the database is away the ticket links answer 503, and
    those answers must not use up the hall's allowance for wrong codes."""
    import sqlalchemy as sa

    from app.voting import views_public

    def database_gone(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patch:
        patch.setattr(views_public, "find_ticket", database_gone)
        for _ in range(5):
            assert persona("anonymous").get(f"/events/{world.event_id}/vote/t/{world.a.code}").status_code == 503
    assert persona("anonymous").get(f"/events/{world.event_id}/vote/t/{world.a.code}").status_code == 302
    for _ in range(3):  # wrong codes still count
        assert persona("anonymous").get(f"/events/{world.event_id}/vote/t/WRONG123").status_code == 404
    assert persona("anonymous").get(f"/events/{world.event_id}/vote/t/{world.b.code}").status_code == 429


class PeerClient:
    """HTTP from a chosen loopback source address (127.0.0.2, ...), with cookies and any headers:
    a visitor who reaches nginx or the gunicorn port directly."""

    def __init__(self, source: str):
        self.source = source
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str]:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(self.source, 0))
        all_headers = {**(headers or {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.read().decode(errors="replace")
        finally:
            connection.close()

    def login_attempt(self, port: int, forwarded_for: str) -> int:
        spoof = {"X-Forwarded-For": forwarded_for}
        status, page = self.request(port, "GET", "/login", headers=spoof)
        assert status == 200, (status, page[:300])
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, "email": "a@example.org", "password": "wrong pw!"})
        return self.request(port, "POST", "/login", body=body, headers=spoof)[0]


@pytest.mark.skipif(not nginx_available(), reason="nginx is not installed (scripts/install-test-deps.sh)")
def test_forwarded_for_counts_only_from_the_trusted_proxy(empty_database_url):
    """The production stack (nginx → gunicorn, TRUSTED_PROXIES = nginx's address): a visitor who
    invents a new X-Forwarded-For for every attempt, through nginx or straight at the gunicorn
    port, is still limited by their own address; through nginx, other visitors keep theirs."""
    limit = 3
    with ProductionStack(empty_database_url, env={"IDEENMARKT_LOGIN_RATE_LIMIT": f"{limit} per minute"}) as stack:
        attacker = PeerClient("127.0.0.2")
        direct = [attacker.login_attempt(stack.app_port, f"198.51.100.{n}") for n in range(limit + 2)]
        via_nginx = [attacker.login_attempt(stack.port, f"198.51.100.{n}") for n in range(100, 103)]
        neighbour = PeerClient("127.0.0.3").login_attempt(stack.port, "198.51.100.1")
    assert direct == [200] * limit + [429, 429], direct
    assert via_nginx == [429] * 3, via_nginx
    assert neighbour == 200


@pytest.mark.parametrize("app_config", [{"APPLY_RATE_LIMIT": "2 per minute", **QUIET_MAIL}])
def test_an_outage_does_not_count_towards_the_application_limit(app, world, monkeypatch):
    """Charged before the form is handled, an application answered with 503 (the database away)
    is given back: the resident can apply when it is back."""
    import sqlalchemy as sa

    from app.events import application_services

    resident = app.test_client()
    path = f"/events/{world.other_event_id}/apply"
    fields = {"name": "Resident", "consent": "y", **_criteria_fields(resident.get(path).get_data(as_text=True))}

    def database_gone(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patch:
        patch.setattr(application_services, "submit_application", database_gone)
        for n in range(3):
            assert resident.submit(path, {**fields, "email": f"gone{n}@world.example"}).status_code == 503
    statuses = [resident.submit(path, {**fields, "email": f"back{n}@world.example"}).status_code for n in range(3)]
    assert statuses == [302, 302, 429], statuses
