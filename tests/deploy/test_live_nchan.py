"""Live walls held by nginx (nchan) on the production stack: one stack per module (nginx with
nchan → gunicorn → the database, Redis). The app authorises each new subscription once and
publishes each change after its commit; a wall that missed messages catches up from the
``idea_change`` feed. Also issue 14 item 2: hundreds of open walls do not stall the site."""
from __future__ import annotations

import json
import secrets
import select
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.core.deploy import nginx_config
from app.extensions import db
from config import TestingConfig
from tests.support.databases import ON_POSTGRES, PG_URL, drop_database
from tests.support import wait_until
from tests.support.browser import assert_page_fit
from tests.support.prodstack import ProductionStack, nginx_available
from tests.support.servers import RedisServer, free_port

NCHAN = "/usr/lib/nginx/modules/ngx_nchan_module.so"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is not installed (scripts/install-test-deps.sh)"),
    pytest.mark.skipif(not __import__("os").path.exists(NCHAN), reason="libnginx-mod-nchan is not installed"),
    pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed"),
]

#: Messages nchan keeps per channel in this module: small, so a test can outrun the buffer.
BUFFER = 3


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite'}"
        return
    name = f"live_{secrets.token_hex(6)}"
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    drop_database(engine, name)
    engine.dispose()


@pytest.fixture(scope="module")
def stack(database_url):
    with RedisServer() as redis, ProductionStack(
            database_url, redis_url=redis.url, workers=2, threads=4,
            env={"IDEENMARKT_LIVE_BUFFER_LENGTH": str(BUFFER), "IDEENMARKT_LIVE_CATCH_UP_SECONDS": "2"}) as running:
        running.redis = redis
        yield running


