"""German by default, English on request, remembered; every string translated."""
from __future__ import annotations

from scripts import i18n


def test_german_is_default(client):
    body = client.get("/login").get_data(as_text=True)
    assert 'lang="de"' in body
    assert "Anmeldung für Mitarbeitende" in body


def test_switch_to_english_is_remembered(client):
    response = client.submit("/language", {"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.location == "/login"
    body = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in body and "Staff login" in body
    body = client.get("/").get_data(as_text=True)
    assert "Take part in your city" in body
    client.submit("/language", {"lang": "de"})
    assert "Gestalten Sie Ihre Stadt mit" in client.get("/").get_data(as_text=True)


def test_unknown_language_and_offsite_next_are_ignored(client):
    response = client.submit("/language", {"lang": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.location == "/"
    assert 'lang="de"' in client.get("/").get_data(as_text=True)


def test_error_pages_in_english(client):
    client.submit("/language", {"lang": "en"})
    body = client.get("/nothing-here").get_data(as_text=True)
    assert "Page not found" in body


def test_every_string_has_a_german_translation():
    missing = i18n.missing_translations()
    assert not missing, "untranslated strings (run scripts/i18n.py update, then translate):\n" + "\n".join(missing)


def test_dates_follow_locale(app):
    from datetime import datetime

    from flask_babel import force_locale, format_datetime

    moment = datetime(2019, 4, 1, 16, 0)  # naive UTC = 18:00 in Esslingen
    with app.test_request_context():
        with force_locale("de"):
            german = format_datetime(moment, "medium")
        with force_locale("en"):
            english = format_datetime(moment, "medium")
    assert "01.04.2019" in german and "18:00" in german
    assert "Apr 1, 2019" in english and "6:00" in english
