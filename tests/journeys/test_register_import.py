"""Staff import a residents' register extract in Chromium (issue 17), in German and in English:
from the event's page to the invitations page, a file whose postcode column the page cannot guess
(the mapping says what is missing, the admin picks the column), a preview with row errors, the
import; a large Excel file in English goes through a job with its progress; a bad file gets a
message. Nothing is stored before the confirmation.

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.core.models import utcnow
from app.events.models import Event, Process
from app.extensions import db
from app.invitations.models import RegisterPerson
from tests.support.clients import DEFAULT_PASSWORD
from tests.support.register_files import HEADER, csv_bytes, register_rows, xlsx_bytes
from tests.support.journeys import journey_app, logged_in_page, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    app = journey_app(tmp_path_factory.mktemp("register"), smtp_server, _pg_schema,
                      INVITATIONS_IMPORT_INLINE_ROWS=50)
    with app.app_context():
        now = utcnow()
        process = Process(title="Bürgerrat Esslingen")
        event = Event(process=process, title="Bürgerrat Klima", status="open", seats=30,
                      starts_at=now + timedelta(days=60), ends_at=now + timedelta(days=61))
        db.session.add(event)
        accounts.create_user("admin@stadt.example", "Anna Admin", DEFAULT_PASSWORD, ["admin"])
        db.session.commit()
        event_id = event.id
    with serving(app) as url:
        yield {"app": app, "url": url, "event": event_id}


@pytest.fixture
def admin(browser, world):
    contexts = []

    def factory(lang="de"):
        context, page = logged_in_page(browser, world["url"], "admin@stadt.example", DEFAULT_PASSWORD, lang=lang)
        contexts.append(context)
        return page

    yield factory
    for context in contexts:
        context.close()


def _persons(world) -> int:
    with world["app"].app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(RegisterPerson)).scalar_one()


def test_german_import_with_a_mapping_correction_and_row_errors(admin, world, tmp_path):
    page = admin("de")
    page.goto(f"{world['url']}/manage/events/{world['event']}")
    page.get_by_role("link", name="Einladungen aus dem Melderegister").click()
    page.get_by_role("heading", name="Einladungen aus dem Melderegister").wait_for()
    assert page.locator("#no-extract").is_visible()

    header = [("Postfach" if h == "PLZ" else h) for h in HEADER]
    rows = register_rows(20)
    rows[4][5] = "ABC"  # a bad postcode: row 5
    path = tmp_path / "Melderegister Auszug.csv"
    path.write_bytes(csv_bytes(rows, header=header, encoding="cp1252"))
    page.get_by_label("Melderegisterauszug (CSV oder Excel-XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Hochladen und prüfen").click()

    page.get_by_role("heading", name="Melderegisterauszug: Spalten und Vorschau").wait_for()
    assert "cp1252" in page.content()
    error = page.locator("#mapping-error")
    assert "Bitte wählen Sie eine Spalte für: Postleitzahl" in error.inner_text()
    assert page.get_by_label("Vorname").input_value() == "Vorname"
    assert page.locator("#confirm-import").count() == 0
    assert _persons(world) == 0

    page.get_by_label("Postleitzahl").select_option("Postfach")
    page.get_by_role("button", name="Mit diesen Spalten erneut prüfen").click()
    page.locator("#preview-summary").wait_for()
    assert [page.locator(f"#preview-{n}").inner_text() for n in ("rows-total", "valid", "invalid", "households")] \
        == ["20", "19", "1", "10"]
    errors = page.locator("#row-errors tbody tr")
    assert errors.count() == 1 and "keine fünfstellige Postleitzahl" in errors.first.inner_text()
    assert "Jürgen0" in page.locator("#preview-rows").inner_text()
    assert _persons(world) == 0  # still nothing stored

    page.get_by_role("button", name="19 Einwohnerinnen und Einwohner importieren").click()
    page.get_by_role("heading", name="Einladungen aus dem Melderegister").wait_for()
    assert "19 Einwohnerinnen und Einwohner importiert." in page.locator(".flash").first.inner_text()
    assert page.locator("#extract-rows").inner_text() == "19"
    assert page.locator("#extract-households").inner_text() == "10"
    assert _persons(world) == 19


def test_english_large_excel_file_through_a_job_and_a_bad_file(admin, world, tmp_path):
    page = admin("en")
    page.goto(f"{world['url']}/manage/events/{world['event']}/invitations")
    bad = tmp_path / "photo.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    page.get_by_label("Register extract (CSV or Excel XLSX)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and check").click()
    # The refusal is at the file field (issue 16 item 7), not a flash after a redirect.
    assert "neither a CSV file nor an Excel file" in page.locator("#register_file-error").inner_text()
    assert page.title().startswith("Error")

    path = tmp_path / "auszug.xlsx"
    path.write_bytes(xlsx_bytes(register_rows(120, start=500)))
    page.get_by_label("Register extract (CSV or Excel XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_role("heading", name="Register extract: columns and preview").wait_for()
    assert "Can be imported" in page.locator("#preview-summary").inner_text()
    assert page.locator("#preview-valid").inner_text() == "120"
    page.get_by_role("button", name="Import 120 residents").click()
    # More rows than INVITATIONS_IMPORT_INLINE_ROWS: a job (run at once in the tests) imports them.
    page.get_by_role("heading", name="Invitations from the residents' register").wait_for()
    page.locator("#extract-rows").wait_for()
    assert page.locator("#extract-rows").inner_text() == "120"
    assert _persons(world) == 120  # the new file replaced the first one
