"""Real browser: an admin links two ideas to a measure and changes its status; the public page shows
it; axe-core finds no violations on the pages involved."""
from __future__ import annotations

from datetime import date

import pytest

from tests.support.clients import DEFAULT_PASSWORD
from tests.support.browser import SKIP_REASON, assert_no_axe_violations, chromium_available

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason=SKIP_REASON)]


def test_admin_links_ideas_and_changes_status_public_page_shows_it(app, live_server, create_user, measures_world,
                                                                     make_measure, new_page):
    w = measures_world(applicants=[{"email": "ada@example.org"}])
    measure_id = make_measure(w.process_id, title="Online-Terminvergabe für das Bürgerbüro",
                              office="Bürgeramt", on=date(2019, 5, 15)).id
    admin = create_user(roles=("admin",))
    page = new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-Mail").fill(admin.email)
    page.get_by_label("Passwort").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.goto(f"{live_server.url}/manage/processes/{w.process_id}/measures")
    assert_no_axe_violations(page, "measure list")
    page.get_by_role("link", name="Online-Terminvergabe für das Bürgerbüro").click()
    assert_no_axe_violations(page, "measure page")

    page.get_by_label("Text enthält").fill("termin")
    page.get_by_role("button", name="Ideen suchen").click()
    page.get_by_label("Termine online buchen", exact=False).check()
    page.get_by_label("Online-Termine im Bürgeramt", exact=False).check()
    page.get_by_role("button", name="Gewählte Ideen verknüpfen").click()
    page.get_by_text("2 Ideen in die Maßnahme aufgenommen.").wait_for()
    assert page.locator(".linked-ideas li").count() == 2

    page.get_by_label("Neuer Status").select_option(label="vom Gemeinderat beschlossen")
    page.get_by_label("Datum der Änderung").fill("2019-07-22")
    page.get_by_label("Öffentlicher Kommentar", exact=False).fill("Mit der Strategie beschlossen.")
    page.get_by_role("button", name="Status ändern").click()
    page.get_by_text("Der Status ist jetzt „vom Gemeinderat beschlossen“.").wait_for()
    assert "vom Gemeinderat beschlossen" in page.locator("#measure-status").inner_text()
    assert_no_axe_violations(page, "measure page after the change")

    page.goto(f"{live_server.url}/manage/processes/{w.process_id}/measures/import")
    assert_no_axe_violations(page, "import page")
    page.goto(f"{live_server.url}/stands/{w.stand_ids[0]}/ideas")
    assert_no_axe_violations(page, "idea list with measure controls")

    public = new_page(phone=True)
    public.goto(f"{live_server.url}/processes/{w.process_id}")
    public.get_by_role("link", name="Was aus den Ideen wurde", exact=False).click()
    card = public.locator(f"#measure-{measure_id}")
    assert "vom Gemeinderat beschlossen" in card.inner_text()
    assert "Mit der Strategie beschlossen." in card.inner_text()
    ideas = card.locator(".outcome-ideas li")
    assert ideas.count() == 2
    assert "Jugend-Workshop" in card.inner_text() and "Bürger-Workshop" in card.inner_text()
    assert "Erika Geheim" not in public.content()
    assert_no_axe_violations(public, "public outcome page")


def test_opt_out_page_on_a_phone(app, live_server, measures_world, new_page):
    from app.measures import notify

    w = measures_world(applicants=[{"email": "ada@example.org"}])
    with app.app_context():
        token = notify.optout_token(w.application_ids)
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/measure-mails/{token}")
    assert_no_axe_violations(page, "opt-out page")
    page.get_by_role("button", name="Diese E-Mails abbestellen").click()
    page.locator("#optout-done").wait_for()
    assert_no_axe_violations(page, "opt-out done")
