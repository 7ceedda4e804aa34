"""A resident on a phone makes a mistake in the application form, corrects it, confirms from
the mail, comes back through the private link and corrects the name, leaving the answers as
they are (the answers must stay selected throughout). Once in German, once in English.

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.models import utcnow
from app.events.models import Application, Criterion, CriterionOption, Event, Process
from app.extensions import db
from tests.support.browser import assert_page_fit
from tests.support.journeys import journey_app, serving
from tests.support.smtp import find_links

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    """The app with one open event (two criteria), served over HTTP."""
    app = journey_app(tmp_path_factory.mktemp("correction"), smtp_server, _pg_schema)
    with app.app_context():
        now = utcnow()
        event = Event(process=Process(title="Esslingen 4.0"), title="Zukunftswerkstatt Esslingen",
                      status="open", seats=15, place="Altes Rathaus, Bürgersaal",
                      starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=4),
                      applications_open_at=now - timedelta(days=1),
                      applications_close_at=now + timedelta(days=14),
                      consent_text="Ich bin einverstanden, dass meine Angaben verarbeitet werden.")
        for position, (key, label, options) in enumerate([
                ("age", "Altersgruppe", ["16–29", "30–59", "60 und älter"]),
                ("district", "Stadtteil", ["Innenstadt", "Außenbezirk"])]):
            criterion = Criterion(event=event, key=key, label=label, position=position)
            for i, option in enumerate(options):
                criterion.options.append(CriterionOption(value=f"{key}{i}", label=option, position=i))
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    with serving(app) as url:
        yield {"app": app, "url": url, "event_id": event_id}


@pytest.fixture
def phone(new_page):
    return lambda locale="de-DE": new_page(phone=True, locale=locale)


def _mail_links(smtp_server, address):
    [mail] = smtp_server.wait_for(lambda m: m["To"] == address)
    links = find_links(mail)
    confirm = next(link for link in links if "/confirm/" in link)
    manage = next(link for link in links if "/confirm/" not in link and "/applications/" in link)
    return confirm, manage


def test_mistake_correction_confirmation_and_later_correction_on_a_phone(world, phone, smtp_server):
    page = phone()
    page.goto(f"{world['url']}/events/{world['event_id']}/apply")
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika(at)example.org")
    page.get_by_role("radio", name="60 und älter").check()
    page.get_by_role("radio", name="Außenbezirk").check()
    page.get_by_label("Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.").check()
    page.get_by_role("button", name="Bewerbung absenden").click()

    assert page.locator(".error-summary").is_visible()
    assert page.get_by_text("Bitte geben Sie eine gültige E-Mail-Adresse ein.").first.is_visible()
    # The answers are still chosen: only the email needs correcting.
    assert page.get_by_role("radio", name="60 und älter").is_checked()
    assert page.get_by_role("radio", name="Außenbezirk").is_checked()
    assert page.get_by_label("Name").input_value() == "Erika Mustermann"
    assert_page_fit(page, "application form with a wrong email")

    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_label("Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.").check()
    page.get_by_role("button", name="Bewerbung absenden").click()
    page.wait_for_url(f"**/events/{world['event_id']}/apply/sent")
    assert_page_fit(page, "application sent")

    confirm, manage = _mail_links(smtp_server, "erika@example.org")
    page.goto(confirm)
    page.get_by_role("button", name="Bewerbung bestätigen").click()
    assert page.locator("#application-status").inner_text() == "Beworben (bestätigt)"
    assert_page_fit(page, "application confirmed")

    # A day later, in a fresh browser, through the private link: the form is filled.
    later = phone()
    later.goto(manage)
    assert later.get_by_role("radio", name="60 und älter").is_checked()
    assert later.get_by_role("radio", name="Außenbezirk").is_checked()
    later.get_by_label("Name").fill("Erika Muster")
    later.get_by_role("button", name="Änderungen speichern").click()
    later.get_by_text("Ihre Änderungen wurden gespeichert.").wait_for()
    assert later.get_by_role("radio", name="60 und älter").is_checked()
    assert later.get_by_role("radio", name="Außenbezirk").is_checked()
    assert_page_fit(later, "private application page after a correction")
    with world["app"].app_context():
        application = db.session.execute(db.select(Application).filter_by(email="erika@example.org")).scalar_one()
        assert application.name == "Erika Muster"
        assert sorted(a.option.label for a in application.answers) == ["60 und älter", "Außenbezirk"]


def test_answers_stay_after_a_mistake_in_english(world, phone, smtp_server):
    """The same in English, to the private page: no German text left on the way (issue 24)."""
    page = phone(locale="en-GB")
    page.goto(f"{world['url']}/events/{world['event_id']}/apply")
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Apply for a seat").wait_for()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_role("radio", name="16–29").check()
    page.get_by_role("radio", name="Innenstadt").check()
    page.get_by_role("button", name="Send application").click()  # consent forgotten
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_role("radio", name="16–29").is_checked()
    assert page.get_by_role("radio", name="Innenstadt").is_checked()
    assert page.get_by_label("Email").input_value() == "ada@example.org"
    assert_page_fit(page, "application form without consent, English")

    page.get_by_role("checkbox", name="I agree to the processing of my data as described above.").check()
    page.get_by_role("button", name="Send application").click()
    page.wait_for_url(f"**/events/{world['event_id']}/apply/sent")
    assert_page_fit(page, "application sent, English")
    confirm, manage = _mail_links(smtp_server, "ada@example.org")
    page.goto(confirm)
    assert_page_fit(page, "confirmation page, English")
    page.get_by_role("button", name="Confirm application").click()
    page.wait_for_load_state()
    assert page.locator("#application-status").inner_text() == "Applied (confirmed)"
    assert page.get_by_role("radio", name="16–29").is_checked()
    assert_page_fit(page, "private application page, English")


def test_a_refused_application_keeps_what_was_typed_on_a_phone(world, phone):
    """Issue 24: when the rate limit refuses an application, the resident sees the form as typed
    and how long to wait (not a bare 429 page that loses everything); nothing is stored."""
    app, before = world["app"], world["app"].config["APPLY_RATE_LIMIT"]
    app.config["APPLY_RATE_LIMIT"] = "1 per hour"  # read per request; its own counter
    try:
        page = phone()
        for name, email in (("Jonas Weber", "jonas@example.org"), ("Aylin Demir", "aylin@example.org")):
            page.goto(f"{world['url']}/events/{world['event_id']}/apply")
            page.get_by_label("Name").fill(name)
            page.get_by_label("E-Mail").fill(email)
            page.get_by_role("radio", name="30–59").check()
            page.get_by_role("radio", name="Innenstadt").check()
            page.get_by_label("Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.").check()
            page.get_by_role("button", name="Bewerbung absenden").click()
            page.wait_for_load_state()
        assert page.get_by_text("Bitte versuchen Sie es in 1 Stunde erneut.").is_visible()
        assert page.get_by_label("Name").input_value() == "Aylin Demir"
        assert page.get_by_label("E-Mail").input_value() == "aylin@example.org"
        assert page.get_by_role("radio", name="30–59").is_checked()
        assert page.get_by_role("radio", name="Innenstadt").is_checked()
        assert page.get_by_label("Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.").is_checked()
        assert_page_fit(page, "application form refused by the rate limit")
    finally:
        app.config["APPLY_RATE_LIMIT"] = before
    with app.app_context():
        emails = set(db.session.execute(db.select(Application.email)).scalars())
        assert "jonas@example.org" in emails and "aylin@example.org" not in emails
