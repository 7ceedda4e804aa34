"""A newcomer in the demo, as a person does it (issue 24): on a fresh database loaded with
``flask demo load``, a resident on a phone applies for the open event with a mistake and
corrects it, reads the confirmation mail in the development outbox (no SMTP configured),
confirms, comes back through the private link and corrects the application; then follows the
2019 workshop's whole story (lottery with commitment and audit, ideas at three stands, dots,
published results, measures); in German and in English. Staff see their start page and edit the
draft event's criteria (save, edit again), on a phone-wide window too.

One app on the demo, one live server and one browser (the session's) for the whole module.
Every page passes :func:`~tests.support.browser.assert_page_fit` (axe, 320 px, no leftovers).
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.events.models import Application, Event, Process
from app.extensions import db
from tests.support.browser import assert_page_fit
from tests.support.journeys import journey_app, logged_in_page, serving

pytestmark = pytest.mark.browser

WORKSHOP_2019 = "Digitalisierungsstrategie"
TEXT = {
    "de": {"apply": "Bewerbung absenden", "email": "E-Mail", "bad_email": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
           "consent": "Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.",
           "confirm": "Bewerbung bestätigen", "confirmed": "Beworben (bestätigt)", "save": "Änderungen speichern",
           "saved": "Ihre Änderungen wurden gespeichert.", "save_criterion": "Kriterium speichern"},
    "en": {"apply": "Send application", "email": "Email", "bad_email": "Please enter a valid email address.",
           "consent": "I agree to the processing of my data as described above.",
           "confirm": "Confirm application", "confirmed": "Applied (confirmed)", "save": "Save changes",
           "saved": "Your changes have been saved.", "save_criterion": "Save criterion"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    """The app after ``flask demo load`` (mail kept in the outbox, shown to admins, as in
    development), served over HTTP."""
    tmp = tmp_path_factory.mktemp("newcomer")
    app = journey_app(tmp, smtp_server, _pg_schema, OUTBOX_SHOWS_MAIL=True)
    with app.app_context():
        from app.demo import load_demo

        result = load_demo()
        db.session.commit()
        # (the citizens' council by invitation is open too, but not for applications)
        events = {e.status: e for e in db.session.execute(sa.select(Event)).scalars() if not e.invitation_only}
        workshop = db.session.execute(sa.select(Event).where(Event.title.contains(WORKSHOP_2019))).scalar_one()
        ids = {"open": events["open"].id, "draft": events["draft"].id, "workshop": workshop.id,
               "process": db.session.execute(sa.select(Process.id)).scalars().first()}
    admin = next((email, password) for email, password, roles in result.logins if "admin" in roles)
    with serving(app) as url:
        yield {"app": app, "url": url, "admin": admin, **ids}


@pytest.fixture
def staff(browser, world):
    """``staff(lang)`` → a page of the demo's admin, logged in through the login form."""
    contexts = []

    def factory(lang: str = "de"):
        context, page = logged_in_page(browser, world["url"], *world["admin"], lang=lang)
        contexts.append(context)
        return page

    yield factory
    for context in contexts:
        context.close()


def _phone(new_page, lang):
    page = new_page(phone=True, locale="de-DE" if lang == "de" else "en-GB")
    page.set_default_timeout(15_000)
    return page


def _choose_first_answers(page) -> list[str]:
    chosen = []
    for group in page.locator("main fieldset").all():
        radio = group.get_by_role("radio").first
        radio.check()
        chosen.append(radio.get_attribute("id"))
    return chosen


