"""An admin on the lottery page, by keyboard only, in German (issue 16 item 7): the reason for a
re-draw is too short; the page comes back with the reason as typed, the title starts with
"Fehler:", the focus is on the error summary, whose link leads to the field that names the
message; corrected, the draw is set aside.

One app, one live server and one browser (the session's) for the module.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.core.models import utcnow
from app.events.application_services import hash_token
from app.events.models import Application, Event, Process
from app.extensions import db
from app.lottery.commitment import publish_commitment
from app.lottery.models import LotteryDraw
from tests.support.browser import assert_no_axe_violations
from tests.support.clients import DEFAULT_PASSWORD
from tests.support.journeys import journey_app, logged_in_page, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    """A closed event with four applicants and a published commitment, and an admin."""
    app = journey_app(tmp_path_factory.mktemp("lottery-forms"), smtp_server, _pg_schema)
    with app.app_context():
        now = utcnow()
        event = Event(process=Process(title="Esslingen 4.0"), title="Zukunftswerkstatt Esslingen", status="closed",
                      seats=2, starts_at=now + timedelta(days=10), applications_open_at=now - timedelta(days=20),
                      applications_close_at=now - timedelta(days=1))
        db.session.add(event)
        db.session.flush()
        for n in range(4):
            db.session.add(Application(event_id=event.id, name=f"Person {n}", email=f"p{n}@example.org",
                                       status="applied", token_hash=hash_token(f"forms-journey-{n}-" + "x" * 40),
                                       consent_at=now, confirmed_at=now, language="de"))
        db.session.flush()
        publish_commitment(event, None, "public", "Drei Würfel im Bürgersaal")
        accounts.create_user("admin@stadt.example", "Anna Admin", DEFAULT_PASSWORD, ["admin"])
        db.session.commit()
        event_id = event.id
    with serving(app) as url:
        yield {"app": app, "url": url, "event": event_id}


def _states(app) -> list[str]:
    with app.app_context():
        return db.session.execute(sa.select(LotteryDraw.state)).scalars().all()


def test_a_short_reason_comes_back_at_its_field_and_is_corrected_by_keyboard(world, browser):
    context, page = logged_in_page(browser, world["url"], "admin@stadt.example", DEFAULT_PASSWORD)
    try:
        page.goto(f"{world['url']}/manage/events/{world['event']}/lottery")
        title = page.title()
        page.locator("#reason").focus()
        page.keyboard.type("Zu kurz")
        page.keyboard.press("Tab")  # to the button
        assert page.evaluate("() => document.activeElement.textContent.trim()") == "Diese Auslosung außer Kraft setzen"
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.title.startsWith('Fehler: ')")
        assert page.title() == f"Fehler: {title}"
        assert page.evaluate("() => document.activeElement.id") == "error-summary"
        assert page.locator("#reason").input_value() == "Zu kurz"
        assert "reason-error" in page.locator("#reason").get_attribute("aria-describedby").split()
        assert "mindestens 10 Zeichen" in page.locator("#reason-error").inner_text()
        assert _states(world["app"]) == ["committed"]
        assert_no_axe_violations(page, "lottery page with a refused re-draw")

        # The summary's link leads to the field; the person corrects the reason there.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#reason"
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.activeElement.id === 'reason'")
        page.keyboard.press("End")
        page.keyboard.type(": die Liste der Bewerbungen war unvollständig.")
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        # (The page's script reloads it as soon as the new pool's preview is ready, so the success
        # message may be gone already: the draw's state tells.)
        assert _states(world["app"]) == ["superseded"]
    finally:
        context.close()
