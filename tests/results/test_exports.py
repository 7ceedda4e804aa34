"""Staff exports of ideas: CSV, XLSX and JSON opened by their readers; access; no personal data."""
from __future__ import annotations

import csv
import io
import json

import pytest

from tests.factories.api import SECRETS

FORMULA = "=HYPERLINK(\"http://evil.example\";\"klick\") Idee"


@pytest.fixture
def world(app, smtp):
    """The API world (tests/factories/api.py) plus an idea that a spreadsheet would run as a formula."""
    from app.extensions import db
    from app.ideas import services as ideas
    from app.ideas.models import Stand
    from tests.factories.api import build_world

    with app.test_request_context():
        data = build_world()
        idea, _ = ideas.record_idea(db.session.get(Stand, data.stand_ids[1]), FORMULA)
        db.session.commit()
        data.formula_id = idea.id
        return data


@pytest.fixture
def council(staff_client):
    return staff_client("council")


def url(world, kind: str, **query) -> str:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/manage/results/processes/{world.process_id}/ideas.{kind}" + (f"?{suffix}" if suffix else "")


def assert_no_personal_data(text: str) -> None:
    for secret in SECRETS + ["VERSTECKTE IDEE", "Beleidigend"]:
        assert secret not in text, secret


def test_csv_is_utf8_with_bom_semicolons_and_safe_cells(council, world):
    response = council.job_file(url(world, "csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="ideas-process-' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    header = next(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:5] == ["Idee Nr.", "Veranstaltung", "Zielgruppe", "Marktstand", "Idee"]
    by_id = {int(r["Idee Nr."]): r for r in rows}
    # Published and held events (staff see both), no hidden idea; the draft event's idea is there for staff.
    assert world.hidden_id not in by_id
    top = by_id[world.top_id]
    assert top["Marktstand"] == "Bürgerportal" and top["Schlagwörter"] == "Bürgerportal, Digital"
    assert (top["Punkte im Saal"], top["Punkte an der Pinnwand"], top["Punkte online"], top["Punkte gesamt"]) == (
        "3", "4", "0", "7")
    assert by_id[world.duplicate_id]["Zusammengeführt mit Idee Nr."] == str(world.top_id)
    assert by_id[world.duplicate_id]["Status"] == "zusammengeführt"
    assert by_id[world.longer_id]["Veranstaltung"] == "Bürgerwerkstatt Öffnungszeiten"
    assert by_id[world.formula_id]["Idee"] == "'" + FORMULA
    assert_no_personal_data(text)


def test_xlsx_opens_in_openpyxl_with_umlauts_and_no_formulas(council, world):
    from openpyxl import load_workbook

    response = council.job_file(url(world, "xlsx"))
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["Ideen", "Marktstände", "Schlagwörter"]
    sheet = workbook["Ideen"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[0] == "Idee Nr." and header[-1] == "Maßnahmen"
    by_id = {row[0]: dict(zip(header, row)) for row in body}
    assert by_id[world.longer_id]["Punkte gesamt"] == 9
    assert by_id[world.longer_id]["Idee"] == "Samstags geöffnet für Berufstätige"
    formula_cell = next(c for c in sheet["E"] if c.value == FORMULA)
    assert formula_cell.data_type == "s"
    stands = list(workbook["Marktstände"].iter_rows(values_only=True))
    assert ("Bürgerwerkstatt Öffnungszeiten", "Öffnungszeiten & Service") == stands[2][:2]
    assert_no_personal_data(json.dumps([list(r) for r in rows], ensure_ascii=False, default=str))


def test_json_export_has_dots_tags_status_and_measures(council, world):
    response = council.job_file(url(world, "json"))
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    assert data["process"]["title"] == "Esslingen 4.0 – Bürgerbeteiligung"
    ideas = {i["id"]: i for i in data["ideas"]}
    assert ideas[world.top_id]["dots"] == {"room": 3, "board": 4, "online": 0, "total": 7}
    assert ideas[world.top_id]["tags"] == ["Bürgerportal", "Digital"]
    assert ideas[world.duplicate_id]["status"] == "merged"
    assert all(i["measures"] == [] for i in ideas.values())
    assert_no_personal_data(response.get_data(as_text=True))


def test_event_filter(council, world):
    response = council.job_file(url(world, "json", event=world.held_id))
    texts = [i["text"] for i in response.get_json()["ideas"]]
    assert texts == ["UNVEROEFFENTLICHTE IDEE"]
    for bad in ("abc", "999999", "%00", "99999999999999999999"):
        response = council.job_file(url(world, "csv", event=bad))
        assert response.status_code == 400, bad
        assert "Ungültige Anfrage" in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["csv", "xlsx", "json"])
def test_only_admin_and_council_may_export(app, client, staff_client, world, kind):
    anonymous = client.job_file(url(world, kind))
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert staff_client("moderator").job_file(url(world, kind)).status_code == 403
    assert staff_client("admin").job_file(url(world, kind)).status_code == 200
    assert staff_client("council").job_file("/manage/results/processes/999999/ideas.csv").status_code == 404