def _mail_links_from_outbox(staff_page, world, address: str) -> tuple[str, str]:
    """The confirmation mail as a newcomer reads it in development: the admin's outbox view."""
    staff_page.goto(f"{world['url']}/manage/outbox")
    row = staff_page.locator("tr", has_text=address).first
    row.get_by_role("link").first.click()
    staff_page.wait_for_load_state()
    assert_page_fit(staff_page, "a mail in the outbox", allow=[address])
    links = re.findall(r"https?://[^\s\"<>]+", staff_page.locator("main").inner_text())
    confirm = next(link for link in links if "/confirm/" in link)
    manage = next(link for link in links if "/applications/" in link and "/confirm/" not in link)
    return confirm, manage


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_newcomer_applies_reads_the_mail_confirms_and_corrects(world, new_page, staff, lang):
    t, address = TEXT[lang], f"nora.{lang}@example.org"
    page = _phone(new_page, lang)
    page.goto(f"{world['url']}/events/{world['open']}")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
    assert_page_fit(page, f"the open demo event ({lang})")
    page.locator(f"a[href$='/events/{world['open']}/apply']").first.click()
    page.get_by_label("Name").fill("Nora Neumann")
    page.get_by_label(t["email"], exact=True).fill("nora(at)example.org")  # the mistake
    chosen = _choose_first_answers(page)
    page.get_by_label(t["consent"]).check()
    page.get_by_role("button", name=t["apply"]).click()
    page.locator(".error-summary").wait_for()
    assert page.get_by_text(t["bad_email"]).first.is_visible()
    assert all(page.locator(f"#{radio_id}").is_checked() for radio_id in chosen)
    assert page.get_by_label("Name").input_value() == "Nora Neumann"
    assert_page_fit(page, f"application with a wrong email ({lang})")

    page.get_by_label(t["email"], exact=True).fill(address)
    page.get_by_label(t["consent"]).check()
    page.get_by_role("button", name=t["apply"]).click()
    page.wait_for_url(f"**/events/{world['open']}/apply/sent")
    assert_page_fit(page, f"application sent ({lang})")

    confirm, manage = _mail_links_from_outbox(staff(lang), world, address)
    page.goto(confirm)
    assert_page_fit(page, f"confirmation page ({lang})")
    page.get_by_role("button", name=t["confirm"]).click()
    page.wait_for_load_state()
    assert page.locator("#application-status").inner_text() == t["confirmed"]

    later = _phone(new_page, lang)  # a day later, another browser, through the private link
    later.goto(manage)
    if lang == "en":
        later.get_by_role("button", name="English").click()
        later.wait_for_load_state()
    assert all(later.locator(f"#{radio_id}").is_checked() for radio_id in chosen)
    later.get_by_label("Name").fill("Nora Neumann-Weber")
    later.get_by_role("button", name=t["save"]).click()
    later.locator(".flash", has_text=t["saved"]).wait_for()  # the save is a full page load: wait for it
    assert all(later.locator(f"#{radio_id}").is_checked() for radio_id in chosen)
    assert_page_fit(later, f"private page after the correction ({lang})", allow=["Nora Neumann-Weber", address])
    with world["app"].app_context():
        application = db.session.execute(sa.select(Application).filter_by(email=address)).scalar_one()
        assert application.name == "Nora Neumann-Weber" and application.status == "applied"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_2019_workshop_tells_its_whole_story_on_a_phone(world, new_page, lang):
    page = _phone(new_page, lang)
    base, workshop = world["url"], world["workshop"]
    page.goto(f"{base}/events/{workshop}")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
    assert_page_fit(page, f"the 2019 workshop ({lang})")
    assert page.locator("main").get_by_text(WORKSHOP_2019).first.is_visible()

    page.goto(f"{base}/events/{workshop}/lottery")
    assert_page_fit(page, f"its lottery ({lang})")
    lottery = page.locator("main").inner_text()
    assert re.search(r"\b[0-9a-f]{64}\b", lottery), "the published commitment (a SHA-256) is shown"
    assert page.locator(f"a[href$='/events/{workshop}/lottery/audit.json']").count() >= 1
    audit = page.request.get(f"{base}/events/{workshop}/lottery/audit.json")
    assert audit.ok and audit.json(), "anyone can download the audit record"

    page.goto(f"{base}/events/{workshop}/results")
    assert_page_fit(page, f"its published results ({lang})")
    results = page.locator("main").inner_text()
    for stand in ("Homepage", "Bürgerportal", "Verwaltung"):
        assert stand.lower() in results.lower(), f"ideas of the stand {stand} are shown"

    page.goto(f"{base}/processes/{world['process']}/results")
    assert_page_fit(page, f"the process's results ({lang})")
    page.goto(f"{base}/processes/{world['process']}/outcome")
    assert_page_fit(page, f"what became of the ideas: the measures ({lang})")
    assert page.locator("main li, main tr, main article").count() > 3


@pytest.mark.parametrize("lang", ["de", "en"])
def test_staff_start_page_and_the_draft_criteria_saved_and_edited_again(world, staff, lang):
    t = TEXT[lang]
    page = staff(lang)
    assert_page_fit(page, f"staff start page ({lang})")
    page.goto(f"{world['url']}/manage/events/{world['draft']}")
    assert_page_fit(page, f"the draft event ({lang})")
    criterion = page.locator("a[href*='/manage/criteria/']").first.get_attribute("href")
    page.goto(world["url"] + criterion)
    labels = page.locator("input[name$='-label']").evaluate_all("xs => xs.map(x => x.value).filter(Boolean)")
    assert labels and len(labels) == len(set(labels)), "each option once"
    assert_page_fit(page, f"criterion editor ({lang})")  # its option table scrolled the page at 320 px
    page.get_by_role("button", name=t["save_criterion"]).click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 0, "saving unchanged works"
    page.goto(world["url"] + criterion)
    again = page.locator("input[name$='-label']").evaluate_all("xs => xs.map(x => x.value).filter(Boolean)")
    assert again == labels
    for path in ("/manage/processes", f"/manage/events/{world['open']}/applications",
                 f"/manage/events/{world['workshop']}/lottery"):
        page.goto(world["url"] + path)
        assert_page_fit(page, f"{path} ({lang})")

