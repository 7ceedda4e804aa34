"""An invitee answers the letter in Chromium on a phone (390×844), in German (issue 17): the QR
link fills the code in; a wrong code first, then the right one; name and address from the
register, not editable; only the question the register does not answer; an answer with a mistake
(no contact, no consent), corrected; the thanks page; the application is there, marked as invited.

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.models import utcnow
from app.events.models import Event, Process
from app.extensions import db
from app.invitations import answering, codes
from app.invitations.models import Invitation
from tests.support.browser import assert_no_axe_violations, assert_page_fit
from tests.factories.invitations import draw_invitations
from tests.support.journeys import journey_app, serving

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    app = journey_app(tmp_path_factory.mktemp("answer"), smtp_server, _pg_schema)
    with app.test_request_context():
        now = utcnow()
        event = Event(process=Process(title="Bürgerrat Esslingen"), title="Bürgerrat Klima", status="open", seats=15,
                      starts_at=now + timedelta(days=60), ends_at=now + timedelta(days=61),
                      consent_text="Die Stadt verarbeitet Ihre Angaben nur für diesen Bürgerrat.")
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        invited = draw_invitations(event_id, answer_deadline=None)
    with serving(app) as url:
        yield {"app": app, "url": url, "event": event_id, "invited": invited}


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="de-DE", **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_german_answer_on_a_phone_wrong_code_then_right_mistake_then_corrected(phone, world):
    page = phone
    invitation_id, code = world["invited"][0]
    with world["app"].app_context():
        person = db.session.get(Invitation, invitation_id).person
        name, address = answering.display_name(person), answering.address_lines(person)
    # The QR link, with a typo in the code: the code is filled in, and refused.
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    page.goto(f"{world['url']}/invitation?code={codes.format_code(wrong)}")
    page.get_by_role("heading", name="Auf Ihre Einladung antworten").wait_for()
    assert page.get_by_label("Einladungscode").input_value() == codes.format_code(wrong)
    page.get_by_role("button", name="Weiter").click()
    assert "Dieser Einladungscode ist nicht bekannt" in page.locator("#error-summary").inner_text()
    assert page.get_by_label("Einladungscode").input_value() == codes.format_code(wrong)  # kept to correct it
    # The right code, typed in lower case with spaces.
    page.get_by_label("Einladungscode").fill(f"{code[:5].lower()} {code[5:].lower()}")
    page.get_by_role("button", name="Weiter").click()
    assert page.locator("#invitee-name").inner_text() == name
    assert page.locator("#invitee-address").inner_text().splitlines() == address
    assert page.get_by_label("Name", exact=True).count() == 0  # not editable
    assert page.get_by_role("group", name="Höchster Schulabschluss").is_visible()
    assert page.get_by_role("group", name="Altersgruppe").count() == 0  # the register answers it
    assert_page_fit(page, "Antwortformular")
    assert_no_axe_violations(page, "Antwortformular auf dem Telefon")
    # A mistake: the question answered, but no contact and no consent.
    page.get_by_label("Abitur oder höher").check()
    page.get_by_role("button", name="Antwort senden").click()
    summary = page.locator("#error-summary").inner_text()
    assert "E-Mail-Adresse oder eine Telefonnummer" in summary and "willigen Sie" in summary
    assert page.get_by_label("Abitur oder höher").is_checked()  # kept as chosen
    assert_no_axe_violations(page, "Antwortformular mit Fehlern")
    # Corrected.
    page.get_by_label("Telefonnummer (freiwillig, wenn Sie eine E-Mail-Adresse angeben)").fill("0711 123456")
    page.get_by_label("Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.").check()
    page.get_by_role("button", name="Antwort senden").click()
    page.get_by_role("heading", name="Vielen Dank für Ihre Antwort").wait_for()
    assert "Bürgerrat Klima" in page.locator("#answer-done").inner_text()
    assert_page_fit(page, "Dank")
    with world["app"].app_context():
        invitation = db.session.get(Invitation, invitation_id)
        assert invitation.state == "answered"
        assert invitation.application.phone == "0711 123456" and invitation.application.status == "applied"
    # The code works once.
    page.goto(f"{world['url']}/invitation?code={code}")
    page.get_by_role("button", name="Weiter").click()
    assert "bereits geantwortet" in page.locator("#error-summary").inner_text()
