"""A participant votes on a phone (390×844): types the code, places 5 dots, takes one back (axe-clean)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.voting.codes import format_code
from app.voting.models import Dot
from tests.support import wait_until
from tests.support.browser import assert_no_axe_violations, assert_page_fit

pytestmark = pytest.mark.browser


def test_vote_on_a_phone_by_typing_the_code(app, live_server, voting_event, new_page):
    ev = voting_event(stands=2, ideas_per_stand=3, tickets=2, dots=5)
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/events/{ev.event_id}/vote")
    assert_no_axe_violations(page, "code entry")
    page.get_by_label("Ticket-Code").fill(format_code(ev.codes[0]).lower())
    page.get_by_role("button", name="Meinen Stimmzettel öffnen").click()
    page.wait_for_selector("#remaining")
    assert page.url.endswith(f"/events/{ev.event_id}/vote") and ev.codes[0] not in page.url
    assert page.locator("#remaining").inner_text() == "5"
    assert_no_axe_violations(page, "ballot")

    targets = [ev.idea_ids[0], ev.idea_ids[0], ev.idea_ids[1], ev.idea_ids[3], ev.idea_ids[5]]
    for n, idea_id in enumerate(targets, start=1):
        page.locator(f"#idea-{idea_id} input[value=add] ~ button").click()
        page.wait_for_function("n => document.getElementById('remaining').textContent === String(n)", arg=5 - n)
    assert page.locator(f"#idea-{ev.idea_ids[0]} .mine").inner_text() == "2"
    # A sixth dot is refused with a message; nothing changes.
    page.locator(f"#idea-{ev.idea_ids[2]} input[value=add] ~ button").click()
    # The message of the fifth dot is still shown: wait for the refusal, not for any text.
    page.wait_for_function("() => document.getElementById('vote-message').classList.contains('is-error')")
    assert "keine Punkte mehr" in page.locator("#vote-message").inner_text()
    # Take one back from the first idea.
    page.locator(f"#idea-{ev.idea_ids[0]} input[value=remove] ~ button").click()
    page.wait_for_function("() => document.getElementById('remaining').textContent === '1'")
    assert page.locator(f"#idea-{ev.idea_ids[0]} .mine").inner_text() == "1"
    with app.app_context():
        wait_until(lambda: _db.session.execute(sa.select(sa.func.count(Dot.id))).scalar_one() == 4, timeout=10)
    # After a reload the server shows the same state.
    page.reload()
    assert page.locator("#remaining").inner_text() == "1"
    assert page.locator(f"#idea-{ev.idea_ids[0]} .mine").inner_text() == "1"
    assert_no_axe_violations(page, "ballot after voting")


def test_keyboard_voting_keeps_the_focus_and_says_what_happened(app, live_server, voting_event, new_page):
    """Enter, Enter on "give a dot": two dots, the focus stays on the button, the status line names
    the idea and the counts; taking the last dot back moves the focus to "give a dot"."""
    ev = voting_event(stands=1, ideas_per_stand=2, tickets=1, dots=5)
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/events/{ev.event_id}/vote")
    page.get_by_label("Ticket-Code").fill(format_code(ev.codes[0]))
    page.keyboard.press("Enter")
    page.wait_for_selector("#remaining")
    idea = f"#idea-{ev.idea_ids[0]}"
    text = page.locator(f"{idea} .idea-text").inner_text()
    add = page.locator(f"{idea} input[value=add] ~ button")
    add.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('remaining').textContent === '4'")
    # The script gives the focus back once the answer is shown: wait for it, not only for the count.
    page.wait_for_function("() => { const form = document.activeElement && document.activeElement.closest('form');"
                           " return !!form && form.querySelector('[name=op]').value === 'add'; }")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('remaining').textContent === '3'")
    assert page.locator(f"{idea} .mine").inner_text() == "2"
    message = page.locator("#vote-message").inner_text()
    assert f"„{text[:40]}" in message and "Ihre Punkte auf dieser Idee: 2" in message and "Übrige Punkte: 3" in message

    remove = page.locator(f"{idea} input[value=remove] ~ button")
    remove.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('remaining').textContent === '4'")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('remaining').textContent === '5'")
    assert "zurückgenommen" in page.locator("#vote-message").inner_text()
    assert remove.is_disabled()
    # The script gives the focus back once the answer is shown: wait for it, not only for the count.
    page.wait_for_function("() => { const form = document.activeElement && document.activeElement.closest('form');"
                           " return !!form && form.querySelector('[name=op]').value === 'add'; }")
    assert_page_fit(page, "ballot after keyboard voting")
