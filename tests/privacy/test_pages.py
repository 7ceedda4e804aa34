"""Privacy page, accessibility statement and the barrier feedback form (BITV 2.0)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from tests.support.browser import assert_no_axe_violations


def test_footer_of_every_page_links_privacy_and_accessibility(client):
    for url in ("/", "/login", "/privacy", "/accessibility"):
        page = client.get(url).get_data(as_text=True)
        assert 'href="/privacy"' in page and 'href="/accessibility"' in page, url


def test_privacy_page_names_operator_retention_and_rights(app, client, create_event):
    app.config["PRIVACY_OPERATOR_NAME"] = "Stadt Testhausen"
    app.config["PRIVACY_CONTACT_EMAIL"] = "dsb@testhausen.example"
    create_event(title="Zukunftswerkstatt Nord", status="open", retention_days=45)
    create_event(title="Geheimer Entwurf", status="draft")
    page = client.get("/privacy").get_data(as_text=True)
    assert "Stadt Testhausen" in page and "dsb@testhausen.example" in page
    assert "Zukunftswerkstatt Nord" in page and "45 Tage" in page
    assert "Geheimer Entwurf" not in page
    assert "Löschung" in page or "löschen" in page
    client.submit("/language", {"lang": "en", "next": "/privacy"})
    english = client.get("/privacy").get_data(as_text=True)
    assert "Your rights" in english and "45 days" in english


def test_accessibility_statement_in_both_languages(client):
    german = client.get("/accessibility").get_data(as_text=True)
    assert "Erklärung zur Barrierefreiheit" in german and "Barriere melden" in german
    client.submit("/language", {"lang": "en", "next": "/accessibility"})
    english = client.get("/accessibility").get_data(as_text=True)
    assert "Accessibility statement" in english and "Report a barrier" in english


def test_feedback_goes_to_every_active_admin(app, client, create_user, smtp):
    from app.core import mail

    create_user(roles=("admin",), email="admin.one@example.org")
    create_user(roles=("admin",), email="admin.two@example.org")
    create_user(roles=("admin",), email="admin.off@example.org", active=False)
    create_user(roles=("moderator",), email="mod@example.org")
    response = client.submit("/accessibility/feedback", {
        "message": "Der Kontrast der Schaltflächen ist zu schwach.", "name": "Friedlinde Feedbackerin",
        "email": "friedlinde@example.org"})
    assert response.status_code == 303
    with app.app_context():
        mail.send_pending()
    received = smtp.wait_for(lambda m: "Kontrast" in m.get_payload(decode=True).decode("utf-8")
                             if not m.is_multipart() else True, count=2)
    recipients = sorted(m["To"] for m in received)
    assert recipients == ["admin.one@example.org", "admin.two@example.org"]
    assert client.get(response.headers["Location"]).status_code == 200


def test_feedback_needs_a_message_and_a_valid_optional_email(app, client, create_user):
    from app.core.models import OutboxMail

    create_user(roles=("admin",))
    assert client.submit("/accessibility/feedback", {"message": "  "}).status_code == 422
    assert client.submit("/accessibility/feedback", {"message": "x", "email": "kein-mail"}).status_code == 422
    assert client.submit("/accessibility/feedback", {"message": "x" * 6000}).status_code == 422
    assert client.post("/accessibility/feedback", data={"message": "no csrf"}).status_code in (400, 422)
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 0
    with app.app_context():
        _db.session.execute(sa.delete(OutboxMail))
        _db.session.commit()
    assert client.submit("/accessibility/feedback", {"message": "Nur\x00 Text ohne Namen"}).status_code == 303
    with app.app_context():
        [body] = _db.session.execute(sa.select(OutboxMail.body_text)).scalars().all()
        assert "Nur Text ohne Namen" in body and "\x00" not in body


def test_feedback_honeypot_sends_nothing(app, client, create_user):
    from app.core.models import OutboxMail

    create_user(roles=("admin",))
    response = client.submit("/accessibility/feedback", {"message": "Buy pills", "website": "http://spam"})
    assert response.status_code == 303
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 0


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_pages_are_axe_clean(live_server, new_page, locale):
    page = new_page(locale=locale)
    page.goto(live_server.url + "/")
    if locale.startswith("en"):
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
    for path in ("/privacy", "/accessibility", "/accessibility/feedback"):
        page.goto(live_server.url + path)
        assert_no_axe_violations(page, f"{path} ({locale})")
    page.get_by_role("button").filter(has_text="Send" if locale.startswith("en") else "Senden").click()
    page.locator(".error-summary").wait_for()
    assert_no_axe_violations(page, f"feedback form with errors ({locale})")


@pytest.mark.browser
def test_own_data_and_erasure_journey_is_axe_clean(live_server, new_page, privacy_world, app):
    """The applicant's manage page links their data and the erasure, which asks first."""
    from app.events.models import Application

    page = new_page(phone=True)
    token = privacy_world.tokens[privacy_world.voter]
    page.goto(f"{live_server.url}/applications/{token}")
    assert page.get_by_role("link", name="Alle über Sie gespeicherten Daten herunterladen (JSON)").is_visible()
    assert_no_axe_violations(page, "manage page with the own-data links")
    page.get_by_role("link", name="Ihre Bewerbung löschen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ihre Bewerbung löschen"
    assert_no_axe_violations(page, "erase confirmation")
    page.get_by_role("button", name="Meine Bewerbung jetzt löschen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ihre Bewerbung wurde gelöscht"
    assert_no_axe_violations(page, "erased")
    with app.app_context():
        assert _db.session.get(Application, privacy_world.application_ids[privacy_world.voter]).name is None


@pytest.mark.browser
def test_audit_log_page_is_axe_clean(live_server, new_page, privacy_world, create_user):
    create_user(email="chefin@example.org", roles=("admin",))
    page = new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("E-Mail").fill("chefin@example.org")
    page.get_by_label("Passwort").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Protokoll").click()
    # Actions are shown by their label (app/audit/display.py), never as codes.
    assert page.get_by_role("cell", name="Plätze ausgelost", exact=True).count() >= 1
    assert page.get_by_role("cell", name="lottery.draw").count() == 0
    assert_no_axe_violations(page, "audit log")
    page.get_by_label("Aktion").select_option("lottery.draw")
    page.get_by_role("button", name="Filtern").click()
    assert page.get_by_role("cell", name="Plätze ausgelost", exact=True).count() >= 1
    assert page.get_by_role("cell", name="Festlegung der Auslosung veröffentlicht", exact=True).count() == 0
    assert_no_axe_violations(page, "audit log filtered")


@pytest.mark.parametrize("app_config", [{"FEEDBACK_RATE_LIMIT": "1 per hour"}])
def test_a_refused_report_keeps_what_was_typed(app, client, create_user):
    """Issue 24: when the limit refuses a report, the form comes back as typed with the wait."""
    from app.core.models import OutboxMail

    create_user(roles=("admin",))
    assert client.submit("/accessibility/feedback", {"message": "Erste Meldung"}).status_code == 303
    response = client.submit("/accessibility/feedback", {
        "message": "Die Tabelle <scrollt> seitlich.", "name": "Friedlinde", "email": "f@example.org"})
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert "Bitte versuchen Sie es in 1 Stunde erneut." in html
    assert "Die Tabelle &lt;scrollt&gt; seitlich.</textarea>" in html
    assert 'value="Friedlinde"' in html and 'value="f@example.org"' in html
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 1
