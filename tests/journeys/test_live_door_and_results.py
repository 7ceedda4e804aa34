"""Live staff pages and the public results, in development (`make run`: no nginx, the app's own
streams; the same pages through nginx+nchan: tests/deploy/test_live_nchan.py).

- The capture list: another moderator's entry at the same stand appears; its status says "live"
  in words, in a polite live region; when its stream cannot be opened it says it falls back and
  still shows what was saved meanwhile (from the stand's feed).
- The check-in counter at the door: a check-in at another door counts at once.
- The public voting results on a phone: the pending page turns into the results when voting
  closes; board counts entered during the count update the row and the sums, sorted by total.

One app, one live server and the session's browser for the whole module.
"""
from __future__ import annotations

import pytest

from app import create_app
from app.accounts import services as accounts
from app.events.models import Event
from app.extensions import db
from app.ideas import services as ideas
from app.ideas.models import Idea, Stand
from app.voting import services as voting
from config import TestingConfig
from tests.support.clients import DEFAULT_PASSWORD, PHONE, IsolatedClient
from tests.support.databases import ON_POSTGRES, empty_all_tables
from tests.support import wait_until
from tests.support.browser import assert_page_fit
from tests.support.servers import LiveServer
from tests.voting.conftest import make_voting_event

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}


@pytest.fixture(scope="module")
def world(tmp_path_factory, _pg_schema):
    tmp = tmp_path_factory.mktemp("live-door")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=_pg_schema or f"sqlite:///{tmp / 'db.sqlite'}",
                     INSTANCE_PATH=str(tmp / "instance"), IDEAS_STREAM_SECONDS=2.0, IDEAS_STREAM_POLL=0.1)
    app.test_client_class = IsolatedClient
    with app.app_context():
        empty_all_tables() if ON_POSTGRES else db.create_all()
        ev = make_voting_event(tickets=3, ideas_per_stand=2)
        moderator = accounts.create_user("tuer@example.org", "Toni Tür", DEFAULT_PASSWORD, ("moderator",))
        stand = db.session.get(Stand, ev.stand_ids[0])
        stand.moderators.append(moderator)
        db.session.commit()
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    yield {"app": app, "url": server.url, "ev": ev}
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def login(page, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", "tuer@example.org")
    page.fill("#password", DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "/login" not in u)


#: The status while the page polls instead of streaming (app/core/templates/core/macros.html).
FALLBACK = "live (Ersatzbetrieb: Abruf alle paar Sekunden)"


def live(page, selector: str = "#live-status", text: str = "live") -> None:
    status = page.locator(selector)
    wait_until(lambda: status.inner_text() == text, timeout=20, message=lambda: status.inner_text())


def test_the_capture_list_shows_another_moderators_entry_and_its_status(world, new_page):
    app, ev = world["app"], world["ev"]
    page = new_page(device=TABLET)
    login(page, world["url"])
    page.goto(f"{world['url']}/stands/{ev.stand_ids[0]}/capture")
    live(page)
    status = page.get_by_role("status").filter(has_text="live")
    assert status.get_attribute("aria-live") == "polite"
    with app.app_context():
        ideas.record_idea(db.session.get(Stand, ev.stand_ids[0]), "Von der Kollegin am Stand", said_by="Frau Ü.")
        db.session.commit()
    item = page.locator("#recent li.idea-item", has_text="Von der Kollegin am Stand")
    item.wait_for()
    assert "Frau Ü." in item.inner_text()
    assert_page_fit(page, "capture page, live")


def test_the_capture_list_falls_back_to_polling_when_its_stream_is_down_and_says_so(world, new_page):
    """Development has no nginx: when the app's own stream cannot be opened, the moderator's list
    polls its stand's feed, says so in words, and shows what is saved meanwhile; when the stream
    is back (the browser is online again), it is live again."""
    app, ev = world["app"], world["ev"]
    page = new_page(device=TABLET)
    login(page, world["url"])
    page.route("**/stands/*/stream*", lambda route: route.fulfill(status=503, body=""))
    page.goto(f"{world['url']}/stands/{ev.stand_ids[0]}/capture")
    live(page, text=FALLBACK)
    assert page.locator("#live-status").get_attribute("class") == "live-status fallback"
    with app.app_context():
        ideas.record_idea(db.session.get(Stand, ev.stand_ids[0]), "Während der Störung erfasst", said_by="Herr Ä.")
        db.session.commit()
    item = page.locator("#recent li.idea-item", has_text="Während der Störung erfasst")
    item.wait_for(timeout=20_000)
    assert "Herr Ä." in item.inner_text()
    assert page.locator("#live-status").inner_text() == FALLBACK
    page.unroute("**/stands/*/stream*")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    live(page)
    with app.app_context():
        ideas.record_idea(db.session.get(Stand, ev.stand_ids[0]), "Nach der Störung erfasst")
        db.session.commit()
    page.locator("#recent li.idea-item", has_text="Nach der Störung erfasst").wait_for(timeout=20_000)


def test_the_check_in_counter_counts_another_door(world, new_page):
    app, ev = world["app"], world["ev"]
    page = new_page(device=TABLET)
    login(page, world["url"])
    page.goto(f"{world['url']}/manage/events/{ev.event_id}/checkin")
    live(page)
    before = int(page.locator("#checked-in").inner_text())
    with app.app_context():
        voting.check_in(db.session.get(Event, ev.event_id), ev.codes[1])
        db.session.commit()
    wait_until(lambda: page.locator("#checked-in").inner_text() == str(before + 1),
               message=lambda: page.locator("#attendance").inner_text())
    assert page.locator("#confirmed").inner_text() == "3"
    assert_page_fit(page, "check-in, live")


def test_the_public_results_on_a_phone_follow_the_count(world, new_page):
    app, ev = world["app"], world["ev"]
    page = new_page(device=PHONE)
    page.goto(f"{world['url']}/events/{ev.event_id}/vote/results")
    live(page)
    assert page.locator("#results-live").get_attribute("data-state") == "open"
    with app.app_context():
        voting.close_voting(db.session.get(Event, ev.event_id))
        db.session.commit()
    # Voting closed: the page shows the results by itself.
    page.locator('#results-live[data-state="closed"]').wait_for(timeout=20_000)
    live(page)
    last = ev.idea_ids[-1]
    row = page.locator(f'tr[data-idea-id="{last}"]')
    with app.app_context():
        voting.set_board_count(db.session.get(Idea, last), 9)
        db.session.commit()
    wait_until(lambda: row.locator("td").nth(5).inner_text() == "9", message=lambda: row.inner_text())
    assert row.locator("td").nth(3).inner_text() == "9"
    assert page.locator("#sum-board").inner_text() == "9"
    # Most dots first.
    assert page.locator("#results-rows tr").first.get_attribute("data-idea-id") == str(last)
    # (A long German word in the heading, "Abstimmungsergebnisse", once made it scroll at 320 px.)
    assert_page_fit(page, "voting results on a phone, live")
