"""Live staff pages and the public results, in development (`make run`: no nginx, the app's own
streams; the same pages through nginx+nchan: tests/deploy/test_live_nchan.py).

- The capture list: another moderator's entry at the same stand appears; its status says "live"
  in words, in a polite live region; when its stream cannot be opened it says it falls back and
  still shows what was saved meanwhile (from the stand's feed).
- The check-in counter at the door: a check-in at another door counts at once.
- The public voting results on a phone: the pending page turns into the results when voting
  closes; board counts entered during the count update the row and the sums, sorted by total.
- The public outcome page of an event (/events/<id>/results) on a phone, while its results are
  being published: a late board count and a hidden idea change its ranking and key figures
  without a reload; when its stream cannot be opened it polls and says so.

One app, one live server and the session's browser for the whole module.
"""
from __future__ import annotations

import pytest

from app.accounts import services as accounts
from app.extensions import db
from app.ideas import services as ideas
from app.ideas.models import Idea
from app.voting.board import set_board_count
from app.voting.checkin import check_in
from app.voting.state import close_voting
from tests.support import wait_until
from tests.support.browser import assert_page_fit
from tests.support.clients import DEFAULT_PASSWORD, PHONE
from tests.support.journeys import journey_app, serving
from tests.factories.voting import make_voting_event

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    app = journey_app(tmp_path_factory.mktemp("live-door"), smtp_server, _pg_schema,
                      IDEAS_STREAM_SECONDS=2.0, IDEAS_STREAM_POLL=0.1)
    with app.app_context():
        ev = make_voting_event(tickets=3, ideas_per_stand=2)
        moderator = accounts.create_user("tuer@example.org", "Toni Tür", DEFAULT_PASSWORD, ("moderator",))
        stand = ev.stands[0]
        stand.moderators.append(moderator)
        db.session.commit()
    with serving(app) as url:
        yield {"app": app, "url": url, "ev": ev}


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
        ideas.record_idea(ev.stands[0], "Von der Kollegin am Stand", said_by="Frau Ü.")
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
        ideas.record_idea(ev.stands[0], "Während der Störung erfasst", said_by="Herr Ä.")
        db.session.commit()
    item = page.locator("#recent li.idea-item", has_text="Während der Störung erfasst")
    item.wait_for(timeout=20_000)
    assert "Herr Ä." in item.inner_text()
    assert page.locator("#live-status").inner_text() == FALLBACK
    page.unroute("**/stands/*/stream*")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    live(page)
    with app.app_context():
        ideas.record_idea(ev.stands[0], "Nach der Störung erfasst")
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
        check_in(ev.event, ev.codes[1])
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
        close_voting(ev.event)
        db.session.commit()
    # Voting closed: the page shows the results by itself.
    page.locator('#results-live[data-state="closed"]').wait_for(timeout=20_000)
    live(page)
    last = ev.idea_ids[-1]
    row = page.locator(f'tr[data-idea-id="{last}"]')
    with app.app_context():
        set_board_count(db.session.get(Idea, last), 9)
        db.session.commit()
    wait_until(lambda: row.locator("td").nth(5).inner_text() == "9", message=lambda: row.inner_text())
    assert row.locator("td").nth(3).inner_text() == "9"
    assert page.locator("#sum-board").inner_text() == "9"
    # Most dots first.
    assert page.locator("#results-rows tr").first.get_attribute("data-idea-id") == str(last)
    # (A long German word in the heading, "Abstimmungsergebnisse", once made it scroll at 320 px.)
    assert_page_fit(page, "voting results on a phone, live")


@pytest.fixture(scope="module")
def published(world):
    """A second event whose results are published (voting closed)."""
    from app.events import services as events

    app = world["app"]
    with app.app_context():
        ev = make_voting_event(tickets=2, ideas_per_stand=2, open_voting=False, title="Werkstatt Ergebnisse")
        events.change_status(ev.event, "publish")
        db.session.commit()
    return ev


def figure(page, index: int) -> str:
    return " ".join(page.locator(".key-figures li").nth(index).inner_text().split())


def test_the_public_outcome_page_on_a_phone_follows_a_late_count(world, published, new_page):
    app, ev = world["app"], published
    page = new_page(device=PHONE)
    page.goto(f"{world['url']}/events/{ev.event_id}/results")
    live(page)
    assert page.locator("#live-status").get_attribute("aria-live") == "polite"
    assert figure(page, 2) == "0 Punkte"
    last = ev.idea_ids[-1]
    with app.app_context():
        text = db.session.get(Idea, last).text
        set_board_count(db.session.get(Idea, last), 7)
        db.session.commit()
    # The ranking: the idea counted late is first now, with its board dots; the key figures too.
    first = page.locator(".ideas-table tbody tr").first
    wait_until(lambda: text in first.inner_text(), message=lambda: first.inner_text())
    assert first.locator("td").nth(4).inner_text() == "7"
    wait_until(lambda: figure(page, 2) == "7 Punkte", message=lambda: figure(page, 2))
    # Hidden after publishing: it leaves the ranking, the number of ideas goes down; a keyboard
    # user's focus on the ranking's table stays there.
    page.locator('[data-live-section="ranking"] .table-wrap').focus()
    with app.app_context():
        ideas.hide_idea(db.session.get(Idea, last), "Doppelt erfasst", user=None)
        db.session.commit()
    wait_until(lambda: figure(page, 1) == "3 Ideen", message=lambda: figure(page, 1))
    assert text not in page.locator(".ideas-table").inner_text()
    assert page.evaluate("document.activeElement.closest('[data-live-section]').dataset.liveSection") == "ranking"
    assert page.locator("#live-status").inner_text() == "live"
    assert_page_fit(page, "public outcome page on a phone, live")


def test_the_public_outcome_page_falls_back_to_polling_and_says_so(world, published, new_page):
    app, ev = world["app"], published
    page = new_page(device=PHONE)
    page.route("**/results/stream*", lambda route: route.fulfill(status=503, body=""))
    page.goto(f"{world['url']}/events/{ev.event_id}/results?stand={ev.stand_ids[0]}")
    live(page, text=FALLBACK)
    with app.app_context():
        set_board_count(ev.ideas[0], 11)
        db.session.commit()
    first = page.locator(".ideas-table tbody tr").first
    wait_until(lambda: first.locator("td").nth(4).inner_text() == "11", timeout=20,
               message=lambda: first.inner_text())
    assert page.locator("#live-status").inner_text() == FALLBACK
