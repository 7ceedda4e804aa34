"""A moderator on a phone works the online queue of her stand (issue 18), in German: she opens it
from the capture page, approves a waiting online idea, tries to hide another without choosing a
reason (the message at the field), then hides it with a rule of the netiquette, and merges a third
online idea into a room idea, first with a wrong number. The public list then shows the hidden
idea's reason in its place and the merge.

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.audit.models import AuditEntry
from app.core.models import utcnow
from app.events.models import Event, Process
from app.extensions import db
from app.ideas import services as ideas
from app.ideas.models import Idea
from app.participation.models import OnlineSettings, Participant
from tests.support.browser import assert_no_axe_violations
from tests.support.clients import DEFAULT_PASSWORD, PHONE
from tests.support.journeys import journey_app, logged_in_page, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    app = journey_app(tmp_path_factory.mktemp("online-moderation"), smtp_server, _pg_schema)
    with app.app_context():
        now = utcnow()
        process = Process(title="Esslingen 4.0")
        event = Event(process=process, title="Zukunftswerkstatt Esslingen", status="published", seats=15,
                      starts_at=now)
        db.session.add(event)
        db.session.flush()
        settings = OnlineSettings(process_id=process.id, moderation="pre")
        settings.netiquette_reasons = ["Keine Beleidigungen", "Keine Werbung"]
        db.session.add(settings)
        moderator = accounts.create_user("moderation@stadt.example", "Moritz Moderation", DEFAULT_PASSWORD,
                                         ["moderator"])
        stand = ideas.save_stand(event, None, title="Bürgerportal", position=1, moderator_ids=[moderator.id])
        room, _ = ideas.record_idea(stand, "Termine im Bürgeramt online buchen")
        participant = Participant(process_id=process.id, display_name="Erika", show_name_publicly=True,
                                  email="erika@example.org", token_hash="a" * 64, consent_at=now, confirmed_at=now)
        db.session.add(participant)
        db.session.flush()

        def online(text: str) -> Idea:
            idea = Idea(stand=stand, text=text, client_id=str(uuid.uuid4()), channel="online",
                        participant_id=participant.id, moderation="pending")
            db.session.add(idea)
            db.session.flush()
            return idea

        approve, hide, merge = (online("WLAN in allen Bussen"), online("Kauft bei Firma X!"),
                                online("Bürgeramt-Termine im Netz buchen"))
        token = ideas.wall_link(event).token
        db.session.commit()
        ids = {"process": process.id, "stand": stand.id, "room": room.id, "approve": approve.id,
               "hide": hide.id, "merge": merge.id, "token": token}
    with serving(app) as url:
        yield {"app": app, "url": url, **ids}


@pytest.fixture(scope="module")
def phone(browser, world):
    context, page = logged_in_page(browser, world["url"], "moderation@stadt.example", DEFAULT_PASSWORD,
                                   device=PHONE)
    yield page
    context.close()


def _idea(world, idea_id) -> Idea:
    with world["app"].app_context():
        idea = db.session.get(Idea, idea_id)
        db.session.expunge(idea)
        return idea


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_moderator_approves_hides_with_a_reason_and_merges(world, phone):
    page = phone
    page.goto(f"{world['url']}/stands/{world['stand']}/capture")
    assert page.get_by_text("3 warten auf Freigabe").is_visible()
    page.get_by_role("link", name="Online-Ideen dieses Marktstands").click()
    page.wait_for_url(f"**/stands/{world['stand']}/online")
    assert _fits(page)
    assert_no_axe_violations(page, "online queue of a stand")

    # Approve, while the stand's wall is open: the idea appears there live, marked "Online".
    wall = page.context.new_page()
    wall.goto(f"{world['url']}/wall/{world['token']}/stands/{world['stand']}")
    assert wall.locator(f'.wall-idea[data-id="{world["approve"]}"]').count() == 0
    page.get_by_role("button", name=f"Idee Nr. {world['approve']} freigeben").click()
    page.wait_for_url(f"**/stands/{world['stand']}/online*")
    assert page.locator(".flash-success").inner_text() == f"Idee Nr. {world['approve']} ist freigegeben und wird jetzt gezeigt."
    assert _idea(world, world["approve"]).is_visible
    shown = wall.locator(f'.wall-idea[data-id="{world["approve"]}"]')
    shown.wait_for()
    assert "WLAN in allen Bussen" in shown.inner_text() and shown.locator(".wall-channel").inner_text() == "Online"
    wall.reload()
    assert wall.locator(f'.wall-idea[data-id="{world["approve"]}"] .wall-channel').inner_text() == "Online"
    wall.close()

    # Hide without a reason: the message at the field, the error summary focused.
    page.get_by_role("button", name=f"Idee Nr. {world['hide']} ausblenden").click()
    error = page.locator(f"#hide-{world['hide']}-reason-error")
    assert "Bitte wählen Sie die Regel der Netiquette" in error.inner_text()
    page.wait_for_function("() => !!document.activeElement.closest('.error-summary')")  # page.js moves the focus on load
    assert _idea(world, world["hide"]).moderation == "pending"
    assert_no_axe_violations(page, "online queue with a missing reason")
    page.locator(f"#hide-{world['hide']}-reason").select_option("Keine Werbung")
    page.get_by_role("button", name=f"Idee Nr. {world['hide']} ausblenden").click()
    page.wait_for_url(f"**/stands/{world['stand']}/online*")
    assert page.locator(".flash-success").is_visible()
    hidden = _idea(world, world["hide"])
    assert hidden.status == "hidden" and hidden.hidden_reason == "Keine Werbung"

    # Merge a third online idea (approved first) into the room idea, first with a wrong number.
    page.get_by_role("button", name=f"Idee Nr. {world['merge']} freigeben").click()
    page.wait_for_url(f"**/stands/{world['stand']}/online*")
    field = page.locator(f"#merge-{world['merge']}-target_id")
    field.fill(str(world["approve"]))
    page.get_by_role("button", name=f"Idee Nr. {world['merge']} zusammenführen").click()
    assert "keine Idee aus dem Saal" in page.locator(f"#merge-{world['merge']}-target_id-error").inner_text()
    assert page.locator(f"#merge-{world['merge']}-target_id").input_value() == str(world["approve"])
    page.locator(f"#merge-{world['merge']}-target_id").fill(f"#{world['room']}")
    page.get_by_role("button", name=f"Idee Nr. {world['merge']} zusammenführen").click()
    page.wait_for_url(f"**/stands/{world['stand']}/online*")
    assert page.locator(".flash-success").inner_text() == (
        f"Idee Nr. {world['merge']} wurde mit Idee Nr. {world['room']} zusammengeführt.")
    assert _idea(world, world["merge"]).merged_into_id == world["room"]
    assert _fits(page)
    with world["app"].app_context():
        actions = db.session.execute(sa.select(AuditEntry.action)).scalars().all()
        assert {"idea.approve", "idea.hide", "idea.merge"} <= set(actions)

    # The public list: the hidden idea's reason in its place, the merged one pointing at the room idea.
    page.goto(f"{world['url']}/processes/{world['process']}/ideas")
    assert page.get_by_text("Von der Moderation ausgeblendet. Grund: Keine Werbung").is_visible()
    assert page.get_by_text("Kauft bei Firma X!").count() == 0
    assert page.locator(f"#idea-{world['merge']}").get_by_text(f"Zusammengeführt mit Idee Nr. {world['room']}.").is_visible()
    assert _fits(page)
    assert_no_axe_violations(page, "public list of a process's ideas")
