"""The receipt on a phone (issue 22 item 3), in German and English: from the private application page to
what the lottery recorded, the checks made from the public record, and an objection."""
from __future__ import annotations

import pytest

from tests.factories.lottery import commit, draw, statuses
from tests.support.browser import assert_no_axe_violations
from tests.support.clients import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser]

GENDER = {"gender": {"f": (1, 2), "m": (1, 2)}}


@pytest.mark.parametrize("language", ["de", "en"])
def test_receipt_on_the_phone(app, live_server, new_page, admin, create_user, lottery_event, language):
    ev = lottery_event(seats=2, criteria=GENDER, people=[{"gender": g} for g in "ffmmfm"], language=language)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "0007")
    result = statuses(app, ev.application_ids)
    index = next(n for n, i in enumerate(ev.application_ids) if result[i] == "waitlisted")
    page = new_page(phone=True, locale="de-DE" if language == "de" else "en-GB")
    page.context.add_cookies([{"name": "ideenmarkt_lang", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}/applications/{ev.tokens[index]}")
    page.locator("#receipt-link").click()
    page.wait_for_selector(".receipt")
    words = {"de": ("Was die Auslosung über Sie festhält", "auf der Warteliste", "stimmt", "Widerspruch senden",
                    "Ihr Widerspruch ist erfasst"),
             "en": ("What the lottery recorded about you", "on the waiting list", "correct", "Send objection",
                    "Your objection has been recorded")}[language]
    assert page.locator("h1").inner_text() == words[0]
    assert words[1] in page.locator(".receipt-outcome").first.inner_text()
    pseudonym = page.locator(".receipt-pseudonym").first.inner_text()
    assert pseudonym.startswith("A-") and len(pseudonym) == 7
    checks = page.locator(".receipt-checks li")
    assert checks.count() == 6  # pool, commitment, share, bound, dice, selection
    assert all(checks.nth(n).get_attribute("class") == "ok" for n in range(checks.count()))
    assert page.locator(".receipt-checks .badge").first.inner_text().strip() == words[2]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator(".receipt details > summary").first.click()
    assert_no_axe_violations(page, f"receipt page, phone, {language}")
    # The applicant's pseudonym is on the public page, in the waiting list.
    page.locator("a", has_text="lottery page" if language == "en" else "Seite der Auslosung").first.is_visible()
    page.fill("#objection", "Mein Alter ist falsch erfasst." if language == "de" else "My age is recorded wrongly.")
    page.get_by_role("button", name=words[3]).click()
    page.wait_for_selector(".flash-success")
    assert words[4] in page.locator(".flash-success").inner_text()
    # An admin answers it from the lottery page (German); the applicant reads the answer on the receipt.
    staff = new_page()
    staff.goto(f"{live_server.url}/login")
    staff.get_by_label("E-Mail").fill(create_user(roles=("admin",)).email)
    staff.get_by_label("Passwort").fill(DEFAULT_PASSWORD)
    staff.get_by_role("button", name="Anmelden").click()
    staff.goto(f"{live_server.url}/manage/events/{ev.event_id}/lottery")
    staff.locator("#objection-list a", has_text="offen: antworten").click()
    staff.get_by_role("button", name="Antwort senden").click()
    assert "Schreiben Sie die Antwort." in staff.locator("#error-summary").inner_text()
    assert_no_axe_violations(staff, "objection with an error (staff)")
    answer = "Wir haben das geprüft und melden uns bei Ihnen." if language == "de" else "We have checked it."
    staff.get_by_label("Ihre Antwort (geht per E-Mail an die Person)").fill(answer)
    staff.get_by_role("button", name="Antwort senden").click()
    staff.wait_for_selector(".flash-success")
    assert "beantwortet" in staff.locator("#objection-list").inner_text()
    page.goto(f"{live_server.url}/applications/{ev.tokens[index]}/lottery")
    assert page.locator(".objection-answer").first.inner_text() == answer
    assert ("Das Organisationsteam hat am" if language == "de" else "The organisers answered on") \
        in page.locator(".receipt-objection").first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_axe_violations(page, f"receipt with an answered objection, phone, {language}")
    page.goto(f"{live_server.url}/events/{ev.event_id}/lottery")
    assert pseudonym in page.locator("#waiting-list").inner_text()
    # The public page explains how to check the draw; on the phone it does not scroll sideways.
    steps = page.locator("#check-steps li")
    assert page.locator("#releases-none").is_visible()  # every decline and skip is listed here, none yet
    assert steps.count() == 4 and page.locator("#check-fairness").is_visible() and page.locator("#check-commitment code").inner_text().endswith(
        page.locator(".facts code.hash").first.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_axe_violations(page, f"public lottery page, phone, {language}")
