"""A resident applies on a phone, confirms from the mail, sees "confirmed" (headless Chromium, axe)."""
from __future__ import annotations

import pytest

from tests.support.browser import assert_no_axe_violations
from tests.support.smtp import find_links

pytestmark = pytest.mark.browser


def test_resident_applies_on_a_phone_and_confirms(live_server, app, open_event, new_page, smtp):
    event_id = open_event(title="Zukunftswerkstatt Digitales Esslingen").id
    page = new_page(phone=True)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Zukunftswerkstatt Digitales Esslingen").first.click()
    page.wait_for_url(f"**/events/{event_id}")
    assert_no_axe_violations(page, "event page")

    page.get_by_role("link", name="Für einen Platz bewerben").click()
    page.wait_for_url(f"**/events/{event_id}/apply")
    # Sent empty first: the form with errors must be accessible too.
    page.get_by_role("button", name="Bewerbung absenden").click()
    page.locator(".error-summary").wait_for()
    assert_no_axe_violations(page, "application form with errors")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("Erika@Example.org")
    page.get_by_role("radio", name="30–59").check()
    page.get_by_role("radio", name="Innenstadt").check()
    page.get_by_label("Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.").check()
    page.get_by_role("button", name="Bewerbung absenden").click()
    page.wait_for_url(f"**/events/{event_id}/apply/sent")
    assert "Postfach" in page.get_by_role("heading", level=1).inner_text()

    [mail] = smtp.wait_for(lambda m: m["To"] == "erika@example.org")
    confirm = next(link for link in find_links(mail) if "/confirm/" in link)
    assert confirm.startswith(live_server.url)
    page.goto(confirm)
    assert_no_axe_violations(page, "confirmation page")
    page.get_by_role("button", name="Bewerbung bestätigen").click()
    assert page.locator("#application-status").inner_text() == "Beworben (bestätigt)"
    assert page.get_by_text("Ihre E-Mail-Adresse ist bestätigt").is_visible()
    assert_no_axe_violations(page, "application status page")
