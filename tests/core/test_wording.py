"""The German wording: one term per concept, real sentences, real plural forms.

The terms (README, "German wording"): Veranstaltung (never Workshop/Werkstatt), Marktstand (never a
bare "Stand", which would also read as "state"), Status, Auslosung, Einlass ("eingelassen", not
"eingecheckt"), Ort for the venue, Bewerbungsphase for the application window, E-Mail, an idea's
number as "Idee Nr. 18" (a "#" is a tag), Sie-form, gender-fair words.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from scripts import i18n

#: text that must not appear in any German translation, with the reason shown when it does
FORBIDDEN = [
    (r"Werkstatt|Workshop", "an event is a „Veranstaltung“"),
    (r"(?<![\wäöüÄÖÜß-])Stand(s|es)?\b|(?<![\wäöüÄÖÜß-])Stände(n)?\b",
     "a market stand is a „Marktstand“, a state is a „Status“"),
    (r"[Ee]ingecheckt|[Ee]inchecken|Check-in", "check-in is „Einlass“ / „eingelassen“"),
    (r"Bewerbungszeitraum|Bewerbungsfrist|Bewerbung (schließen|öffnen|offen)",
     "the application window is the „Bewerbungsphase“"),
    (r"(?<![\w-])Mails?\b", "„E-Mail“"),
    (r"#\s*%\(|#\d", "an idea's number is „Nr. 18“; „#“ marks a tag"),
    (r"\w\((r|n|en|e|s|in|innen)\)|\w/\w+e\b(?=.*Pl[aä]tz)|Platz/Plätze",
     "no plural or gender hacks: use ngettext or a gender-fair word"),
    (r"„[^“]*„", "no nested „ „ quotes"),
    (r"(?i)\b(du|dich|dir|dein\w*)\b", "the interface says „Sie“"),
    (r"(?<!innen und )\b(Benutzer|Empfänger|Administrator|Moderator|Teilnehmer|Bewerber)\b",
     "gender-fair: Konto, Person, Administration, Moderation, Teilnehmende, Bewerberinnen und Bewerber"),
    (r"wurde sich\b|für eine Losung|Datenschutzbeauftragte Stelle|Höchstens Punkte\b|\.:",
     "a sentence found wrong in real use"),
]

#: English count words: a number placeholder followed by one of these is a count that needs ngettext
COUNT_NOUNS = (r"characters|days?|hours?|seats?|dots?|ideas?|entries|applications?|applicants?|mails?|"
               r"criteria|options?|tags?|rows?|tickets?|counts?|measures?|people|persons?|steps?|stands?|"
               r"events?|panels?|workshops?|minutes?")
#: (an idea's number, "%(id)s" or "%(source)s" filled in as „Nr. 12“, is not a count).
COUNT = re.compile(r"(?<!#)%\((?!id\)|source\)|target\))(\w+)\)[ds]\s+(?:[a-z-]+\s+)?(?:" + COUNT_NOUNS + r")\b")


def german_messages():
    for po in i18n.catalogue_files("de"):
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id:
                    yield po.parts[-5], message


def _texts(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.mark.parametrize(("pattern", "reason"), FORBIDDEN, ids=[r for _, r in FORBIDDEN])
def test_german_catalogues_use_the_terms(pattern, reason):
    found = [f"{feature}: {text!r}" for feature, message in german_messages() for text in _texts(message)
             if re.search(pattern, text or "")]
    assert not found, reason + ":\n" + "\n".join(found)


def test_a_counted_noun_has_plural_forms():
    """„1 Mails gesendet“ comes from gettext("%(n)d mails sent"): a count needs ngettext."""
    found = [f"{feature}: {message.id!r}" for feature, message in german_messages()
             if isinstance(message.id, str) and COUNT.search(message.id)]
    assert not found, "use ngettext / {% trans count=… %} for these:\n" + "\n".join(found)


def test_plural_messages_have_two_different_german_forms_where_the_noun_changes():
    """A plural entry whose two German forms are the same is fine only where German has one form."""
    same = [f"{feature}: {message.id[0]!r} -> {message.string!r}" for feature, message in german_messages()
            if isinstance(message.id, tuple) and message.string[0] == message.string[1]
            and message.id[0] != message.id[1] and not re.search(r"Zeichen|ausgeblendet|zusammengeführt",
                                                                 message.string[0])]
    assert not same, "\n".join(same)


def test_the_pattern_catches_what_was_found():
    """The checks above would have failed on the texts residents and staff met."""
    texts = ["Mit dieser E-Mail-Adresse wurde sich für diese Veranstaltung bereits beworben.",
             "%(expired)d nicht bestätigte(r) Platz/Plätze verfallen", "Idee #%(id)d gespeichert.",
             "„Bürger-Workshop „Esslingen 4.0““", "Alle Benutzer", "Alle Stände", "ihren Stand ändert",
             "Höchstens Punkte auf eine Idee", "Datenschutzbeauftragte Stelle", "Eingecheckt",
             "Bewerbung schließen", "1 Mails gesendet", "ein.: Bitte willigen Sie"]
    for text in texts:
        assert any(re.search(pattern, text) for pattern, _ in FORBIDDEN), text
    assert COUNT.search("%(sent)d mails sent.") and COUNT.search("at most %(max)d characters")
    assert not COUNT.search("Page %(page)d of %(pages)d") and not COUNT.search("Option %(n)d")


def test_templates_hold_no_german_text_outside_the_catalogues():
    """German lives in the catalogues; a template with German words would show them in English too."""
    german = re.compile(r"[äöüÄÖÜß]|\b(und|oder|Sie|Ihre?|nicht|Veranstaltung|Bewerbung)\b")
    found = []
    for path in sorted(Path(i18n.APP).glob("*/templates/**/*.*")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            visible = re.sub(r"{[{%#].*?[}%#]}|<[^>]*>", " ", line)
            if german.search(visible):
                found.append(f"{path.relative_to(i18n.ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_a_quoted_title_gets_single_inner_quotes(app):
    """Mails quote the event's title; a title with quotes of its own must not give „…„…““."""
    from flask import render_template_string
    from flask_babel import force_locale

    title = "Bürger-Workshop „Esslingen 4.0“"
    source = '{{ _("thank you for applying for a seat at “%(title)s”.", title=title|quoted) }}'
    with app.test_request_context():
        with force_locale("de"):
            german = render_template_string(source, title=title)
        with force_locale("en"):
            english = render_template_string(source, title=title)
    assert german == "vielen Dank für Ihre Bewerbung um einen Platz bei „Bürger-Workshop ‚Esslingen 4.0‘“."
    assert english == "thank you for applying for a seat at “Bürger-Workshop ‘Esslingen 4.0’”."
    mails = [p.read_text(encoding="utf-8") for p in Path(i18n.APP).glob("*/templates/*/mail/*")]
    assert not [line for text in mails for line in text.splitlines()
                if "“%(title)s”" in line and "title=event.title" in line and "title=event.title|quoted" not in line]
