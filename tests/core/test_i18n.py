"""German by default, English on request, remembered; every string translated."""
from __future__ import annotations

import pytest

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


def test_the_browsers_language_chooses_until_the_switch_is_used(client):
    """A browser that asks for English (Accept-Language en-GB) gets English pages; German ones
    for German, for any language the site does not have and for none; the switch wins."""
    for asked, lang in (("en-GB,en;q=0.9", "en"), ("en", "en"), ("de-DE,de;q=0.9,en;q=0.8", "de"),
                        ("fr", "de"), ("fr,en;q=0.5", "en"), ("*", "de")):
        body = client.get("/login", headers={"Accept-Language": asked}).get_data(as_text=True)
        assert f'<html lang="{lang}"' in body, asked
    assert "Staff login" in client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    client.submit("/language", {"lang": "de"})
    body = client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="de"' in body and "Anmeldung für Mitarbeitende" in body


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


# ---------------------------------------------------------------- one translation per text

def _po(path, entries):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="de")
    for msgid, msgstr, context in entries:
        catalog.add(msgid, msgstr, context=context)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog)
    return path


def test_check_fails_when_two_catalogues_translate_one_text_differently(tmp_path):
    def po(feature, entries):
        return _po(tmp_path / feature / "translations" / "de" / "LC_MESSAGES" / "messages.po", entries)

    files = [po("events", [("Place", "Ort", None), ("Status", "Status", None)]),
             po("lottery", [("Place", "Platz", None), ("Status", "Status", None)])]
    problems = i18n.conflicting_translations(files)
    assert len(problems) == 1
    assert "'Place'" in problems[0] and "events: 'Ort'" in problems[0] and "lottery: 'Platz'" in problems[0]

    # the same English word in two meanings is fine once each meaning has its context
    files = [po("events", [("Place", "Ort", "venue")]), po("lottery", [("Place", "Platz", "seat")])]
    assert i18n.conflicting_translations(files) == []


def test_catalogues_translate_each_text_once():
    conflicts = i18n.conflicting_translations()
    assert not conflicts, "\n".join(conflicts)


def test_check_command_reports_conflicts(tmp_path, monkeypatch, capsys):
    files = [_po(tmp_path / f / "translations" / "de" / "LC_MESSAGES" / "messages.po", [("Option", text, None)])
             for f, text in (("events", "Antwort"), ("lottery", "Option"))]
    monkeypatch.setattr(i18n, "missing_translations", lambda: [])
    monkeypatch.setattr(i18n, "catalogue_files", lambda locale: files)
    assert i18n.main(["i18n.py", "check"]) == 1
    assert "conflicting translation" in capsys.readouterr().out


@pytest.mark.parametrize(("context", "msgid", "german"), [
    ("venue", "Place", "Ort"),
    ("seat", "Place", "Platz"),
    (None, "Hello %(name)s,", "Guten Tag %(name)s,"),
    (None, "Status", "Status"),
    (None, "Status:", "Status:"),
    (None, "Stand", "Marktstand"),
    (None, "Stands", "Marktstände"),
    (None, "Option", "Antwort"),
    (None, "Minimum seats", "Mindestzahl Plätze"),
    (None, "Maximum seats", "Höchstzahl Plätze"),
    (None, "Created", "Erstellt"),
    (None, "Seats drawn", "Plätze ausgelost"),
])
def test_merged_catalogue_has_the_meant_translation(app, context, msgid, german):
    from flask_babel import force_locale, gettext, pgettext

    with app.test_request_context(), force_locale("de"):
        text = pgettext(context, msgid) if context else gettext(msgid)
    assert text == german


def test_event_form_calls_the_venue_ort(app, staff_client, create_process):
    admin = staff_client("admin")
    process_id = create_process().id
    body = admin.get(f"/manage/processes/{process_id}/events/new").get_data(as_text=True)
    assert '<label for="place">Ort</label>' in body


MARKUP = '<img src=x onerror="alert(1)">&'
ESCAPED = "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;"


def test_parameters_of_lazy_messages_are_escaped_in_html(app):
    """A lazily translated message (as domain errors carry) put into a page escapes its
    parameters, wherever it goes: ``{{ message }}``, markupsafe.escape, Markup formatting,
    a WTForms label, a message inside another message; numbers still format as numbers."""
    from flask import render_template_string
    from flask_babel import lazy_gettext, lazy_ngettext, lazy_pgettext
    from markupsafe import Markup, escape
    from wtforms import Form, StringField

    with app.test_request_context():
        inner = lazy_gettext("Please answer “%(label)s”.", label=MARKUP)
        messages = {
            "gettext": inner,
            "number and text": lazy_gettext("Line %(line)d: %(problem)s", line=3, problem=MARKUP),
            "nested": lazy_gettext("Line %(line)d: %(problem)s", line=4, problem=inner),
            "ngettext": lazy_ngettext("%(num)d idea: %(title)s", "%(num)d ideas: %(title)s", 2, title=MARKUP),
            "context": lazy_pgettext("test", "Idea %(title)s", title=MARKUP),
        }
        for name, message in messages.items():
            page = render_template_string("<p>{{ m }}</p>", m=message)
            assert MARKUP not in page and "<img" not in page and ESCAPED in page, (name, page)
            assert "<img" not in escape(message) and "<img" not in Markup("<p>%s</p>") % message, name
            assert str(message).count(MARKUP) == 1, name  # the text itself is unchanged
        assert "Zeile 4:" in render_template_string("{{ m }}", m=messages["nested"])
        assert "&amp;lt;" not in render_template_string("{{ m }}", m=messages["nested"])  # escaped once
        assert "2 ideas" in render_template_string("{{ m }}", m=messages["ngettext"])

        class LabelForm(Form):
            name = StringField(lazy_gettext("Criterion “%(label)s”", label=MARKUP))

        assert "<img" not in str(LabelForm().name.label())
