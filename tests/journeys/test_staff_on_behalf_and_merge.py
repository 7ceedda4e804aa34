"""Staff on a tablet (1024×768), in German (issue 24, defects 3 and 4).

An admin finds the drawn phone applicant without email flagged on the list of applications, records
their decline by phone and sees the replacement drawn at once, then confirms the replacement's seat in
person from the lottery page (first forgetting to say how the answer came). A moderator types the
number of an idea of another event into the merge form, reads the message at the field, and corrects it.

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.audit.models import AuditEntry
from app.core.models import utcnow
from app.events.application_services import hash_token
from app.events.models import Application, Event, Process
from app.extensions import db
from app.ideas import services as ideas
from app.ideas.models import Idea, Stand
from app.lottery.commitment import publish_commitment
from app.lottery.draw import perform_draw
from app.lottery.seats import entries_in_order
from app.lottery.audit import draw_from_record
from tests.support.clients import DEFAULT_PASSWORD
from tests.support.browser import assert_no_axe_violations
from tests.support.journeys import journey_app, serving

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
PHONE_PERSON = "Paula Telefon"


def _draw_with_the_phone_person_seated(event: Event) -> None:
    """Commit and draw the one seat with a number that seats the phone applicant (no email)."""
    draw = publish_commitment(event, None, "public", "Drei Würfel im Bürgersaal")
    phone = next(e.pseudonym for e in entries_in_order(draw) if e.application.name == PHONE_PERSON)
    number = next(n for n in range(1, draw.table_size + 1)
                  if draw_from_record(draw.record, n).selected == (phone,))
    perform_draw(draw, None, number, utcnow() + timedelta(days=5))


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    """A drawn event (one seat, the phone applicant holds it, two people waiting) with two stands,
    a second event of the same process with an idea, an admin and a moderator."""
    app = journey_app(tmp_path_factory.mktemp("staff"), smtp_server, _pg_schema)
    with app.app_context():
        now = utcnow()
        process = Process(title="Esslingen 4.0")
        event = Event(process=process, title="Zukunftswerkstatt Esslingen", status="closed", seats=1,
                      place="Altes Rathaus, Bürgersaal", starts_at=now + timedelta(days=10),
                      ends_at=now + timedelta(days=10, hours=4), applications_open_at=now - timedelta(days=20),
                      applications_close_at=now - timedelta(days=1))
        other = Event(process=process, title="Werkstatt mit der Wirtschaft", status="held", seats=0,
                      starts_at=now - timedelta(days=3))
        db.session.add_all([event, other])
        db.session.flush()
        people = [(PHONE_PERSON, None, "phone"), ("Walter Warteliste", "walter@example.org", "online"),
                  ("Wiebke Warteliste", "wiebke@example.org", "online")]
        for n, (name, email, source) in enumerate(people):
            db.session.add(Application(event_id=event.id, name=name, email=email, status="applied", source=source,
                                       token_hash=hash_token(f"staff-journey-{n}-" + "x" * 40), consent_at=now,
                                       confirmed_at=now, language="de"))
        db.session.flush()
        _draw_with_the_phone_person_seated(event)
        admin = accounts.create_user("admin@stadt.example", "Anna Admin", DEFAULT_PASSWORD, ["admin"])
        moderator = accounts.create_user("moderation@stadt.example", "Moritz Moderation", DEFAULT_PASSWORD,
                                         ["moderator"])
        stand = ideas.save_stand(event, None, title="Bürgerportal", description="", position=1,
                                 moderator_ids=[moderator.id])
        other_stand = ideas.save_stand(other, None, title="Verwaltung", description="", position=1,
                                       moderator_ids=[moderator.id])
        target, _ = ideas.record_idea(stand, "Termine im Bürgeramt online buchen")
        duplicate, _ = ideas.record_idea(stand, "Bürgeramt-Termine online buchen können")
        foreign, _ = ideas.record_idea(other_stand, "Termine im Bürgeramt online buchen")
        db.session.commit()
        ids = {"event": event.id, "target": target.id, "duplicate": duplicate.id, "foreign": foreign.id}
    with serving(app) as url:
        yield {"app": app, "url": url, **ids}


@pytest.fixture
def tablet(browser, world):
    """``tablet(email)`` → a page on a 1024×768 tablet, logged in as that staff account."""
    contexts = []

    def factory(email: str):
        context = browser.new_context(locale="de-DE", **TABLET)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{world['url']}/login")
        page.get_by_label("E-Mail").fill(email)
        page.get_by_label("Passwort").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_load_state()
        return page

    yield factory
    for context in contexts:
        context.close()


def _application(app, name: str) -> Application:
    with app.app_context():
        application = db.session.execute(sa.select(Application).filter_by(name=name)).scalar_one()
        db.session.expunge(application)
        return application


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_decline_by_phone_draws_the_replacement_who_confirms_in_person(world, tablet):
    page = tablet("admin@stadt.example")
    page.goto(f"{world['url']}/manage/events/{world['event']}/applications")
    phone = _application(world["app"], PHONE_PERSON)
    row = page.locator("tr", has_text=PHONE_PERSON)
    assert row.get_by_text("Keine E-Mail: bitte anrufen").is_visible()
    assert page.locator("#to-call").is_visible()
    assert _fits(page)
    assert_no_axe_violations(page, "list of applications with a person to call")

    # The admin has phoned: the seat is declined on her behalf, the channel is preset from the application.
    row.get_by_text("Für diese Person antworten …").click()
    assert row.get_by_role("radio", name="telefonisch").is_checked()
    row.get_by_text("Platz absagen …").click()
    assert_no_axe_violations(page, "answer on behalf, opened")
    row.get_by_role("button", name="Ja, Platz absagen").click()
    page.wait_for_url(f"**/manage/events/{world['event']}/applications*")
    assert page.locator(".flash-success").inner_text().startswith(f"Der Platz von {PHONE_PERSON} ist abgesagt")
    assert _application(world["app"], PHONE_PERSON).status == "declined"

    # The replacement was drawn at once; on the lottery page she says yes in person.
    page.goto(f"{world['url']}/manage/events/{world['event']}/lottery")
    replacement = next(name for name in ("Walter Warteliste", "Wiebke Warteliste")
                       if _application(world["app"], name).status == "selected")
    row = page.locator("#result tr", has_text=replacement)
    row.get_by_text("Für diese Person antworten …").click()
    # Forgotten how the answer came: the browser asks for it, nothing is sent.
    row.get_by_role("button", name="Platz bestätigen").click()
    assert row.get_by_role("radio", name="persönlich").evaluate("e => e.validity.valueMissing")
    assert _application(world["app"], replacement).status == "selected"
    row.get_by_role("radio", name="persönlich").check()
    row.get_by_role("button", name="Platz bestätigen").click()
    page.wait_for_url(f"**/manage/events/{world['event']}/lottery*")
    assert page.locator(".flash-success").inner_text() == f"Der Platz von {replacement} ist bestätigt."
    assert _application(world["app"], replacement).status == "confirmed"
    assert _fits(page)
    assert_no_axe_violations(page, "lottery page after answers on behalf")
    with world["app"].app_context():
        audited = db.session.execute(sa.select(AuditEntry.after).where(AuditEntry.action == "lottery.seat_on_behalf")
                                     .order_by(AuditEntry.id)).scalars().all()
        assert [(a["answer"], a["channel"]) for a in audited] == [("decline", "phone"), ("confirm", "in_person")]
        assert db.session.get(Application, phone.id).status == "declined"


def test_merge_with_the_number_of_another_events_idea_is_corrected_at_the_field(world, tablet):
    page = tablet("moderation@stadt.example")
    page.goto(f"{world['url']}/ideas/{world['target']}")
    suggestions = page.locator(".suggestion-list")
    assert suggestions.get_by_text("Bürgeramt-Termine online buchen können").is_visible()
    assert page.locator(f'.suggestion-list input[value="{world["foreign"]}"]').count() == 0

    field = page.get_by_label("Nummer der Idee, die mit dieser zusammengeführt werden soll")
    field.fill(str(world["foreign"]))
    page.get_by_role("button", name="Zusammenführen", exact=True).click()
    error = page.locator("#source_id-error")
    assert "gehört zu einer anderen Veranstaltung" in error.inner_text()
    # The error summary takes the focus (issue 16 item 7); its link leads to the field.
    page.wait_for_function("() => !!document.activeElement.closest('.error-summary')")  # page.js moves the focus on load
    assert field.input_value() == str(world["foreign"])
    assert_no_axe_violations(page, "merge form with the number of another event's idea")

    field.fill(f"#{world['duplicate']}")
    page.get_by_role("button", name="Zusammenführen", exact=True).click()
    page.wait_for_url(f"**/ideas/{world['target']}")
    assert page.locator(".flash-success").inner_text() == (
        f"Idee Nr. {world['duplicate']} wurde mit Idee Nr. {world['target']} zusammengeführt.")
    with world["app"].app_context():
        assert db.session.get(Idea, world["duplicate"]).merged_into_id == world["target"]
        assert db.session.get(Idea, world["foreign"]).status == "new"
        assert db.session.get(Stand, db.session.get(Idea, world["foreign"]).stand_id).event_id != world["event"]
