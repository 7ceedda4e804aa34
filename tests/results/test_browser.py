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
    page.get_by_role("link", name="Ergebnisse dieses Workshops ansehen").click()
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
