"""A form sent after the session has expired (12 hours, the form token is bound to it) keeps what
was typed (issue 16 item 7, app/core/formreplay.py): the page comes back with the values, a fresh
token and a message; nothing is stored until it is sent again. A cross-site POST still changes
nothing and is shown nothing back."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.events.models import Application, Event
from app.extensions import db
from tests.support.clients import expire_session


def applications(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Application))


def token_in(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_an_expired_session_gives_the_form_back_with_the_typed_values(app, client, open_event,
                                                                      application_form_data):
    event_id = open_event().id
    data = application_form_data(event_id, name="Grete Müller-Lüdenscheidt", email="grete@example.org")
    data["csrf_token"] = client.csrf_token()
    data["_page"] = f"/events/{event_id}/apply"
    expire_session(app, client)

    response = client.post(f"/events/{event_id}/apply", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Ihre Sitzung war abgelaufen" in html and "erneut ab" in html
    assert 'value="Grete Müller-Lüdenscheidt"' in html and 'value="grete@example.org"' in html
    assert applications(app) == 0  # nothing was stored

    # Sent again with the page's fresh token, the application is taken.
    data["csrf_token"] = token_in(html)
    assert client.post(f"/events/{event_id}/apply", data=data).status_code == 302
    assert applications(app) == 1


def test_in_english(app, client, open_event, application_form_data):
    event_id = open_event().id
    data = application_form_data(event_id, name="Grace Hopper")
    data["csrf_token"] = client.csrf_token()
    expire_session(app, client)
    html = client.post(f"/events/{event_id}/apply", data=data, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your session had expired" in html and 'value="Grace Hopper"' in html


def test_a_cross_site_post_is_refused_and_shown_nothing_back(app, client, open_event, application_form_data):
    event_id = open_event().id
    data = application_form_data(event_id, name="Mallory Evil")
    attacker = app.test_client()
    data["csrf_token"] = attacker.csrf_token()  # a valid token, but of another browser's session
    client.csrf_token()
    for victim in (client, app.test_client()):  # with a session of its own, and with none (SameSite)
        response = victim.post(f"/events/{event_id}/apply", data=data)
        assert response.status_code == 400
        assert "Mallory Evil" not in response.get_data(as_text=True)
    expire_session(app, client)
    response = client.post(f"/events/{event_id}/apply", data=data)
    assert response.status_code == 400 and "Mallory Evil" not in response.get_data(as_text=True)
    assert applications(app) == 0


def test_a_staff_form_after_the_login_ended_shows_the_text_to_copy(app, staff_client, create_event):
    client = staff_client("admin")
    event_id = create_event().id
    page = client.get(f"/manage/events/{event_id}/edit").get_data(as_text=True)
    data = {"csrf_token": token_in(page), "title": "Zukunftswerkstatt Altstadt\nmit langem Text",
            "_page": f"/manage/events/{event_id}/edit"}
    expire_session(app, client)
    response = client.post(f"/manage/events/{event_id}/edit", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Kopieren Sie" in html and "Zukunftswerkstatt Altstadt\nmit langem Text</textarea>" in html
    with app.app_context():
        assert db.session.get(Event, event_id).title == "Bürger-Workshop"