@pytest.fixture(scope="module")
def data(stack):
    """An app on the stack's database that publishes to the stack's nginx, like a worker does."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=stack.env["DATABASE_URL"],
                     INSTANCE_PATH=str(stack.instance), MAIL_SEND_AFTER_REQUEST=False,
                     LIVE_PUBLISH_URL=f"http://127.0.0.1:{stack.publish_port}/_live/publish")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def world(data):
    from app.events import services as events
    from app.events.services import EventData
    from app.ideas import services as ideas

    start = datetime(2031, 5, 1, 18, 0)
    with data.app_context():
        process = events.create_process("Esslingen live", "", "Bürgerschaft")
        found = {}
        for key in ("a", "b"):
            event = events.create_event(process, EventData(
                title=f"Live {key}", place="Rathaus", seats=15, starts_at=start, ends_at=start + timedelta(hours=3),
                applications_open_at=start - timedelta(days=20), applications_close_at=start - timedelta(days=5)))
            db.session.flush()
            stands = [ideas.save_stand(event, None, title=f"Stand {key}{n}") for n in (1, 2)]
            found[key] = {"event_id": event.id, "stand_ids": [s.id for s in stands],
                          "token": ideas.wall_link(event).token}
        db.session.commit()
    return found


def record(data, stand_id: int, text: str) -> int:
    from app.ideas import services as ideas
    from app.ideas.models import Stand

    with data.app_context():
        idea, _ = ideas.record_idea(db.session.get(Stand, stand_id), text)
        db.session.commit()
        return idea.id


class Subscriber:
    """One EventSource-like subscription on a raw socket (so hundreds are cheap)."""

    def __init__(self, port: int, path: str, last_event_id: str | None = None, cookie: str | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if last_event_id:
            headers += f"Last-Event-ID: {last_event_id}\r\n"
        if cookie:
            headers += f"Cookie: {cookie}\r\n"
        self.sock.sendall((headers + "\r\n").encode())
        self.buffer = b""
        self.status: int | None = None

    def read_status(self) -> int:
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed before the headers: {self.buffer!r}")
            self.buffer += chunk
        self.status = int(self.buffer.split(b" ", 2)[1])
        return self.status

    def poll(self, timeout: float = 0.0) -> bool:
        """Read what arrived; False once the server closed the stream."""
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            return False
        self.buffer += chunk
        return bool(chunk)

    def events(self) -> list[dict]:
        """The SSE events so far: {"id": ..., "event": ..., "data": parsed JSON}."""
        body = self.buffer.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
        found = []
        for block in body.replace("\r\n", "\n").split("\n\n"):
            fields = {}
            for line in block.split("\n"):
                if line.startswith(("id:", "event:", "data:")):
                    key, _, value = line.partition(":")
                    fields[key] = value.strip()
            if fields.get("data", "").startswith("{"):
                fields["data"] = json.loads(fields["data"])
                found.append(fields)
        return found

    def texts(self) -> list[str]:
        return [e["data"].get("text") for e in self.events()]

    def wait_for(self, text: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if event["data"].get("text") == text:
                    return event
            if not self.poll(0.1):
                break
        raise AssertionError(f"{text!r} did not arrive: {self.texts()}")

    def close(self) -> None:
        self.sock.close()


def subscribe(port: int, path: str, **kwargs) -> Subscriber:
    sub = Subscriber(port, path, **kwargs)
    assert sub.read_status() == 200, sub.buffer[:300]
    return sub


def get(url: str, timeout: float = 10):
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        return exc


def status_of(port: int, path: str) -> int:
    sub = Subscriber(port, path)
    try:
        return sub.read_status()
    finally:
        sub.close()


def changes(stack, token: str, after: int, stand_id: int | None = None) -> dict:
    query = f"?after={after}" + (f"&stand={stand_id}" if stand_id else "")
    return json.load(get(f"{stack.url}/wall/{token}/changes{query}"))


# ------------------------------------------------------------------------------------------------


def test_only_the_right_secret_subscribes_and_the_app_is_asked_from_nginx_only(stack, world):
    a, b = world["a"], world["b"]
    assert status_of(stack.port, f"/live/wall/{a['event_id']}/{a['token']}") == 200
    assert status_of(stack.port, f"/live/stand/{a['stand_ids'][0]}/{a['token']}") == 200
    assert status_of(stack.port, f"/live/wall/{a['event_id']}/wrong-{a['token'][:10]}") == 403
    # Another event's secret, another event's stand.
    assert status_of(stack.port, f"/live/wall/{a['event_id']}/{b['token']}") == 403
    assert status_of(stack.port, f"/live/stand/{b['stand_ids'][0]}/{a['token']}") == 403
    # The authorisation endpoint and the publisher are not reachable from outside.
    assert get(f"{stack.url}/live/authorize/wall/{a['event_id']}/{a['token']}").status == 404
    request = urllib.request.Request(f"{stack.url}/_live/publish/wall/{a['event_id']}", data=b"{}", method="POST")
    assert get(request).status in (403, 404)
    # The wall page tells the client where to subscribe.
    page = get(f"{stack.url}/wall/{a['token']}").read().decode()
    assert f'data-live-url="/live/wall/{a["event_id"]}/{a["token"]}"' in page
    assert a["token"] not in stack.log("nginx-access.log")


def test_a_new_idea_reaches_the_event_wall_and_the_stand_wall_once(stack, data, world):
    a = world["a"]
    wall = subscribe(stack.port, f"/live/wall/{a['event_id']}/{a['token']}")
    stand = subscribe(stack.port, f"/live/stand/{a['stand_ids'][0]}/{a['token']}")
    other = subscribe(stack.port, f"/live/stand/{a['stand_ids'][1]}/{a['token']}")
    idea_id = record(data, a["stand_ids"][0], "Mehr Bänke im Park #live")
    event = wall.wait_for("Mehr Bänke im Park")
    assert event["event"] == "idea" and event["data"]["id"] == idea_id and event["data"]["tags"] == ["live"]
    assert event["data"]["change_id"] > 0 and "said_by" not in event["data"]
    assert stand.wait_for("Mehr Bänke im Park")["data"]["change_id"] == event["data"]["change_id"]
    record(data, a["stand_ids"][1], "Radweg an der Neckarstraße")
    other.wait_for("Radweg an der Neckarstraße")
    wall.wait_for("Radweg an der Neckarstraße")
    stand.poll(0.2)
    assert stand.texts() == ["Mehr Bänke im Park"] and wall.texts().count("Mehr Bänke im Park") == 1
    for sub in (wall, stand, other):
        sub.close()


def test_reconnect_with_last_event_id_gets_what_was_missed(stack, data, world):
    a = world["a"]
    wall = subscribe(stack.port, f"/live/wall/{a['event_id']}/{a['token']}")
    record(data, a["stand_ids"][0], "Vor der Pause")
    seen = wall.wait_for("Vor der Pause")
    wall.close()
    record(data, a["stand_ids"][0], "Während der Pause 1")
    record(data, a["stand_ids"][1], "Während der Pause 2")
    again = subscribe(stack.port, f"/live/wall/{a['event_id']}/{a['token']}", last_event_id=seen["id"])
    again.wait_for("Während der Pause 2")
    assert again.texts()[:2] == ["Während der Pause 1", "Während der Pause 2"]
    again.close()


def test_after_the_buffer_expired_the_feed_holds_every_missed_idea(stack, data, world):
    a = world["a"]
    wall = subscribe(stack.port, f"/live/wall/{a['event_id']}/{a['token']}")
    record(data, a["stand_ids"][0], "Letzte gesehene Idee")
    seen = wall.wait_for("Letzte gesehene Idee")
    wall.close()
    missed = [f"Verpasst {n}" for n in range(BUFFER + 3)]
    for n, text in enumerate(missed):
        record(data, a["stand_ids"][n % 2], text)
    again = subscribe(stack.port, f"/live/wall/{a['event_id']}/{a['token']}", last_event_id=seen["id"])
    again.wait_for(missed[-1])
    # nchan no longer holds the first ones ...
    assert missed[0] not in again.texts()
    again.close()
    # ... the feed does (the client asks it on every (re)connect, after the change it saw last).
    caught = changes(stack, a["token"], seen["data"]["change_id"])
    assert [c["idea"]["text"] for c in caught["changes"]] == missed and not caught["more"]
    assert caught["last"] == caught["changes"][-1]["change_id"]
    stand_only = changes(stack, a["token"], seen["data"]["change_id"], a["stand_ids"][1])
    assert [c["idea"]["text"] for c in stand_only["changes"]] == missed[1::2]


def test_a_second_nginx_sharing_redis_sees_the_same_messages(stack, data, world):
    """Two machines: nginx B (its own workers, same Redis) gets what the app published to nginx A."""
    a = world["a"]
    run_dir = stack.run_dir / "nginx-b"
    (run_dir / "nginx-tmp").mkdir(parents=True)
    port, publish_port = free_port(), free_port()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=stack.env["DATABASE_URL"],
                     INSTANCE_PATH=str(stack.instance), REDIS_URL=stack.redis.url)
    config = nginx_config(app, listen=f"127.0.0.1:{port}", upstream=f"127.0.0.1:{stack.app_port}",
                          static_root=stack.run_dir / "static", run_dir=run_dir,
                          live_publish_listen=f"127.0.0.1:{publish_port}")
    (run_dir / "nginx.conf").write_text(config)
    nginx = ["nginx", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf")]
    subprocess.run(nginx, check=True, capture_output=True)
    try:
        # Started once it subscribes (its workers connect to Redis after nginx answers pages).
        wait_until(lambda: status_of(port, f"/live/wall/{a['event_id']}/{a['token']}") == 200, ignore=(OSError,),
                   message="nginx B did not start")
        on_b = subscribe(port, f"/live/wall/{a['event_id']}/{a['token']}")
        on_a = subscribe(stack.port, f"/live/wall/{a['event_id']}/{a['token']}")
        record(data, a["stand_ids"][1], "Über zwei Maschinen")
        assert on_b.wait_for("Über zwei Maschinen")["data"] == on_a.wait_for("Über zwei Maschinen")["data"]
        assert status_of(port, f"/live/wall/{a['event_id']}/not-the-secret") == 403
        on_a.close()
        on_b.close()
    finally:
        subprocess.run([*nginx, "-s", "quit"], check=False, capture_output=True)


def test_replacing_the_wall_link_ends_the_old_subscriptions(stack, data, world):
    from app.events.models import Event
    from app.ideas import live
    from app.ideas import services as ideas

    b = world["b"]
    wall = subscribe(stack.port, f"/live/wall/{b['event_id']}/{b['token']}")
    stand = subscribe(stack.port, f"/live/stand/{b['stand_ids'][0]}/{b['token']}")
    with data.app_context():
        new_token = ideas.wall_link(db.session.get(Event, b["event_id"]), renew=True).token
        db.session.commit()
        assert live.close_channels(b["event_id"], b["stand_ids"])
    for sub in (wall, stand):
        wait_until(lambda: not sub.poll(0.1), message="the old subscription stayed open")
    assert status_of(stack.port, f"/live/wall/{b['event_id']}/{b['token']}") == 403
    assert status_of(stack.port, f"/live/stand/{b['stand_ids'][0]}/{b['token']}") == 403
    fresh = subscribe(stack.port, f"/live/wall/{b['event_id']}/{new_token}")
    record(data, b["stand_ids"][0], "Nach dem neuen Link")
    fresh.wait_for("Nach dem neuen Link")
    fresh.close()
    world["b"]["token"] = new_token


def test_the_capture_list_gets_another_moderators_entry_with_said_by(stack, data, world):
    """The moderators' channel of a stand: authorised by the staff session (nchan passes the
    cookie to the app), a moderator of another stand is refused, entries carry "said by"."""
    import re
    from http.cookiejar import CookieJar

    from app.accounts import services as accounts
    from app.ideas import services as ideas
    from app.ideas.models import Stand

    a = world["a"]
    password = "Kaffee und Kuchen am Flussufer 19"
    with data.app_context():
        here = accounts.create_user("hier@live.example", "Moderatorin Hier", password, ("moderator",))
        there = accounts.create_user("dort@live.example", "Moderator Dort", password, ("moderator",))
        first, second = db.session.get(Stand, a["stand_ids"][0]), db.session.get(Stand, a["stand_ids"][1])
        first.moderators.append(here)
        second.moderators.append(there)
        db.session.commit()

    def cookie_of(email: str) -> str:
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(stack.url + "/login", timeout=10).read().decode()
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        opener.open(urllib.request.Request(stack.url + "/login", data=urllib.parse.urlencode(
            {"csrf_token": csrf, "email": email, "password": password}).encode()), timeout=10)
        if email.startswith("hier"):
            capture = opener.open(f"{stack.url}/stands/{a['stand_ids'][0]}/capture", timeout=10).read().decode()
            assert f'data-live-url="/live/capture/{a["stand_ids"][0]}"' in capture
        return "; ".join(f"{c.name}={c.value}" for c in jar)

    path = f"/live/capture/{a['stand_ids'][0]}"
    assert status_of(stack.port, path) == 403  # no session
    other = Subscriber(stack.port, path, cookie=cookie_of("dort@live.example"))
    assert other.read_status() == 403
    other.close()
    mine = Subscriber(stack.port, path, cookie=cookie_of("hier@live.example"))
    assert mine.read_status() == 200
    with data.app_context():
        ideas.record_idea(db.session.get(Stand, a["stand_ids"][0]), "Am selben Stand erfasst", said_by="Herr P.")
        db.session.commit()
    event = mine.wait_for("Am selben Stand erfasst")
    # The one message per change carries no personal data; the page reads "said by" from the
    # stand's feed with its session (the capture list's catch-up too).
    assert "said_by" not in event["data"]
    mine.close()
    request = urllib.request.Request(f"{stack.url}/stands/{a['stand_ids'][0]}/changes.json?after="
                                     f"{event['data']['change_id'] - 1}", headers={"Cookie": cookie_of("hier@live.example")})
    staff = json.load(urllib.request.urlopen(request, timeout=10))
    assert staff["changes"][-1]["idea"]["said_by"] == "Herr P." and staff["changes"][-1]["idea"]["client_id"]


@pytest.mark.browser
def test_another_moderators_entry_appears_in_the_capture_list(stack, data, world, new_page):
    from app.ideas import services as ideas
    from app.ideas.models import Stand

    a = world["a"]
    page = new_page()
    page.goto(f"{stack.url}/login")
    page.fill("#email", "hier@live.example")  # made by the test above
    page.fill("#password", "Kaffee und Kuchen am Flussufer 19")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{stack.url}/stands/{a['stand_ids'][0]}/capture")
    # Subscribed (nchan sends only what comes after the subscription).
    status = page.locator("#live-status")
    wait_until(lambda: status.inner_text() == "live", message=lambda: status.inner_text())
    with data.app_context():
        ideas.record_idea(db.session.get(Stand, a["stand_ids"][0]), "Vom Kollegen erfasst", said_by="Frau Ö.")
        db.session.commit()
    item = page.locator("#recent li.idea-item", has_text="Vom Kollegen erfasst")
    item.wait_for()
    assert "Frau Ö." in item.inner_text()
    assert page.locator("#recent li.idea-item").first.inner_text().startswith("Vom Kollegen erfasst")


def test_300_open_walls_do_not_stall_pages_or_healthz(stack, data, world):
    """Issue 14 item 2: 300 open wall streams once pushed the median page to 32 s and made
    /healthz fail (each stream held a gunicorn thread). nginx holds them now: every page is
    answered within the normal timeout while all 300 stay open and still receive ideas."""
    a = world["a"]
    pages = ["/healthz", "/", f"/wall/{a['token']}", "/processes", "/login"]
    for path in pages:  # warm up, and what "normal" is on this machine right now
        assert get(stack.url + path).status == 200, path
    streams = []
    try:
        for n in range(300):
            kind, channel = ("wall", a["event_id"]) if n % 3 == 0 else ("stand", a["stand_ids"][n % 2])
            streams.append(Subscriber(stack.port, f"/live/{kind}/{channel}/{a['token']}"))
        assert all(s.read_status() == 200 for s in streams)
        # All 300 open: pages and /healthz are answered within the normal timeout (before the
        # streams end: nchan holds them without a time limit), several times over.
        for _ in range(3):
            for path in pages:
                response = get(stack.url + path, timeout=10)
                assert response.status == 200, path
        assert json.load(get(stack.url + "/healthz"))["status"] == "ok"
        # ... and the streams are all still open and live.
        record(data, a["stand_ids"][0], "Dreihundert Wände")
        waiting = [s for n, s in enumerate(streams) if n % 3 == 0 or n % 2 == 0]
        deadline = time.monotonic() + 20
        while waiting and time.monotonic() < deadline:
            for sub in list(waiting):
                assert sub.poll(0), "a stream ended while 300 were open"
                if "Dreihundert Wände" in sub.texts():
                    waiting.remove(sub)
            time.sleep(0.05)
        assert not waiting, f"{len(waiting)} streams did not get the idea"
    finally:
        for sub in streams:
            sub.close()


def test_the_door_counter_and_the_results_are_published_once_through_nchan(stack, data, world):
    """The ``door`` channel is the staff's (a session that works at the event), ``results`` the
    public's; each change is one message with what changed."""
    from app.voting.board import set_board_count
    from app.voting.state import close_voting

    with data.app_context():
        from tests.factories.voting import make_voting_event

        ev = make_voting_event(tickets=2, ideas_per_stand=1, title="Live an der Tür")
    world["voting"] = ev
    assert status_of(stack.port, f"/live/door/{ev.event_id}") == 403  # no session
    results = subscribe(stack.port, f"/live/results/{ev.event_id}")  # public
    with data.app_context():
        close_voting(ev.event)
        db.session.commit()
        from app.core import live

        assert live.flush(data)
    closed = wait_until(lambda: [e for e in results.events() if e["event"] == "results"] if results.poll(0.1) else None,
                        message="no results message")
    assert closed[-1]["data"]["state"] == "closed"
    with data.app_context():

        set_board_count(ev.ideas[0], 4)
        db.session.commit()
        assert live.flush(data)

    def board_update():
        results.poll(0.1)
        found = [e["data"] for e in results.events() if e["event"] == "results" and e["data"].get("rows")
                 and not e["data"]["complete"]]
        return found or None

    update = wait_until(board_update, message="no board count update")[-1]
    assert [row["id"] for row in update["rows"]] == [ev.idea_ids[0]] and update["rows"][0]["board"] == 4
    results.close()


