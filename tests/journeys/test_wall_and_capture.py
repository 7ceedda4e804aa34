"""A moderator at a tablet and the projector wall, as they are used at a market stand.

- The capture page on a 1024×768 tablet shows the form and the latest entries without scrolling.
- A wall reconnects every stream period by design; the status must stay "live" through those
  planned reconnects (it showed "verbinde …" for 1.5 s each time).
- A wall fits only so many ideas: projector mode pages through all of them, whole rows at a time,
  can be paused and paged with the keyboard, and comes back to the first page for a new idea.

One app, one live server and the session's browser for the whole module.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import create_app
from app.accounts import services as accounts
from app.core.models import utcnow
from app.events.models import Event, Process
from app.extensions import db
from app.ideas import services as ideas
from app.ideas.models import Stand
from config import TestingConfig
from tests.support.clients import DEFAULT_PASSWORD, IsolatedClient
from tests.support.databases import ON_POSTGRES, empty_all_tables
from tests.support import wait_until
from tests.support.browser import assert_page_fit
from tests.support.servers import LiveServer

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
IDEAS = 30


@pytest.fixture(scope="module")
def world(tmp_path_factory, _pg_schema):
    tmp = tmp_path_factory.mktemp("wall")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=_pg_schema or f"sqlite:///{tmp / 'db.sqlite'}",
                     INSTANCE_PATH=str(tmp / "instance"), IDEAS_STREAM_SECONDS=1.0, IDEAS_STREAM_POLL=0.1,
                     IDEAS_WALL_PAGE_SECONDS=1.0)
    app.test_client_class = IsolatedClient
    with app.app_context():
        empty_all_tables() if ON_POSTGRES else db.create_all()
        moderator = accounts.create_user("moderation@example.org", "Mona Moderatorin", DEFAULT_PASSWORD,
                                         ("moderator",))
        now = utcnow()
        event = Event(process=Process(title="Esslingen 4.0"), title="Zukunftswerkstatt", status="open", seats=15,
                      place="Altes Rathaus", starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=4))
        stand = Stand(event=event, title="Bürgerportal")
        stand.moderators = [moderator]
        db.session.add(stand)
        db.session.commit()
        stand_id = stand.id
        with app.test_request_context():
            stand = db.session.get(Stand, stand_id)
            for n in range(1, IDEAS + 1):
                ideas.record_idea(stand, f"Idee Nummer {n}: Termine beim Bürgeramt im Netz buchen #bürgeramt")
            token = ideas.wall_link(stand.event).token
            db.session.commit()
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    yield {"app": app, "url": server.url, "stand_id": stand_id, "token": token}
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def page_with(new_page):
    return lambda device, locale="de-DE": new_page(locale=locale, device=device)


def test_capture_on_a_tablet_shows_the_latest_entries_without_scrolling(world, page_with):
    page = page_with(TABLET)
    page.goto(f"{world['url']}/login")
    page.fill("#email", "moderation@example.org")
    page.fill("#password", DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{world['url']}/stands/{world['stand_id']}/capture")
    heading = page.get_by_role("heading", name="Neueste Einträge").bounding_box()
    first = page.locator("#recent li").first.bounding_box()
    assert heading["y"] + heading["height"] <= 768
    assert first["y"] + 40 <= 768
    assert page.locator("#text").bounding_box()["y"] < 768
    assert_page_fit(page, "capture page on a tablet")


def test_planned_reconnects_keep_the_wall_live(world, page_with):
    page = page_with(PROJECTOR)
    streams = []
    page.on("request", lambda request: streams.append(request.url) if "/stream" in request.url else None)
    page.goto(f"{world['url']}/wall/{world['token']}")
    page.wait_for_selector("#wall-status:not(.offline)")
    page.evaluate("""() => {
        window.__offline = 0;
        const status = document.getElementById('wall-status');
        new MutationObserver(() => { if (status.classList.contains('offline')) window.__offline++; })
            .observe(status, {attributes: true, childList: true});
    }""")
    before = len(streams)
    # page.evaluate lets Playwright deliver the request events to the listener above.
    wait_until(lambda: page.evaluate("1") and len(streams) >= before + 3, timeout=30,
               message="the wall did not reconnect")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__offline") == 0
    assert page.locator("#wall-status").inner_text() == "live"


def _visible_ids(page) -> list[str]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#wall-ideas > li'))
        .filter(li => !li.hidden).map(li => li.dataset.id)""")


def test_projector_mode_pages_through_every_idea(world, page_with):
    page = page_with(PROJECTOR)
    page.goto(f"{world['url']}/wall/{world['token']}")
    page.get_by_role("link", name="Projektormodus: alle Ideen durchblättern").click()
    page.wait_for_selector("#wall-status:not(.offline)")
    page.get_by_role("button", name="Blättern anhalten").click()
    pause = page.locator("#wall-pause")
    assert pause.get_attribute("aria-pressed") == "true"
    assert pause.inner_text() == "Blättern fortsetzen"
    # Under load the pager may have turned a page before the pause took effect: start from where it is.
    label = page.locator("#wall-page").inner_text().split()
    first, total = int(label[1]), int(label[-1])
    assert total >= 2
    seen: list[str] = []
    for step in range(total):
        n = (first - 1 + step) % total + 1
        assert page.locator("#wall-page").inner_text() == f"Seite {n} von {total}"
        ids = _visible_ids(page)
        assert ids
        bottoms = page.evaluate("""() => Array.from(document.querySelectorAll('#wall-ideas > li'))
            .filter(li => !li.hidden).map(li => li.getBoundingClientRect().bottom)""")
        assert max(bottoms) <= 720
        seen += ids
        page.keyboard.press("ArrowRight")
    assert sorted(seen, key=int) == sorted(set(seen), key=int) and len(seen) == IDEAS
    assert page.locator("#wall-page").inner_text() == f"Seite {first} von {total}"
    assert_page_fit(page, "wall in projector mode")

    # Resumed, it pages by itself (one second per page in this app).
    page.get_by_role("button", name="Blättern fortsetzen").click()
    page.wait_for_function("() => document.getElementById('wall-page').textContent.startsWith('Seite 2 ')")

    # A new idea: back to the first page, where it is shown.
    with world["app"].test_request_context():
        stand = db.session.get(Stand, world["stand_id"])
        idea, _ = ideas.record_idea(stand, "Ganz neue Idee für die Wand")
        db.session.commit()
        new_id = str(idea.id)
    page.get_by_role("button", name="Blättern anhalten").click()
    page.wait_for_function(
        "id => !!document.querySelector(`#wall-ideas > li[data-id='${id}']:not([hidden])`)", arg=new_id)
    assert page.locator("#wall-page").inner_text().startswith("Seite 1 ")


def test_projector_mode_in_english(world, page_with):
    page = page_with(PROJECTOR, locale="en-GB")
    page.context.add_cookies([{"name": "ideenmarkt_lang", "value": "en", "url": world["url"]}])
    page.goto(f"{world['url']}/wall/{world['token']}?projector=1")
    page.wait_for_selector("#wall-status:not(.offline)")
    assert page.locator("#wall-page").inner_text().startswith("Page 1 of ")
    assert page.get_by_role("button", name="Pause paging").is_visible()
    assert page.get_by_role("link", name="End projector mode").is_visible()
