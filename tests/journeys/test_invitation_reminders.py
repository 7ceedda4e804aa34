"""Staff send reminder letters in Chromium (issue 17), in German on the desktop and in English on a
phone: the counts (invited, answered, reminded, not answered yet); the reminder's text saved with a
mistake first (an empty subject: the message at the field, the text kept), then corrected; a run with
a new answer deadline in the past (the message at the field, the dates kept), then a later one; the
letters made by a job and downloaded (one letter per invitee who has not answered, with the new
deadline); a second run reminds nobody twice unless staff ask; the history lists the runs.

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from pypdf import PdfReader

from app.accounts import services as accounts
from app.core.formatting import format_day
from app.core.models import utcnow
from app.events.models import Criterion, Event, Process
from app.extensions import db
from app.invitations import answering
from app.invitations.models import Invitation
from tests.support.browser import assert_no_axe_violations, assert_page_fit
from tests.support.clients import DEFAULT_PASSWORD
from tests.factories.invitations import draw_invitations
from tests.support.journeys import journey_app, logged_in_page, serving

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    app = journey_app(tmp_path_factory.mktemp("reminders"), smtp_server, _pg_schema)
    events = {}
    with app.test_request_context():
        now = utcnow()
        accounts.create_user("admin@stadt.example", "Anna Admin", DEFAULT_PASSWORD, ["admin"])
        for lang in ("de", "en"):
            event = Event(process=Process(title=f"Bürgerrat Esslingen ({lang})"), title="Bürgerrat Klima",
                          status="open", seats=15, starts_at=now + timedelta(days=60), ends_at=now + timedelta(days=61))
            db.session.add(event)
            db.session.commit()
            invited = draw_invitations(event.id, letters=8, answer_deadline=now + timedelta(days=14))
            # One invitee has answered online already: no reminder for them.
            first = db.session.get(Invitation, invited[0][0])
            education = db.session.execute(sa.select(Criterion).where(Criterion.event_id == event.id,
                                                                      Criterion.key == "education")).scalar_one()
            answering.answer(first, answers={education.id: education.options[1].id}, phone="0711 123456",
                             email=None, consent=True, language="de")
            db.session.commit()
            events[lang] = (event.id, [code for _, code in invited])
    with serving(app) as url:
        yield {"app": app, "url": url, "events": events}


@pytest.fixture
def admin(browser, world):
    contexts = []

    def factory(lang: str, device: dict | None = None):
        context, page = logged_in_page(browser, world["url"], "admin@stadt.example", DEFAULT_PASSWORD, lang=lang,
                                       device=device)
        contexts.append(context)
        return page

    yield factory
    for context in contexts:
        context.close()


TEXT = {
    "de": {"subject": "Betreff der Erinnerung", "save": "Erinnerungsschreiben speichern",
           "saved": "Das Erinnerungsschreiben wurde gespeichert.", "deadline": "Neue Antwortfrist (freiwillig)",
           "make": "Erinnerungsschreiben erstellen (PDF)", "by": "Alle erinnern, die nicht geantwortet haben bis",
           "seven": "7 eingeladene Personen erhalten ein Erinnerungsschreiben.",
           "download": "Erinnerungsschreiben herunterladen (PDF)", "past": "muss nach dem heutigen Tag liegen",
           "twice": "bereits erinnert", "again": "Erneut erinnern: auch alle, die schon eine Erinnerung erhalten haben"},
    "en": {"subject": "Subject of the reminder", "save": "Save the reminder letter",
           "saved": "The reminder letter was saved.", "deadline": "New answer deadline (optional)",
           "make": "Make the reminder letters (PDF)", "by": "Remind everyone who has not answered by",
           "seven": "7 invitees will get a reminder letter.", "download": "Download the reminder letters (PDF)",
           "past": "must be after today", "twice": "reminded already",
           "again": "Remind again: also those who have had a reminder already"},
}


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize(("lang", "device"), [("de", None), ("en", PHONE)])
def test_staff_remind_those_who_have_not_answered(admin, world, lang, device):
    t, (event_id, codes) = TEXT[lang], world["events"][lang]
    page = admin(lang, device)
    page.goto(f"{world['url']}/manage/events/{event_id}/invitations#reminders")
    counts = {name: page.locator(f"#count-{name}").inner_text() for name in ("invited", "answered", "reminded", "open")}
    assert counts == {"invited": "8", "answered": "1", "reminded": "0", "open": "7"}
    assert_page_fit(page, f"invitations page with reminders ({lang})")
    assert_no_axe_violations(page, f"invitations page with reminders ({lang})")

    # The reminder's text with a mistake: an empty subject. The message is at the field, the text is kept.
    body = page.locator("#reminder-reminder_body")
    typed_body = body.input_value() + "\n\nBitte antworten Sie bis zur neuen Frist."
    body.fill(typed_body)
    page.get_by_label(t["subject"]).fill("")
    page.get_by_role("button", name=t["save"]).click()
    page.locator("#reminder-reminder_subject-error").wait_for()
    assert page.locator("#reminder-reminder_subject").get_attribute("aria-invalid") == "true"
    assert page.locator("#reminder-reminder_body").input_value() == typed_body
    assert_no_axe_violations(page, f"reminder text refused ({lang})")
    page.get_by_label(t["subject"]).fill("Erinnerung: Ihre Einladung zum Bürgerrat <Klima>")
    page.get_by_role("button", name=t["save"]).click()
    page.locator(".flash", has_text=t["saved"]).wait_for()
    assert page.get_by_label(t["subject"]).input_value() == "Erinnerung: Ihre Einladung zum Bürgerrat <Klima>"
    assert page.locator("#reminder-reminder_body").input_value() == typed_body

    # A run with a new answer deadline in the past: refused at the field, the dates kept; then a later one.
    today = utcnow().date()
    page.get_by_label(t["deadline"]).fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name=t["make"]).click()
    page.locator("#reminder-new_deadline-error").wait_for()
    assert t["past"] in page.locator("#reminder-new_deadline-error").inner_text()
    assert page.get_by_label(t["deadline"]).input_value() == (today - timedelta(days=1)).isoformat()
    assert page.get_by_label(t["by"]).input_value() == today.isoformat()
    assert page.locator("#count-reminded").inner_text() == "0"  # nothing was recorded
    new_deadline = today + timedelta(days=30)
    page.get_by_label(t["deadline"]).fill(new_deadline.isoformat())
    page.get_by_role("button", name=t["make"]).click()
    page.locator(".flash", has_text=t["seven"]).wait_for()
    assert page.locator("#count-reminded").inner_text() == "7"
    assert page.locator("#reminder-history tbody tr").count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name=t["download"]).click()
    letters = _pdf_text(open(download.value.path(), "rb").read())
    fronts = letters[::2]  # each letter has its reply form on the back
    assert len(fronts) == 7 and all("Erinnerung: Ihre Einladung zum Bürgerrat <Klima>" in text for text in fronts)
    with world["app"].test_request_context(), force_locale("de"):  # the letters are German
        deadline_text = format_day(new_deadline, "long")
    assert all(deadline_text in " ".join(text.split()) for text in fronts), fronts[0]
    assert not any(codes[0][:4] in text and codes[0][-4:] in text for text in fronts)  # who answered gets none
    assert_page_fit(page, f"reminders made ({lang})")
    assert_no_axe_violations(page, f"reminders made ({lang})")

    # A second run reminds nobody twice, unless staff ask for it.
    page.get_by_role("button", name=t["make"]).click()
    page.locator("#reminder-again-error").wait_for()
    assert t["twice"] in page.locator("#reminder-again-error").inner_text()
    page.get_by_label(t["again"]).check()
    page.get_by_role("button", name=t["make"]).click()
    page.locator(".flash", has_text=t["seven"]).wait_for()
    assert page.locator("#reminder-history tbody tr").count() == 2
