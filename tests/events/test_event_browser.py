"""Real browser: the public pages on a phone, an admin creating an event on a desktop; axe on each."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.models import utcnow
from app.events.models import Event
from app.extensions import db
from tests.support.clients import DEFAULT_PASSWORD
from tests.support.browser import assert_no_axe_violations

# The shared session browser (tests/conftest.py): one Playwright per run.
pytestmark = pytest.mark.browser


def test_process_and_event_pages_on_a_phone(live_server, demo, create_event, new_page):
    now = utcnow()
    event_id = create_event(
        process_id=demo.process_id, title="Zukunftswerkstatt Innenstadt", status="open",
        place="Altes Rathaus, Bürgersaal", starts_at=now + timedelta(days=20), ends_at=now + timedelta(days=20, hours=3),
        applications_open_at=now - timedelta(days=1), applications_close_at=now + timedelta(days=10),
        description="## Ablauf\n\n- Vortrag\n- Marktstände\n\n[Stadt Esslingen](https://www.esslingen.de)",
    ).id
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/processes/{demo.process_id}")
    assert page.get_by_role("heading", level=1, name="Esslingen 4.0").is_visible()
    assert page.get_by_role("heading", name="Bevorstehende Veranstaltungen").is_visible()
    assert_no_axe_violations(page, "process page, phone")

    page.get_by_role("link", name="Zukunftswerkstatt Innenstadt").click()
    page.wait_for_url(f"**/events/{event_id}")
    assert page.get_by_text("Bewerbungen sind bis").is_visible()
    assert page.get_by_role("heading", name="Ablauf").is_visible()
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_axe_violations(page, "open event page, phone")

    page.goto(f"{live_server.url}/events/{demo.event_id}")
    assert page.get_by_role("heading", name="Marktstände").is_visible()
    assert_no_axe_violations(page, "held event page with stands, phone")

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Zukunftswerkstatt Innenstadt").click()
    page.wait_for_url(f"**/events/{event_id}")


def test_admin_creates_an_event_on_a_desktop(app, live_server, demo, create_user, new_page):
    admin = create_user(roles=("admin",))
    page = new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-Mail").fill(admin.email)
    page.get_by_label("Passwort").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Prozesse").first.click()
    page.get_by_role("link", name="Esslingen 4.0").click()
    assert_no_axe_violations(page, "staff process page")
    page.get_by_role("link", name="Neue Veranstaltung").click()
    assert_no_axe_violations(page, "empty event form")

    page.get_by_label("Titel", exact=True).fill("Workshop mit Seniorinnen und Senioren")
    page.get_by_label("Beginn", exact=True).fill("2030-05-04T10:00")
    page.get_by_label("Ende", exact=True).fill("2030-05-04T09:00")  # before the start: an error
    page.get_by_label("Plätze", exact=True).fill("12")
    page.get_by_role("button", name="Speichern").click()
    page.locator("#error-summary").wait_for()
    assert page.get_by_text("Die Veranstaltung muss nach ihrem Beginn enden.").first.is_visible()
    assert_no_axe_violations(page, "event form with errors")

    page.get_by_label("Ende", exact=True).fill("2030-05-04T13:00")
    page.get_by_label("Zielgruppe").fill("Stadtseniorenrat")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("Die Veranstaltung wurde als Entwurf angelegt.").wait_for()
    assert_no_axe_violations(page, "staff event overview")

    page.get_by_role("link", name="Kriterium hinzufügen").click()
    page.get_by_role("button", name="Kriterium speichern").click()
    page.locator("#error-summary").wait_for()
    assert_no_axe_violations(page, "criterion form with errors")

    with app.app_context():
        event = db.session.execute(sa.select(Event).where(Event.title.startswith("Workshop mit Senior"))).scalar_one()
        assert event.status == "draft" and event.seats == 12
        assert event.starts_at.hour == 8  # 10:00 in Esslingen in May is 08:00 UTC
