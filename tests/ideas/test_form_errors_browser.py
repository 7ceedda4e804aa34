"""Staff forms of the idea page by keyboard in Chromium (issue 16 item 7): a failed submit shows the
page again with the error summary focused, "Fehler:" in the title and the message tied to the
field; the summary's link takes the keyboard to the field, the typed text is still there."""
from __future__ import annotations

import pytest

from tests.support.browser import assert_page_fit
from tests.support.clients import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page, url, user):
    page.goto(f"{url}/login")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda address: "/login" not in address)


def _submit_by_keyboard(page, button_name):
    page.get_by_role("button", name=button_name).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_function("() => document.title.startsWith('Fehler: ')")


def test_hide_without_a_reason_and_merge_with_a_wrong_number(live_server, create_user, create_event,
                                                             create_stand, record, new_page):
    moderator = create_user(roles=("moderator",))
    stand = create_stand(create_event().id, "Bürgerportal", moderators=[moderator]).id
    idea_id = record(stand, "Mehr Bänke am Neckarufer").id
    page = new_page(phone=True)
    _log_in(page, live_server.url, moderator)
    page.goto(f"{live_server.url}/ideas/{idea_id}")
    title = page.title()

    _submit_by_keyboard(page, "Idee ausblenden")
    assert page.title() == f"Fehler: {title}"
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    reason = page.locator("#reason")
    assert reason.get_attribute("aria-invalid") == "true"
    assert "reason-error" in reason.get_attribute("aria-describedby").split()
    assert page.locator("#reason-error").inner_text() == "Bitte geben Sie einen Grund für das Ausblenden an."
    assert page.locator(".flashes").count() == 0
    page.keyboard.press("Tab")  # the summary's link to the field
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#reason"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'reason'")
    assert_page_fit(page, "hide form with an error")

    page.goto(f"{live_server.url}/ideas/{idea_id}")
    page.fill("#source_id", "999999")
    _submit_by_keyboard(page, "Zusammenführen")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert page.locator("#source_id").get_attribute("aria-invalid") == "true"
    assert page.locator("#source_id").input_value() == "999999"
