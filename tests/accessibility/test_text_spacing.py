"""WCAG 1.4.12 text spacing on the pages with cards (issue 16 item 3): with line height 1.5, letter
spacing 0.12 and word spacing 0.16 times the font size, a card's long German words, time ranges and
places wrap inside the card instead of running over its edge into the next one (the process page's
event cards did), at 1280 px and at 320 px. One app, one live server and one browser for the module."""
from __future__ import annotations

from datetime import datetime

import pytest

from app.events.models import Event, Process
from app.extensions import db
from tests.support.browser import apply_text_spacing, content_outside_cards
from tests.support.journeys import journey_app, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory, smtp_server, _pg_schema):
    app = journey_app(tmp_path_factory.mktemp("spacing"), smtp_server, _pg_schema)
    with app.app_context():
        process = Process(title="Esslingen 4.0", description="Die Digitalisierungsstrategie.")
        for day, group in ((10, "Jugendgemeinderat"), (8, "Hochschule"), (1, "Bürgerinnen und Bürger")):
            db.session.add(Event(process=process, title=f"Workshop mit dem {group}", status="published",
                                 seats=15, place="Altes Rathaus, Bürgersaal, Rathausplatz 1, 73728 Esslingen am Neckar",
                                 stakeholder_group=group, starts_at=datetime(2019, 4, day, 15, 30),
                                 ends_at=datetime(2019, 4, day, 18, 30)))
        db.session.add(process)
        db.session.commit()
        process_id = process.id
    with serving(app) as url:
        yield {"url": url, "process_id": process_id}


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_event_cards_keep_their_content_with_text_spacing(browser, site, width, locale):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{site['url']}/processes/{site['process_id']}")
        assert page.locator(".card").count() == 3
        apply_text_spacing(page)
        assert content_outside_cards(page) == []
        assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        context.close()
