"""Residents on a phone support ideas online after the workshop (issue 18), in German and in
English: sign up, confirm through the mail of the outbox (real SMTP), support an idea, see it
counted (also on the public list, without the link), take the support back.

One app, one live server and one browser context per language for the whole module.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.models import utcnow
from app.events.models import Event, Process
from app.extensions import db
from app.ideas.models import Idea, Stand
from app.participation.models import OnlinePhase, OnlineSettings, Participant, Support
from tests.support.browser import assert_no_axe_violations, assert_page_fit
from tests.support.clients import PHONE
from tests.support.journeys import confirm_by_mail, journey_app, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    """A held workshop whose online phase after it is open, with two approved online ideas."""
    app = journey_app(tmp_path_factory.mktemp("online-supports"), smtp_server, _pg_schema)
    with app.app_context():
        now = utcnow()
        process = Process(title="Mobilität 2030")
        event = Event(process=process, title="Zukunftswerkstatt Mobilität", status="held", seats=15,
                      starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=3, hours=-4),
                      consent_text="Die Stadt verarbeitet Ihre Angaben nur für diese Beteiligung.")
        db.session.add(event)
        db.session.flush()
        stand = Stand(event=event, title="Radwege", position=0)
        db.session.add(stand)
        db.session.add(OnlinePhase(event_id=event.id, kind="after", enabled=True, opens_at=now - timedelta(days=1),
                                   closes_at=now + timedelta(days=29)))
        settings = OnlineSettings(process_id=process.id, moderation="post")
        settings.netiquette_reasons = ["Keine Beleidigungen"]
        db.session.add(settings)
        author = Participant(process=process, display_name="Autorin", email="autorin@example.org",
                             token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(), consent_at=now,
                             confirmed_at=now)
        db.session.add(author)
        db.session.flush()
        ideas = [Idea(stand=stand, text=text, client_id=str(uuid.uuid4()), channel="online",
                      participant_id=author.id, moderation="visible", created_at=now - timedelta(hours=n))
                 for n, text in enumerate(("Fahrradstraße in der Altstadt", "Mehr Abstellplätze am Bahnhof"))]
        db.session.add_all(ideas)
        db.session.commit()
        process_id, idea_ids = process.id, [i.id for i in ideas]
    with serving(app) as url:
        yield {"app": app, "url": url, "process": process_id, "ideas": idea_ids}


@pytest.fixture(scope="module")
def phones(browser, world):
    contexts = {}
    for lang, locale in (("de", "de-DE"), ("en", "en-GB")):
        contexts[lang] = browser.new_context(locale=locale, **PHONE)
        contexts[lang].set_default_timeout(15_000)
    yield {lang: context.new_page() for lang, context in contexts.items()}
    for context in contexts.values():
        context.close()


TEXTS = {
    "de": {"join": "Online mitmachen", "name": "Anzeigename", "email": "E-Mail",
           "consent": "Ich willige in die oben beschriebene Verarbeitung meiner Daten ein.", "sign_up": "Anmelden",
           "check_mail": "Fast geschafft: Bitte sehen Sie in Ihr Postfach", "confirm": "Beteiligung bestätigen",
           "mine": "Meine Beteiligung", "list": "Ideen des Prozesses lesen und unterstützen",
           "support": "Unterstützen", "thanks": "Vielen Dank! Sie unterstützen diese Idee.",
           "one": "1 Unterstützung", "none": "0 Unterstützungen", "withdraw": "Unterstützung zurücknehmen",
           "withdrawn": "Ihre Unterstützung wurde zurückgenommen.", "supported": "Ideen, die ich unterstütze"},
    "en": {"join": "Take part online", "name": "Display name", "email": "Email",
           "consent": "I agree to the processing of my data as described above.", "sign_up": "Sign up",
           "check_mail": "Almost done: check your mailbox", "confirm": "Confirm participation",
           "mine": "My participation", "list": "Read and support the ideas of the process",
           "support": "Support this idea", "thanks": "Thank you! You support this idea.",
           "one": "1 support", "none": "0 supports", "withdraw": "Withdraw support",
           "withdrawn": "Your support has been withdrawn.", "supported": "Ideas I support"},
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_sign_up_confirm_support_see_it_counted_and_take_it_back(world, phones, smtp_server, lang):
    page, app, t = phones[lang], world["app"], TEXTS[lang]
    first = world["ideas"][0]
    address = f"supporter-{lang}@example.org"
    smtp_server.clear()
    page.goto(f"{world['url']}/processes/{world['process']}")
    page.get_by_role("link", name=t["join"]).first.click()
    page.get_by_label(t["name"], exact=True).fill(f"Unterstützerin {lang}")
    page.get_by_label(t["email"], exact=True).fill(address)
    page.get_by_label(t["consent"]).check()
    page.get_by_role("button", name=t["sign_up"]).click()
    page.get_by_role("heading", name=t["check_mail"]).wait_for()
    confirm_by_mail(page, smtp_server, address, t["confirm"], t["mine"])

    page.get_by_role("link", name=t["list"]).click()
    card = page.locator(f"#idea-{first}")
    card.wait_for()
    assert t["none"] in card.inner_text()
    assert_page_fit(page, f"ideas with the support form ({lang})")
    assert_no_axe_violations(page, f"ideas with the support form on a phone ({lang})")
    card.get_by_role("button", name=t["support"], exact=True).click()
    page.locator(".flash-success").wait_for()
    assert page.locator(".flash-success").inner_text() == t["thanks"]
    card = page.locator(f"#idea-{first}")
    assert t["one"] in card.inner_text() and card.get_by_role("button", name=t["withdraw"]).count() == 1
    assert t["none"] in page.locator(f"#idea-{world['ideas'][1]}").inner_text()  # the other idea is untouched
    private_list = page.url
    with app.app_context():
        participant = db.session.execute(sa.select(Participant).where(Participant.email == address)).scalar_one()
        assert db.session.execute(sa.select(Support.idea_id).where(
            Support.participant_id == participant.id)).scalars().all() == [first]

    # The public list counts it too, without a form and without the private link.
    page.goto(f"{world['url']}/processes/{world['process']}/ideas")
    public = page.locator(f"#idea-{first}")
    assert t["one"] in public.inner_text() and public.get_by_role("button").count() == 0
    assert private_list.split("/participation/")[1].split("/")[0] not in page.content()

    # "My participation" lists it; the support is taken back from the list.
    page.goto(private_list.split("/ideas")[0])
    assert t["supported"] in page.locator("main").inner_text()
    page.goto(private_list)
    page.locator(f"#idea-{first}").get_by_role("button", name=t["withdraw"]).click()
    page.locator(".flash-success").wait_for()
    assert page.locator(".flash-success").inner_text() == t["withdrawn"]
    assert t["none"] in page.locator(f"#idea-{first}").inner_text()
    assert page.locator(f"#idea-{first}").get_by_role("button", name=t["support"], exact=True).count() == 1
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Support).where(
            Support.participant_id == participant.id)).scalar_one() == 0
