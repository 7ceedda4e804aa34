"""The public results page and the council dashboard in a real browser: axe-core clean."""
from __future__ import annotations

import os

import pytest

from tests.support.browser import assert_no_axe_violations

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("RESULTS_SCREENSHOTS")  # a folder: save screenshots there (for looking)


def _shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_public_results_pages_are_accessible(live_server, results_fixture, new_page):
    f = results_fixture
    page = new_page()
    page.goto(f"{live_server.url}/events/{f.event_a}")
    page.get_by_role("link", name="Ergebnisse dieser Veranstaltung ansehen").click()
    page.wait_for_selector("h1")
    assert "Ergebnisse: Bürgerwerkstatt Altstadt" in page.locator("h1").inner_text()
    assert_no_axe_violations(page, "public event results")
    _shot(page, "public_event")
    page.locator("#filter-tag").select_option(label="Homepage")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url("**tag=*")
    assert page.locator(".ideas-table tbody tr").count() == 1
    assert_no_axe_violations(page, "public event results, filtered")
    phone = new_page(phone=True)
    phone.goto(f"{live_server.url}/processes/{f.process_id}/results")
    assert_no_axe_violations(phone, "public process results on a phone")
    _shot(phone, "public_process_phone")
    page.goto(f"{live_server.url}/processes/{f.process_id}/results")
    _shot(page, "public_process")


def test_dashboard_is_accessible(live_server, results_fixture, new_page, create_user):
    from tests.support.clients import DEFAULT_PASSWORD

    f = results_fixture
    user = create_user(roles=("council",))
    page = new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-Mail").fill(user.email)
    page.get_by_label("Passwort").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Ergebnisse", exact=True).click()
    page.get_by_role("link", name="Esslingen 4.0").click()
    page.wait_for_selector("h1")
    assert "Ergebnisse: Esslingen 4.0" in page.locator("h1").inner_text()
    assert_no_axe_violations(page, "process dashboard")
    _shot(page, "dashboard_process")
    page.locator("#filter-group").select_option("Jugendrat")
    page.locator("#filter-hidden").check()
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url("**group=Jugendrat*")
    assert_no_axe_violations(page, "process dashboard, filtered")
    page.goto(f"{live_server.url}/manage/results/events/{f.event_a}")
    assert_no_axe_violations(page, "event dashboard")
    _shot(page, "dashboard_event")
