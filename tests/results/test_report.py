"""The council report: a PDF parsed with pypdf, German by default and English on request; access."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.api.world import SECRETS


@pytest.fixture
def world(app, smtp):
    from tests.api.world import build_world

    with app.test_request_context():
        return build_world()


def pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


def report_url(world, **query) -> str:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/manage/results/processes/{world.process_id}/report.pdf" + (f"?{suffix}" if suffix else "")


def test_german_report_covers_the_process(staff_client, world):
    text = pdf_text(staff_client("council").get(report_url(world)))
    for expected in ("Esslingen 4.0 – Bürgerbeteiligung", "Bericht für den Gemeinderat", "So lief der Prozess",
                     "Bürgerwerkstatt Öffnungszeiten", "Öffnungszeiten & Service", "Samstags geöffnet für Berufstätige",
                     "Prüfsumme der Festlegung", world.commitment[:20], "Ideen nach Marktstand", "Punkte je Schlagwort",
                     "Vergleich der Zielgruppen", "Einwohnerinnen und Einwohner"):
        assert expected in text, expected
    for secret in SECRETS + ["VERSTECKTE IDEE", "Beleidigend"]:
        assert secret not in text, secret


def test_english_on_request_and_by_ui_language(app, staff_client, world):
    council = staff_client("council")
    text = pdf_text(council.get(report_url(world, lang="en")))
    assert "Report for the council" in text and "How the process ran" in text
    assert "Audit reference (commitment hash)" in text
    council.set_cookie("ideenmarkt_lang", "en")
    assert "Report for the council" in pdf_text(council.get(report_url(world)))
    council.delete_cookie("ideenmarkt_lang")
    text = pdf_text(council.get(report_url(world, lang="xx%00")))
    assert "Bericht für den Gemeinderat" in text
    assert "Entwurf Geheimveranstaltung" not in text


def test_report_without_dejavu_falls_back_to_base_fonts(staff_client, world, monkeypatch, tmp_path):
    from app.results import report

    monkeypatch.setattr(report, "DEJAVU_DIR", tmp_path / "missing")
    monkeypatch.setattr(report, "_fonts", None)
    text = pdf_text(staff_client("admin").get(report_url(world)))
    assert "Öffnungszeiten & Service" in text
    monkeypatch.setattr(report, "_fonts", None)


def test_only_admin_and_council_get_the_report(client, staff_client, world):
    anonymous = client.get(report_url(world))
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert staff_client("moderator").get(report_url(world)).status_code == 403
    assert staff_client("admin").get("/manage/results/processes/999999/report.pdf").status_code == 404


def test_wrap_breaks_lines_and_cuts_long_words():
    from app.results.report import fonts, wrap

    font = fonts().regular
    text = wrap("Bürgerbeteiligung " * 20 + "x" * 300, 150, font, 8)
    lines = text.split("\n")
    assert len(lines) > 5
    assert all(pdfmetrics_width(line, font) <= 150 for line in lines)
    assert "".join(text.split()) == "Bürgerbeteiligung" * 20 + "x" * 300
    assert wrap("", 100, font, 8) == ""


def pdfmetrics_width(text: str, font: str) -> float:
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.stringWidth(text, font, 8)


def test_long_idea_tables_repeat_their_header_once_per_page(app, staff_client):
    """A stand with hundreds of ideas is one table: its header starts every page it runs over,
    never appears in the middle of a page."""
    from tests.results.conftest import build_bulk_event

    with app.app_context():
        ev = build_bulk_event(250, stands=1, tags=3)
    response = staff_client("council").get(f"/manage/results/processes/{ev.process_id}/report.pdf?lang=en")
    assert response.status_code == 200
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages]
    first = next(n for n, text in enumerate(pages) if "Ideas by stand, ranked by dots" in text)
    table_pages = [text for text in pages[first:] if "Total" in text and "Comparison of stakeholder groups" not in text]
    assert len(table_pages) >= 3
    for text in table_pages:
        assert text.count("Online\nTotal") + text.count("Online Total") == 1, text[:400]
