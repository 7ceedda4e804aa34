"""What every page's script does (app/core/static/js/page.js), in Chromium on a phone:
a table that scrolls sideways is a named, focusable region (keyboard users can scroll it), and a
flash message is announced through the live region (a region rendered with the page is not)."""
from __future__ import annotations

import pytest

from tests.support.clients import DEFAULT_PASSWORD
from tests.support.browser import assert_page_fit

pytestmark = pytest.mark.browser


def test_wide_tables_are_keyboard_regions_and_flashes_are_announced(live_server, create_user, new_page):
    admin = create_user(roles=("admin",), email="verwaltung.buergerbeteiligung@esslingen.example.org",
                        name="Dr. Maximiliane Mustermann-Schönfeld")
    create_user(roles=("moderator",), email="moderation.zukunftswerkstatt@esslingen.example.org")
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/login")
    page.fill("#email", admin.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_function("() => document.getElementById('announce').textContent.length > 0")
    assert "Willkommen" in page.locator("#announce").inner_text()
    assert page.locator(".flashes[role]").count() == 0  # one live region, not two

    page.goto(f"{live_server.url}/manage/users")
    # Every POST form says which page it is on, for the page shown again after an expired session.
    assert page.evaluate("() => [...document.querySelectorAll('form[method=post]')].every("
                         "f => f.querySelector('input[name=_page]').value === '/manage/users')")
    wrap = page.locator(".table-wrap")
    assert page.evaluate("() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth > w.clientWidth; }")
    assert wrap.get_attribute("role") == "region" and wrap.get_attribute("tabindex") == "0"
    assert wrap.get_attribute("aria-label") == page.locator(".table-wrap caption").text_content().strip()
    wrap.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-wrap').scrollLeft > 0")
    assert_page_fit(page, "staff accounts on a phone")
    # Wide enough for the table: no region needed, none claimed.
    page.set_viewport_size({"width": 1600, "height": 900})
    page.wait_for_function("() => !document.querySelector('.table-wrap').hasAttribute('role')")


def test_a_failed_form_says_so_in_the_title_and_focuses_the_summary(live_server, create_event, new_page):
    from datetime import timedelta

    from app.core.models import utcnow

    now = utcnow()
    event_id = create_event(status="open", starts_at=now + timedelta(days=20), place="Altes Rathaus",
                            applications_open_at=now - timedelta(days=1),
                            applications_close_at=now + timedelta(days=10),
                            consent_text="Ich bin einverstanden, dass meine Angaben verarbeitet werden.").id
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/events/{event_id}/apply")
    assert page.locator(".required-note").count() == 1
    assert page.locator(".required-note").inner_text() == "Mit * markierte Felder müssen ausgefüllt werden."
    consent = page.locator("#consent")
    assert "consent-text" in consent.get_attribute("aria-describedby").split()
    title = page.title()
    page.get_by_role("button", name="Bewerbung absenden").click()
    page.wait_for_selector("#error-summary")
    # page.js (deferred) marks the title once the page is parsed: wait for it, not for the HTML.
    page.wait_for_function("() => document.title.startsWith('Fehler: ')")
    assert page.title() == f"Fehler: {title}"
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert_page_fit(page, "application form with errors")
