"""Staff in Chromium, in German and in English (issue 24): after logging in, an admin and two
moderators land on the start page `/manage` and see what is next for each of their events (an
admin: every event, the next one first; a moderator: only the events of their stands) and follow
its links; an admin downloads the ideas export, corrects an idea, downloads it again and finds the
correction.

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from app.accounts import services as accounts
from app.core.models import utcnow
from app.events.application_services import hash_token
from app.events.models import Application, Event, Process
from app.extensions import db
from app.ideas import services as ideas
from tests.support.clients import DEFAULT_PASSWORD
from tests.support.browser import assert_page_fit
from tests.support.journeys import journey_app, logged_in_page, serving

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    """One process: an open event (two applications, a stand of moderator A), a draft event later on,
    a held event in the past (a stand of moderator B with two ideas); an admin."""
    app = journey_app(tmp_path_factory.mktemp("start"), smtp_server, _pg_schema)
    with app.app_context():
        now = utcnow()
        process = Process(title="Esslingen 4.0")
        opened = Event(process=process, title="Zukunftswerkstatt Esslingen", status="open", seats=15,
                       place="Altes Rathaus, Bürgersaal", starts_at=now + timedelta(days=30),
                       ends_at=now + timedelta(days=30, hours=3), applications_open_at=now - timedelta(days=2),
                       applications_close_at=now + timedelta(days=14))
        draft = Event(process=process, title="Bürgerveranstaltung Süd", status="draft", seats=12,
                      starts_at=now + timedelta(days=60), ends_at=now + timedelta(days=60, hours=2))
        held = Event(process=process, title="Werkstatt mit der Wirtschaft", status="held", seats=0,
                     starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=3) + timedelta(hours=3))
        db.session.add_all([opened, draft, held])
        db.session.flush()
        for n, name in enumerate(("Erika Mustermann", "Jonas Weber")):
            db.session.add(Application(event_id=opened.id, name=name, email=f"p{n}@example.org", status="applied",
                                       source="online", token_hash=hash_token(f"start-journey-{n}-" + "x" * 40),
                                       consent_at=now, confirmed_at=now, language="de"))
        accounts.create_user("admin@stadt.example", "Anna Admin", DEFAULT_PASSWORD, ["admin"])
        mod_a = accounts.create_user("moderation.a@stadt.example", "Moritz A", DEFAULT_PASSWORD, ["moderator"])
        mod_b = accounts.create_user("moderation.b@stadt.example", "Mira B", DEFAULT_PASSWORD, ["moderator"])
        portal = ideas.save_stand(opened, None, title="Bürgerportal", description="", position=1,
                                  moderator_ids=[mod_a.id])
        business = ideas.save_stand(held, None, title="Digitale Dienste für Unternehmen", description="",
                                    position=1, moderator_ids=[mod_b.id])
        idea, _ = ideas.record_idea(business, "Gewerbeanmeldung online")
        ideas.record_idea(business, "Ein Ansprechpartner für alle Genehmigungen")
        db.session.commit()
        ids = {"process": process.id, "open": opened.id, "draft": draft.id, "held": held.id,
               "portal": portal.id, "business": business.id, "idea": idea.id}
    with serving(app) as url:
        yield {"app": app, "url": url, **ids}


@pytest.fixture
def staff(browser, world):
    """``staff(email, lang, device)`` → a page logged in as that account through the login form,
    in that language (chosen with the language switch before logging in)."""
    contexts = []

    def factory(email: str, lang: str = "de", device: dict = DESKTOP):
        context, page = logged_in_page(browser, world["url"], email, DEFAULT_PASSWORD, lang=lang, device=device)
        contexts.append(context)
        return page

    yield factory
    for context in contexts:
        context.close()


def _groups(page) -> list[str]:
    return page.locator(".start-events > li").evaluate_all("items => items.map(i => i.id)")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_admin_lands_on_what_is_next_for_every_event(world, staff, lang):
    page = staff("admin@stadt.example", lang)
    assert page.get_by_role("heading", level=1).inner_text() == {"de": "Als Nächstes", "en": "What is next"}[lang]
    # The next event first, then the later one, then the one that is over.
    assert _groups(page) == [f"start-event-{world[k]}" for k in ("open", "draft", "held")]
    opened = page.locator(f"#start-event-{world['open']}")
    counted = {"de": "2 Bewerbungen", "en": "2 applications"}[lang]
    assert counted in opened.inner_text()
    draft = page.locator(f"#start-event-{world['draft']}")
    assert draft.locator(f'a[href="/manage/events/{world["draft"]}"]').count() == 1
    assert_page_fit(page, f"staff start page of an admin ({lang})")

    opened.locator(f'a[href="/manage/events/{world["open"]}/applications/summary"]').click()
    page.wait_for_url(f"**/manage/events/{world['open']}/applications/summary")
    assert_page_fit(page, f"summary of the applications, from the start page ({lang})")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_moderators_see_only_the_events_of_their_stands(world, staff, lang):
    page = staff("moderation.a@stadt.example", lang, TABLET)
    assert _groups(page) == [f"start-event-{world['open']}"]
    step = page.locator(f"#start-event-{world['open']} .start-steps li")
    assert "Bürgerportal" in step.inner_text() and ("0 Ideen" if lang == "de" else "0 ideas") in step.inner_text()
    assert_page_fit(page, f"staff start page of a moderator ({lang})", allow={"Bürgerportal"})
    step.get_by_role("link").click()
    page.wait_for_url(f"**/stands/{world['portal']}/capture")
    assert_page_fit(page, f"capture page, from the start page ({lang})")

    other = staff("moderation.b@stadt.example", lang, TABLET)
    assert _groups(other) == [f"start-event-{world['held']}"]
    assert "2" in other.locator(f"#start-event-{world['held']} .start-steps li").inner_text()
    assert "Zukunftswerkstatt Esslingen" not in other.content()


def _download_csv(page) -> list[dict[str, str]]:
    # A job makes the file (inside the request here, JOBS_IMMEDIATE); its page offers it.
    page.get_by_role("button", name="CSV", exact=True).click()
    page.wait_for_url("**/manage/jobs/*")
    assert_page_fit(page, "the export job's page")
    with page.expect_download() as info:
        page.locator("#job-file").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    sample = text.splitlines()[0]
    return list(csv.DictReader(io.StringIO(text), delimiter=";" if sample.count(";") > sample.count(",") else ","))


def test_an_export_run_again_shows_the_correction(world, staff):
    page = staff("admin@stadt.example")
    results = f"{world['url']}/manage/results/processes/{world['process']}"
    page.goto(results)
    assert_page_fit(page, "results of the process (staff)")
    before = _download_csv(page)
    texts = {row for record in before for row in record.values()}
    assert "Gewerbeanmeldung online" in texts

    page.goto(f"{world['url']}/ideas/{world['idea']}")
    page.get_by_label("Text", exact=True).fill("Gewerbeanmeldung und -abmeldung online")
    page.get_by_role("button", name="Speichern", exact=True).click()
    page.wait_for_url(f"**/ideas/{world['idea']}")
    assert page.locator(".flash-success").is_visible()
    assert_page_fit(page, "idea corrected by an admin")

    page.goto(results)
    after = _download_csv(page)
    texts = {row for record in after for row in record.values()}
    assert "Gewerbeanmeldung und -abmeldung online" in texts and "Gewerbeanmeldung online" not in texts
    assert len(after) == len(before)