@pytest.mark.browser
def test_the_check_in_counter_and_the_public_results_live_through_nginx(stack, data, world, new_page):
    """Chromium through nginx: the check-in page and the results page (phone) subscribe to nchan,
    say "live", and follow a check-in at another door and a board count."""
    from app.accounts import services as accounts
    from app.voting.board import set_board_count
    from app.voting.checkin import check_in
    from tests.support.clients import PHONE

    ev = world["voting"]
    password = "Kaffee und Kuchen am Flussufer 19"
    with data.app_context():
        door = accounts.create_user("tuer@live.example", "Tür Dienst", password, ("moderator",))
        stand = ev.stands[0]
        stand.moderators.append(door)
        db.session.commit()
    page = new_page()
    page.goto(f"{stack.url}/login")
    page.fill("#email", "tuer@live.example")
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{stack.url}/manage/events/{ev.event_id}/checkin")
    assert page.locator("#attendance").get_attribute("data-live-url") == f"/live/door/{ev.event_id}"
    status = page.locator("#live-status")
    wait_until(lambda: status.inner_text() == "live", message=lambda: status.inner_text())
    with data.app_context():
        check_in(ev.event, ev.codes[0])
        db.session.commit()
    wait_until(lambda: page.locator("#checked-in").inner_text() == "1",
               message=lambda: page.locator("#attendance").inner_text())

    phone = new_page(device=PHONE)
    phone.goto(f"{stack.url}/events/{ev.event_id}/vote/results")
    assert phone.locator("#results-live").get_attribute("data-live-url") == f"/live/results/{ev.event_id}"
    phone_status = phone.locator("#live-status")
    wait_until(lambda: phone_status.inner_text() == "live", message=lambda: phone_status.inner_text())
    with data.app_context():
        set_board_count(ev.ideas[1], 6)
        db.session.commit()
    row = phone.locator(f'tr[data-idea-id="{ev.idea_ids[1]}"]')
    wait_until(lambda: row.locator("td").nth(5).inner_text() == "6", message=lambda: row.inner_text())
    assert phone.locator("#results-rows tr").first.get_attribute("data-idea-id") == str(ev.idea_ids[1])
    assert_page_fit(phone, "voting results through nginx on a phone")


