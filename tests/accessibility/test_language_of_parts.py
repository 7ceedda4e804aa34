"""Language of parts (WCAG 3.1.2, issue 16 item 6): content written in German (titles, stands,
ideas, tags) carries ``lang="de"`` on English pages and no ``lang`` on German ones."""
from __future__ import annotations

import re

import pytest


@pytest.fixture
def world(app, smtp):
    from tests.factories.api import build_world

    with app.test_request_context():
        return build_world()


def marked(html: str, text: str) -> bool:
    """Whether the element right around ``text`` says lang="de"."""
    match = re.search(r"<(?!title)[a-z0-9]+\b([^>]*)>\s*" + re.escape(text), html)
    assert match, text
    return 'lang="de"' in match.group(1)


def test_content_is_marked_german_on_english_pages(client, world, app):
    from app.events.models import Event, Process
    from app.extensions import db

    with app.app_context():
        event_title = db.session.get(Event, world.event_id).title
        process_title = db.session.get(Process, world.process_id).title
    pages = {f"/events/{world.event_id}": event_title, f"/processes/{world.process_id}": process_title}
    for path, title in pages.items():
        german = client.get(path).get_data(as_text=True)
        assert not marked(german, title), path
    client.submit("/language", {"lang": "en", "next": "/"})
    for path, title in pages.items():
        english = client.get(path).get_data(as_text=True)
        assert '<html lang="en"' in english
        assert marked(english, title), path


def test_content_language_follows_the_setting_and_the_process(app):
    from types import SimpleNamespace

    from app.core.i18n import content_lang, content_language

    with app.test_request_context("/?lang=en"):
        from flask_babel import force_locale

        with force_locale("en"):
            assert str(content_lang()) == ' lang="de"'
            assert content_language(SimpleNamespace(content_language="en")) == "en"
            assert str(content_lang(SimpleNamespace(content_language="en"))) == ""
        with force_locale("de"):
            assert str(content_lang()) == ""


def test_content_inside_a_sentence_is_marked_on_its_own(app):
    """``|content`` marks a title inside a translated sentence ("Stands of …") with a span, escaped;
    on a page in the content's language it is the escaped text alone."""
    from flask import render_template_string
    from flask_babel import force_locale

    template = '{{ _("Lottery") }}: {{ title|content }}'
    with app.test_request_context("/"):
        with force_locale("en"):
            assert render_template_string(template, title="Bürger & Rat") == \
                'Lottery: <span lang="de">Bürger &amp; Rat</span>'
        with force_locale("de"):
            assert render_template_string(template, title="Bürger & Rat") == "Auslosung: Bürger &amp; Rat"


def test_html_mails_mark_the_titles_they_quote(app):
    """An English mail quotes the German title in a span lang="de" (the plain-text part cannot)."""
    from pathlib import Path

    from flask import render_template_string
    from flask_babel import force_locale

    source = '{{ _("you have been drawn for a seat at “%(title)s”.", title=title|quoted|content) }}'
    with app.test_request_context():
        with force_locale("en"):
            english = render_template_string(source, title="Bürgerrat „Mobilität“")
        with force_locale("de"):
            german = render_template_string(source, title="Bürgerrat")
    assert english == 'you have been drawn for a seat at “<span lang="de">Bürgerrat ‘Mobilität’</span>”.'
    assert "<span" not in german
    mails = Path(app.root_path).glob("*/templates/*/mail/*.html")
    unmarked = [f"{path.name}: {line.strip()}" for path in mails for line in path.read_text().splitlines()
                if re.search(r"=(event|process)\.title\b", line) and "|content" not in line]
    assert not unmarked, "\n".join(unmarked)


def test_an_events_place_and_group_are_marked_german_on_english_pages(client, app):
    """The event cards and the event page show the place and the stakeholder group as content."""
    from app.events.models import Event, Process
    from app.extensions import db

    with app.app_context():
        event = Event(process=Process(title="Esslingen 4.0"), title="Workshop mit der Hochschule",
                      status="published", seats=10, place="Altes Rathaus, Bürgersaal", stakeholder_group="Hochschule")
        db.session.add(event)
        db.session.commit()
        event_id, process_id = event.id, event.process_id
    pages = (f"/events/{event_id}", f"/processes/{process_id}")
    for path in pages:
        german = client.get(path).get_data(as_text=True)
        assert not marked(german, "Altes Rathaus, Bürgersaal") and not marked(german, "Hochschule<"), path
    client.submit("/language", {"lang": "en", "next": "/"})
    for path in pages:
        english = client.get(path).get_data(as_text=True)
        assert marked(english, "Altes Rathaus, Bürgersaal") and marked(english, "Hochschule<"), path


def test_the_consent_text_is_marked_german_on_the_english_apply_form(client, app, create_event):
    """The event's consent text (written by the city) is content: lang="de" on the English apply
    form, still tied to the consent box; nothing on the German one."""
    from datetime import timedelta

    from app.core.models import utcnow

    now = utcnow()
    event_id = create_event(status="open", seats=10, title="Zukunftswerkstatt", starts_at=now + timedelta(days=30),
                            ends_at=now + timedelta(days=30, hours=4), applications_open_at=now - timedelta(days=1),
                            applications_close_at=now + timedelta(days=14),
                            consent_text="Ich willige in die Verarbeitung meiner Daten ein.").id
    german = client.get(f"/events/{event_id}/apply").get_data(as_text=True)
    assert '<p id="consent-text" class="consent">Ich willige' in german
    client.submit("/language", {"lang": "en", "next": "/"})
    english = client.get(f"/events/{event_id}/apply").get_data(as_text=True)
    assert '<p id="consent-text" class="consent" lang="de">Ich willige' in english
    assert re.search(r'id="consent"[^>]*aria-describedby="consent-text"|aria-describedby="consent-text"[^>]*id="consent"',
                     english)
