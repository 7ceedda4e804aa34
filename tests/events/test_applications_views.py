"""Applying through HTTP: the form, the window, honeypot, rate limit, no enumeration, manage link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.models import OutboxMail, utcnow
from app.events.models import Application
from app.extensions import db
from tests.support.smtp import find_links


def _count(app, model=Application) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _apply(client, event_id, data):
    response = client.submit(f"/events/{event_id}/apply", data)
    response.close()  # runs call_on_close: the outbox delivers right after the response
    return response


def test_form_shows_criteria_consent_and_honeypot(client, open_event):
    event_id = open_event().id
    html = client.get(f"/events/{event_id}/apply").get_data(as_text=True)
    for text in ("Altersgruppe", "60 und älter", "Stadtteil", "Ich bin einverstanden", 'name="email"',
                 'name="consent"', 'type="radio"'):
        assert text in html
    assert 'name="website"' in html and 'tabindex="-1"' in html and 'autocomplete="off"' in html
    assert "Dieses Feld bitte leer lassen" in html
    # Data minimisation: nothing else is asked (but the optional opt-in to mails about the measures).
    names = {part.split('"')[0] for part in html.split('name="')[1:]}
    assert {n for n in names if not n.startswith("criterion_")} <= {
        "csrf_token", "name", "email", "consent", "website", "lang", "next", "viewport", "notify_measures"}


def test_apply_confirm_and_manage_through_real_smtp(app, client, open_event, application_form_data, smtp):
    event_id = open_event().id
    response = _apply(client, event_id, application_form_data(event_id, email=" Ada@Example.org "))
    assert response.status_code == 302 and response.location.endswith(f"/events/{event_id}/apply/sent")
    [mail] = smtp.wait_for(lambda m: m["To"] == "ada@example.org")
    assert "Bitte bestätigen" in mail["Subject"]
    assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
    links = find_links(mail)
    confirm = next(link for link in links if "/confirm/" in link)
    manage = next(link for link in links if "/confirm/" not in link and "/applications/" in link)
    assert confirm.startswith(app.config["BASE_URL"])
    path = lambda url: url[len(app.config["BASE_URL"]):]  # noqa: E731

    page = client.get(path(manage)).get_data(as_text=True)
    assert "E-Mail noch nicht bestätigt" in page
    # Opening the link (as a mail scanner would) changes nothing; the button confirms.
    assert client.get(path(confirm)).status_code == 200
    assert "E-Mail noch nicht bestätigt" in client.get(path(manage)).get_data(as_text=True)
    response = client.submit(path(confirm))
    assert response.status_code == 302 and response.location == path(manage)
    page = client.get(path(manage)).get_data(as_text=True)
    assert "Beworben (bestätigt)" in page and "Ihre E-Mail-Adresse ist bestätigt" in page
    with app.app_context():
        application = db.session.execute(sa.select(Application)).scalar_one()
        assert application.status == "applied"
        sent = db.session.execute(sa.select(OutboxMail)).scalar_one()
        assert sent.sent_at is not None and sent.attempts == 1


def test_duplicate_answers_exactly_like_a_first_application(app, client, open_event, application_form_data,
                                                            smtp):
    event_id = open_event().id
    first = _apply(client, event_id, application_form_data(event_id, email="a@x.de"))
    second = _apply(app.test_client(), event_id, application_form_data(event_id, email="A@x.de ", name="Eve"))
    assert (first.status_code, first.location) == (second.status_code, second.location)
    def sent_page(c):
        return re.sub(r'name="csrf_token" value="[^"]*"', "", c.get(first.location).get_data(as_text=True))

    assert sent_page(client) == sent_page(app.test_client())
    assert _count(app) == 1
    mails = smtp.wait_for(lambda m: m["To"] == "a@x.de", count=2)
    assert len(mails) == 2


@pytest.mark.parametrize("window", ["before", "after", "closed_status"])
def test_form_closed_outside_the_window_also_for_direct_post(app, client, open_event, application_form_data,
                                                             window):
    now = utcnow()
    fields = {
        "before": {"applications_open_at": now + timedelta(hours=2)},
        "after": {"applications_close_at": now - timedelta(minutes=1)},
        "closed_status": {"status": "closed"},
    }[window]
    event_id = open_event(**fields).id
    page = client.get(f"/events/{event_id}/apply")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bewerbungen sind nicht möglich" in text and 'name="email"' not in text
    response = _apply(client, event_id, application_form_data(event_id))
    assert response.status_code == 409
    assert "Bewerbungen sind nicht möglich" in response.get_data(as_text=True)
    assert _count(app) == 0 and _count(app, OutboxMail) == 0


def test_draft_event_is_not_found(client, open_event):
    assert client.get(f"/events/{open_event(status='draft').id}/apply").status_code == 404
    assert client.get("/events/999999/apply").status_code == 404


def test_honeypot_looks_like_success_and_stores_nothing(app, client, open_event, application_form_data):
    event_id = open_event().id
    response = _apply(client, event_id, application_form_data(event_id, website="http://spam.example"))
    assert response.status_code == 302 and response.location.endswith("/apply/sent")
    assert _count(app) == 0 and _count(app, OutboxMail) == 0


def test_errors_are_shown_and_nothing_stored(app, client, open_event, application_form_data):
    event_id = open_event().id
    response = _apply(client, event_id, application_form_data(event_id, email="nope", consent=None, name=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in html
    assert "Bitte willigen Sie in die Verarbeitung Ihrer Daten ein." in html
    assert "Bitte geben Sie Ihren Namen ein." in html
    assert 'aria-invalid="true"' in html and 'id="error-summary"' in html
    # the summary names a field by its label, except a label that is a sentence (the consent)
    assert "E-Mail: Bitte geben Sie eine gültige E-Mail-Adresse ein." in html
    assert 'href="#consent">Bitte willigen Sie in die Verarbeitung Ihrer Daten ein.</a>' in html
    assert "ein.: " not in html
    assert _count(app) == 0


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"APPLY_RATE_LIMIT": "3 per hour"}

    def test_fourth_post_gets_a_friendly_429(self, app, client, open_event, application_form_data):
        event_id = open_event().id
        for n in range(3):
            response = _apply(client, event_id, application_form_data(event_id, email=f"p{n}@example.org"))
            assert response.status_code == 302
        data = application_form_data(event_id, name="Zoë <Neu>", email="p9@example.org")
        response = _apply(client, event_id, data)
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 60
        html = response.get_data(as_text=True)
        # Issue 24: the form again, as typed (escaped), with how long to wait; not the bare 429 page.
        assert "Bitte versuchen Sie es in 1 Stunde erneut." in html
        assert 'value="Zoë &lt;Neu&gt;"' in html and 'value="p9@example.org"' in html
        for key, value in data.items():
            if key.startswith("criterion_"):
                assert re.search(rf'<input[^>]*checked[^>]*name="{key}"[^>]*value="{value}"|'
                                 rf'<input[^>]*name="{key}"[^>]*value="{value}"[^>]*checked', html), key
        assert re.search(r'<input[^>]*checked[^>]*id="consent"|<input[^>]*id="consent"[^>]*checked', html)
        assert client.get(f"/events/{event_id}/apply").status_code == 200  # GET is not limited
        assert _count(app) == 3


def _apply_and_get_links(app, client, event_id, form_data, smtp, email="ada@example.org"):
    _apply(client, event_id, form_data(event_id, email=email))
    [mail] = smtp.wait_for(lambda m: m["To"] == email)
    base = app.config["BASE_URL"]
    links = [link[len(base):] for link in find_links(mail)]
    confirm = next(link for link in links if "/confirm/" in link)
    manage = next(link for link in links if "/confirm/" not in link and link.startswith("/applications/"))
    return confirm, manage


def test_correct_and_withdraw_through_the_manage_link(app, client, open_event, application_form_data,
                                                      event_options, smtp):
    event_id = open_event().id
    confirm, manage = _apply_and_get_links(app, client, event_id, application_form_data, smtp)
    client.submit(confirm)
    options = event_options(event_id)
    data = {"name": "Ada King", f"criterion_{options['_id_age']}": str(options["age"][2]),
            f"criterion_{options['_id_district']}": str(options["district"][1])}
    response = client.submit(manage, data)
    assert response.status_code == 302
    page = client.get(manage).get_data(as_text=True)
    assert "Ada King" in page and "60 und älter" in page
    # An option of the other criterion is refused with a message.
    bad = {**data, f"criterion_{options['_id_age']}": str(options["district"][0])}
    response = client.submit(manage, bad)
    assert response.status_code == 422 and "Bitte wählen Sie eine der Antworten" in response.get_data(as_text=True)

    assert "Bewerbung zurückziehen?" in client.get(manage + "/withdraw").get_data(as_text=True)
    response = client.submit(manage + "/withdraw")
    response.close()
    assert response.status_code == 302
    assert "Zurückgezogen" in client.get(manage).get_data(as_text=True)
    smtp.wait_for(lambda m: "zurückgezogen" in m["Subject"])
    with app.app_context():
        assert db.session.execute(sa.select(Application.status)).scalar_one() == "withdrawn"


def test_wrong_token_is_404_and_pages_are_private(app, client, open_event, application_form_data, smtp):
    assert client.get("/applications/not-a-token").status_code == 404
    assert client.get("/applications/x/withdraw").status_code == 404
    assert client.get("/applications/x/confirm/y").status_code == 404
    event_id = open_event().id
    confirm, manage = _apply_and_get_links(app, client, event_id, application_form_data, smtp)
    response = client.get(manage)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    token = manage.rsplit("/", 1)[1]
    assert client.get(confirm.replace(token, token[:-2] + "xx")).status_code == 404
    assert client.get(confirm[:-3] + "abc").status_code == 400


def test_correction_refused_after_the_window(app, client, open_event, application_form_data, smtp):
    event_id = open_event().id
    _, manage = _apply_and_get_links(app, client, event_id, application_form_data, smtp)
    with app.app_context():
        from app.events.models import Event

        db.session.get(Event, event_id).applications_close_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = client.get(manage).get_data(as_text=True)
    assert 'name="name"' not in page
    response = client.submit(manage, {"name": "Changed"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.execute(sa.select(Application.name)).scalar_one() == "Ada Lovelace"


def test_english_applicant_gets_english_mail(app, client, open_event, application_form_data, smtp):
    event_id = open_event().id
    client.set_cookie("ideenmarkt_lang", "en")
    _apply(client, event_id, application_form_data(event_id, email="en@example.org"))
    [mail] = smtp.wait_for(lambda m: m["To"] == "en@example.org")
    assert mail["Subject"].startswith("Please confirm your application")
    assert "thank you for applying" in mail.get_body(("plain",)).get_content()