@pytest.mark.browser
def test_the_public_outcome_page_lives_through_nginx_while_the_results_are_published(
        stack, data, world, new_page):
    """The outcome page of a published event (phone, German) subscribes to the event's public
    ``results`` channel at nginx; a late board count reaches it as the sections that changed."""
    from app.events import services as events
    from app.voting.board import set_board_count
    from tests.support.clients import PHONE

    ev = world["voting"]
    with data.app_context():
        events.change_status(ev.event, "publish")
        db.session.commit()
        text = ev.ideas[0].text
    phone = new_page(device=PHONE)
    phone.goto(f"{stack.url}/events/{ev.event_id}/results")
    assert phone.locator("#outcome-live").get_attribute("data-live-url") == f"/live/results/{ev.event_id}"
    status = phone.locator("#live-status")
    wait_until(lambda: status.inner_text() == "live", message=lambda: status.inner_text())
    raw = subscribe(stack.port, f"/live/results/{ev.event_id}")
    with data.app_context():
        set_board_count(ev.ideas[0], 12)
        db.session.commit()
    first = phone.locator(".ideas-table tbody tr").first
    wait_until(lambda: text in first.inner_text() and first.locator("td").nth(4).inner_text() == "12",
               message=lambda: first.inner_text())

    # Through nchan (the page's catch-up would have found a change the stream did not bring and
    # switched to polling; its messages are large, so only their event name is read here).
    wait_until(lambda: raw.poll(0.1) and b"event: outcome" in raw.buffer, message="no outcome message")
    raw.close()
    assert status.inner_text() == "live"
    assert_page_fit(phone, "outcome page through nginx on a phone")


