"""A resident on a phone takes part online (issue 18), in German: she signs up from the process
page (first without consent, corrected), confirms through the mail from the outbox (real SMTP),
submits an idea (first without a stand, corrected), edits it and withdraws it.

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.models import utcnow
from app.events.models import Event, Process
from app.extensions import db
from app.ideas.models import Idea, Stand
from app.participation.models import OnlinePhase, OnlineSettings, Participant
from tests.support.browser import assert_no_axe_violations, assert_page_fit
from tests.support.clients import PHONE
from tests.support.journeys import journey_app, serving
from tests.support.smtp import find_links

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    app = journey_app(tmp_path_factory.mktemp("online-participation"), smtp_server, _pg_schema)
    with app.app_context():
        now = utcnow()
        process = Process(title="Mobilität 2030")
        event = Event(process=process, title="Zukunftswerkstatt Mobilität", status="open", seats=15,
                      starts_at=now + timedelta(days=30),
                      consent_text="Die Stadt verarbeitet Ihre Angaben nur für diese Beteiligung.")
        db.session.add(event)
        db.session.flush()
        db.session.add_all([Stand(event=event, title="Radwege", position=0), Stand(event=event, title="Busse", position=1)])
        db.session.add(OnlinePhase(event_id=event.id, kind="before", enabled=True, opens_at=now - timedelta(days=1),
                                   closes_at=now + timedelta(days=29)))
        settings = OnlineSettings(process_id=process.id, moderation="pre")
        settings.netiquette_reasons = ["Keine Beleidigungen"]
        db.session.add(settings)
        db.session.commit()
        process_id = process.id
    with serving(app) as url:
        yield {"app": app, "url": url, "process": process_id}


@pytest.fixture(scope="module")
def phone(browser, world):
    context = browser.new_context(locale="de-DE", **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_sign_up_confirm_submit_edit_and_withdraw_on_a_phone(world, phone, smtp_server):
    page, app = phone, world["app"]
    smtp_server.clear()
    page.goto(f"{world['url']}/processes/{world['process']}")
    page.get_by_role("link", name="Online mitmachen").click()
    page.get_by_role("heading", name="Online mitmachen").wait_for()
    assert_page_fit(page, "Anmeldung zur Online-Beteiligung")
    assert_no_axe_violations(page, "Anmeldung zur Online-Beteiligung auf dem Telefon")
    page.get_by_label("Anzeigename", exact=True).fill("Rad <Fan>")
    page.get_by_label("Meinen Anzeigenamen öffentlich zeigen").check()
    page.get_by_label("E-Mail", exact=True).fill("erika@example.org")
    page.get_by_role("button", name="Anmelden").click()
    summary = page.locator("#error-summary")
    assert "willigen Sie" in summary.inner_text()
    assert page.get_by_label("Anzeigename", exact=True).input_value() == "Rad <Fan>"  # kept
    assert page.get_by_label("E-Mail", exact=True).input_value() == "erika@example.org"
    assert page.get_by_label("Meinen Anzeigenamen öffentlich zeigen").is_checked()
    page.get_by_label("Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.").check()
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("heading", name="Fast geschafft: Bitte sehen Sie in Ihr Postfach").wait_for()

    # The confirmation mail, delivered from the outbox through SMTP.
    [mail] = smtp_server.wait_for(lambda m: m["To"] == "erika@example.org")
    confirm = next(link for link in find_links(mail) if "/confirm/" in link)
    page.goto(confirm)
    page.get_by_role("button", name="Beteiligung bestätigen").click()
    page.get_by_role("heading", name="Meine Beteiligung").wait_for()
    assert "Ihre E-Mail-Adresse ist bestätigt" in page.locator(".flash-success").inner_text()
    assert "Rad <Fan>" in page.locator("main").inner_text()
    assert_page_fit(page, "Meine Beteiligung")
    assert_no_axe_violations(page, "Meine Beteiligung auf dem Telefon")

    # An idea without a stand first: the message at the field, the text kept.
    page.get_by_label("Ihre Idee").fill("Sichere Radwege zur Schule, siehe https://example.org/plan")
    page.get_by_role("button", name="Idee einreichen").click()
    assert "Bitte wählen Sie einen Marktstand." in page.locator("#error-summary").inner_text()
    assert page.get_by_label("Ihre Idee").input_value().startswith("Sichere Radwege zur Schule")
    page.get_by_label("Marktstand").select_option(label="Zukunftswerkstatt Mobilität: Radwege")
    page.get_by_role("button", name="Idee einreichen").click()
    assert page.locator(".flash-success").inner_text() == "Vielen Dank! Ihre Idee wurde gespeichert."
    card = page.locator(".idea-list li").first
    assert "wartet auf Freigabe" in card.inner_text()
    assert card.locator("a[href='https://example.org/plan']").count() == 0  # the link is text
    with app.app_context():
        idea = db.session.execute(sa.select(Idea)).scalar_one()
        participant = db.session.execute(sa.select(Participant)).scalar_one()
        assert (idea.channel, idea.participant_id, idea.moderation) == ("online", participant.id, "pending")

    # Edit.
    card.get_by_role("link", name="Bearbeiten").click()
    page.get_by_role("heading", name="Meine Idee bearbeiten").wait_for()
    assert_no_axe_violations(page, "Idee bearbeiten auf dem Telefon")
    page.get_by_label("Ihre Idee").fill("Sichere und breite Radwege zur Schule")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_role("heading", name="Meine Beteiligung").wait_for()
    assert "Sichere und breite Radwege zur Schule" in page.locator(".idea-list").inner_text()

    # Withdraw.
    page.locator(".idea-list li").first.get_by_role("link", name="Zurückziehen").click()
    page.get_by_role("button", name="Idee zurückziehen").click()
    assert page.locator(".flash-success").inner_text() == "Ihre Idee wurde zurückgezogen."
    card = page.locator(".idea-list li").first
    assert "zurückgezogen" in card.inner_text() and card.get_by_role("link", name="Bearbeiten").count() == 0
    with app.app_context():
        idea = db.session.execute(sa.select(Idea)).scalar_one()
        assert idea.text == "Sichere und breite Radwege zur Schule" and idea.withdrawn_at is not None
