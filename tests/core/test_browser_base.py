"""The base layout in a real browser: accessible (axe), usable on a phone, language switch."""
from __future__ import annotations

import pytest

from tests.support.browser import assert_no_axe_violations

pytestmark = pytest.mark.browser


def test_start_and_login_pages_are_accessible_on_a_phone(live_server, demo, new_page):
    page = new_page(phone=True)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", level=1).inner_text() == "Gestalten Sie Ihre Stadt mit"
    assert_no_axe_violations(page, "start page")
    # No horizontal scrolling at phone width.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("link", name="Anmeldung für Mitarbeitende").click()
    page.get_by_role("button", name="Anmelden").click()
    page.locator(".error-summary").wait_for()
    assert_no_axe_violations(page, "login form with errors")


def test_skip_link_and_language_switch_with_keyboard(live_server, new_page):
    page = new_page()
    page.goto(live_server.url + "/")  # the login page focuses its email field on load
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Zum Inhalt springen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(live_server.url + "/login")
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/login")
    assert page.get_by_role("heading", level=1).inner_text() == "Staff login"
    page.reload()
    assert page.locator("html").get_attribute("lang") == "en"


def test_admin_logs_in_and_manages_staff(live_server, app, create_user, new_page):
    create_user(email="chefin@example.org", roles=("admin",))
    page = new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("E-Mail").fill("chefin@example.org")
    page.get_by_label("Passwort").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Konten").click()
    assert_no_axe_violations(page, "staff list")
    page.get_by_role("link", name="Neues Konto").click()
    page.get_by_label("E-Mail").fill("moderatorin@example.org")
    page.get_by_label("Name").fill("Mia Moderatorin")
    page.get_by_label("Moderation").check()
    page.get_by_label("Erstes Passwort").fill("ein sehr langes Passwort")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("Das Konto für moderatorin@example.org wurde angelegt.").wait_for()  # after the page loads
    assert_no_axe_violations(page, "staff list after create")