@pytest.mark.browser
def test_the_wall_in_a_browser_falls_back_to_the_feed_when_redis_stops_and_rejoins_when_it_is_back(
        stack, data, world, new_page):
    """Last in this module: stops and restarts Redis. The wall page (Chromium, through nginx) gets ideas from
    nchan; when Redis stops, nchan can neither subscribe nor publish: a moderator's save is
    committed anyway (the publish failure is logged), the wall says it is in fallback mode and
    shows the idea from the feed it polls."""
    a = world["a"]
    page = new_page()
    page.goto(f"{stack.url}/wall/{a['token']}")
    status = page.locator("#wall-status")
    wait_until(lambda: status.inner_text() == "live", message=lambda: status.inner_text())
    assert_page_fit(page, "wall through nginx")
    summary = new_page()
    summary.goto(f"{stack.url}/wall/{a['token']}/summary")
    summary_status = summary.locator("#wall-status")
    wait_until(lambda: summary_status.inner_text() == "live", message=lambda: summary_status.inner_text())
    stand = summary.locator(f'section[data-stand-id="{a["stand_ids"][0]}"]')
    count = int(stand.locator(".summary-count").inner_text().split()[0])
    record(data, a["stand_ids"][0], "Über nchan an die Wand #Sitzbank")
    page.locator(".wall-text", has_text="Über nchan an die Wand").wait_for()
    # The plenary summary: the idea at the end of its stand's list, the count and the top tags.
    stand.locator(".summary-ideas li").last.filter(has_text="Über nchan an die Wand").wait_for()
    assert stand.locator(".summary-count").inner_text() == ("1 Idee" if count == 0 else f"{count + 1} Ideen")
    assert "#Sitzbank (1)" in stand.locator(".summary-tags").inner_text()
    assert_page_fit(summary, "plenary summary through nginx")

    # The moderators' view: the capture list of a moderator at the stand (made by a test above).
    capture = new_page()
    capture.goto(f"{stack.url}/login")
    capture.fill("#email", "hier@live.example")
    capture.fill("#password", "Kaffee und Kuchen am Flussufer 19")
    capture.keyboard.press("Enter")
    capture.wait_for_url(lambda url: "/login" not in url)
    capture.goto(f"{stack.url}/stands/{a['stand_ids'][0]}/capture")
    capture_status = capture.locator("#live-status")
    wait_until(lambda: capture_status.inner_text() == "live", message=lambda: capture_status.inner_text())

    stack.redis.stop()
    assert status_of(stack.port, f"/live/wall/{a['event_id']}/{a['token']}") >= 500
    idea_id = record(data, a["stand_ids"][1], "Trotz Ausfall gespeichert")
    with data.app_context():
        from app.ideas.models import Idea
        assert db.session.get(Idea, idea_id).text == "Trotz Ausfall gespeichert"
    page.locator(".wall-text", has_text="Trotz Ausfall gespeichert").wait_for(timeout=20_000)
    assert "Ersatzbetrieb" in status.inner_text()
    # The operator's view says so too, and has what was saved at its stand.
    record(data, a["stand_ids"][0], "Am Stand während des Ausfalls erfasst")
    capture.locator("#recent li.idea-item", has_text="Am Stand während des Ausfalls erfasst").wait_for(timeout=20_000)
    wait_until(lambda: "Ersatzbetrieb" in capture_status.inner_text(), timeout=30,
               message=lambda: capture_status.inner_text())
    assert get(stack.url + "/healthz").status == 200

    # Redis comes back (empty: nchan's buffers are gone): the wall rejoins nginx's stream by
    # itself (it tries every half minute) and says "live" again; what was saved while Redis was
    # down is on it (from the feed), and what is saved now comes through nchan.
    stack.redis.start()
    wait_until(lambda: status_of(stack.port, f"/live/wall/{a['event_id']}/{a['token']}") == 200, timeout=60,
               ignore=(OSError,), message="nchan did not reconnect to Redis")
    record(data, a["stand_ids"][1], "Gespeichert, als Redis zurückkam")
    wait_until(lambda: status.inner_text() == "live", timeout=90, message=lambda: status.inner_text())
    record(data, a["stand_ids"][0], "Wieder über nchan")
    for text in ("Trotz Ausfall gespeichert", "Gespeichert, als Redis zurückkam", "Wieder über nchan"):
        page.locator(".wall-text", has_text=text).wait_for(timeout=20_000)
    # A raw subscriber of the restarted channel gets new ideas through nchan and Redis.
    sub = subscribe(stack.port, f"/live/wall/{a['event_id']}/{a['token']}")
    record(data, a["stand_ids"][0], "Nach dem Neustart von Redis")
    sub.wait_for("Nach dem Neustart von Redis")
    sub.close()
