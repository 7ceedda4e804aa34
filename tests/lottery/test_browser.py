"""Real browser: the admin previews, publishes the commitment, enters the number and sees the result;
the public lottery page shows the audit; axe-core on every page."""
from __future__ import annotations

import pytest

from tests.support.clients import DEFAULT_PASSWORD
from tests.factories.lottery import deadline_text, run_verify
from tests.support.browser import assert_no_axe_violations

pytestmark = pytest.mark.browser

PEOPLE = [{"gender": g, "age": a} for g, a in
          [("f", "young"), ("f", "old"), ("f", "old"), ("m", "young"), ("m", "old"), ("m", "old"),
           ("f", "old"), ("m", "young"), ("f", "young"), ("m", "old")]]


def test_admin_runs_the_lottery_and_the_public_checks_it(app, live_server, create_user, lottery_event, new_page):
    ev = lottery_event(seats=4, people=PEOPLE,
                       criteria={"gender": {"f": (2, 2), "m": (2, 2)}, "age": {"young": (1, 3), "old": (1, 3)}})
    admin = create_user(roles=("admin",))
    page = new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-Mail").fill(admin.email)
    page.get_by_label("Passwort").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.goto(f"{live_server.url}/manage/events/{ev.event_id}")
    page.get_by_role("link", name="Auslosung: Vorschau, Festlegung, Ziehung").click()
    # The page asks for the preview by its form, which jobs.js sends at once (GET changes nothing).
    page.locator("#applicant-count").wait_for()
    assert page.get_by_role("heading", name="1. Vorschau").is_visible()
    assert page.locator("#applicant-count").inner_text() == "10"
    assert page.locator("#probabilities tbody tr").count() >= 2
    assert "40,00\u00a0%" in page.locator("#probability-range").inner_text()
    assert_no_axe_violations(page, "lottery preview")

    page.get_by_label("Öffentlich (Würfel, Lottokugeln, …)", exact=False).check()
    page.get_by_label("Wo, wann und wie die Zahl öffentlich gezogen wird").fill(
        "Vier Zehnerwürfel in der Gemeinderatssitzung")
    page.get_by_role("button", name="Festlegung veröffentlichen").click()
    page.get_by_text("Die Festlegung ist veröffentlicht.").wait_for()
    commitment = page.locator("code.hash").first.inner_text()
    assert len(commitment) == 64
    assert_no_axe_violations(page, "lottery committed")

    page.get_by_label("Gezogene Zahl").fill("abc")
    page.get_by_label("Ausgeloste Personen bestätigen ihren Platz bis").fill(deadline_text())
    page.get_by_role("button", name="Mit dieser Zahl auslosen").click()
    assert page.get_by_text("Geben Sie die vier Würfel als vier Ziffern in der festgelegten Reihenfolge ein, "
                            "z. B. 0372 (0000 bedeutet 10.000).").first.is_visible()
    assert page.get_by_text("Tausender, Hunderter, Zehner, Einer", exact=False).first.is_visible()

    page.get_by_label("Gezogene Zahl").fill("0123")
    page.get_by_label("Ausgeloste Personen bestätigen ihren Platz bis").fill(deadline_text())
    page.get_by_role("button", name="Mit dieser Zahl auslosen").click()
    assert page.locator("#drawn-number").inner_text() == "123"
    assert page.locator("#result tbody tr").count() == 10
    assert_no_axe_violations(page, "lottery result (admin)")

    page.get_by_role("link", name="Repräsentativität").click()
    assert page.locator("svg[role=img] title").count() == 2
    assert_no_axe_violations(page, "representativeness")

    public = new_page(phone=True)
    public.goto(f"{live_server.url}/events/{ev.event_id}")
    public.get_by_role("link", name="Auslosung der Plätze: Festlegung, Ergebnis und Prüfung").click()
    assert public.locator("#drawn-number").inner_text() == "123"
    assert commitment in public.content()
    assert "0000 bedeutet 10.000" in public.content()  # the dice rule, fixed in the commitment
    assert public.locator("#selected li").count() == 4
    assert public.locator("#waiting-list li").count() == 6
    assert "Person 1" not in public.content()
    assert public.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_axe_violations(public, "public lottery page, phone")
    with public.expect_download() as download:
        public.get_by_role("link", name="Prüfdatei herunterladen (JSON)").click()
    path = download.value.path()
    outcome = run_verify(path)
    assert outcome.exit_code == 0, outcome.output
