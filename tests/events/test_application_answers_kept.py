"""Criteria answers stay selected: after a validation error on the apply form, and on the
correction form behind the private link (which must save unchanged)."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.events.models import Application, ApplicationAnswer
from app.extensions import db
from tests.support.smtp import find_links


def checked_radios(html: str) -> dict[str, str]:
    """radio group name → value of its checked radio, as the browser would show it."""
    checked = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        if 'type="radio"' in tag and re.search(r"\bchecked\b", tag):
            name = re.search(r'name="([^"]+)"', tag).group(1)
            value = re.search(r'value="([^"]*)"', tag).group(1)
            assert name not in checked, f"two radios of {name} checked"
            checked[name] = value
    return checked


def test_answers_stay_selected_after_a_validation_error(client, open_event, application_form_data,
                                                        event_options):
    event_id = open_event().id
    options = event_options(event_id)
    chosen = {f"criterion_{options['_id_age']}": str(options["age"][2]),
              f"criterion_{options['_id_district']}": str(options["district"][1])}
    response = client.submit(f"/events/{event_id}/apply",
                             application_form_data(event_id, email="not-an-email", **chosen))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in html
    assert checked_radios(html) == chosen


def test_an_answer_that_is_no_option_is_not_shown_as_selected(client, open_event, application_form_data,
                                                               event_options):
    event_id = open_event().id
    options = event_options(event_id)
    age = f"criterion_{options['_id_age']}"
    response = client.submit(f"/events/{event_id}/apply",
                             application_form_data(event_id, **{age: "abc"}))
    assert response.status_code == 422
    assert age not in checked_radios(response.get_data(as_text=True))


def test_correction_form_is_filled_and_saves_unchanged(app, client, open_event, application_form_data,
                                                       event_options, smtp):
    event_id = open_event().id
    options = event_options(event_id)
    chosen = {f"criterion_{options['_id_age']}": str(options["age"][1]),
              f"criterion_{options['_id_district']}": str(options["district"][1])}
    response = client.submit(f"/events/{event_id}/apply", application_form_data(event_id, **chosen))
    response.close()
    assert response.status_code == 302
    [mail] = smtp.wait_for(lambda m: m["To"] == "ada@example.org")
    base = app.config["BASE_URL"]
    manage = next(link[len(base):] for link in find_links(mail)
                  if "/confirm/" not in link and "/applications/" in link)

    html = client.get(manage).get_data(as_text=True)
    assert checked_radios(html) == chosen
    # Save as the browser would send the form: the name changed, the answers as shown.
    response = client.submit(manage, {"name": "Ada King", **checked_radios(html)})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert checked_radios(client.get(manage).get_data(as_text=True)) == chosen
    with app.app_context():
        assert db.session.execute(sa.select(Application.name)).scalar_one() == "Ada King"
        stored = db.session.execute(sa.select(ApplicationAnswer.option_id)).scalars().all()
        assert sorted(stored) == sorted(int(v) for v in chosen.values())
