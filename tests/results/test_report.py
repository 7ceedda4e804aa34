"""The council report: a PDF parsed with pypdf, German by default and English on request; access."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from pypdf import PdfReader

from tests.factories.api import SECRETS


@pytest.fixture
def world(app, smtp):
    from tests.factories.api import build_world

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
    text = pdf_text(staff_client("council").job_file(report_url(world)))
    for expected in ("Esslingen 4.0 – Bürgerbeteiligung", "Bericht für den Gemeinderat", "So lief der Prozess",
                     "Bürgerwerkstatt Öffnungszeiten", "Öffnungszeiten & Service", "Samstags geöffnet für Berufstätige",
                     "Prüfsumme der Festlegung", world.commitment[:20], "Ideen nach Marktstand", "Punkte je Schlagwort",
                     "Vergleich der Zielgruppen", "Einwohnerinnen und Einwohner"):
        assert expected in text, expected
    for secret in SECRETS + ["VERSTECKTE IDEE", "Beleidigend"]:
        assert secret not in text, secret


def test_english_on_request_and_by_ui_language(app, staff_client, world):
    council = staff_client("council")
    text = pdf_text(council.job_file(report_url(world, lang="en")))
    assert "Report for the council" in text and "How the process ran" in text
    assert "Audit reference (commitment hash)" in text
    council.set_cookie("ideenmarkt_lang", "en")
    assert "Report for the council" in pdf_text(council.job_file(report_url(world)))
    council.delete_cookie("ideenmarkt_lang")
    text = pdf_text(council.job_file(report_url(world, lang="xx%00")))
    assert "Bericht für den Gemeinderat" in text
    assert "Entwurf Geheimveranstaltung" not in text


def test_report_without_dejavu_falls_back_to_base_fonts(staff_client, world, monkeypatch, tmp_path):
    from app.core import pdf_fonts

    monkeypatch.setattr(pdf_fonts, "DEJAVU_DIR", tmp_path / "missing")
    monkeypatch.setattr(pdf_fonts, "_fonts", None)
    text = pdf_text(staff_client("admin").job_file(report_url(world)))
    assert "Öffnungszeiten & Service" in text
    monkeypatch.setattr(pdf_fonts, "_fonts", None)


def test_only_admin_and_council_get_the_report(client, staff_client, world):
    anonymous = client.job_file(report_url(world))
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert staff_client("moderator").job_file(report_url(world)).status_code == 403
    assert staff_client("admin").job_file("/manage/results/processes/999999/report.pdf").status_code == 404


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
    from tests.factories.results import build_bulk_event

    with app.app_context():
        ev = build_bulk_event(250, stands=1, tags=3)
    response = staff_client("council").job_file(f"/manage/results/processes/{ev.process_id}/report.pdf?lang=en")
    assert response.status_code == 200
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages]
    first = next(n for n, text in enumerate(pages) if "Ideas by stand, ranked by dots" in text)
    table_pages = [text for text in pages[first:] if "Total" in text and "Comparison of stakeholder groups" not in text]
    assert len(table_pages) >= 3
    for text in table_pages:
        flat = " ".join(text.split())  # right-aligned headers come out with a leading space
        assert flat.count("Online Total") == 1, text[:400]
        assert flat.count("Total Supports online") == 1, text[:400]


#: Six events of one process with long German titles (issue 24, defect 13).
SIX_EVENTS = [
    ("Auftaktveranstaltung zur Digitalisierungsstrategie der Stadtverwaltung", datetime(2019, 3, 12, 18, 0)),
    ("Workshop mit Unternehmerinnen und Unternehmern zum Fortschritt der Digitalisierungsstrategie",
     datetime(2019, 3, 19, 17, 0)),
    ("Workshop mit der City-Initiative über Einzelhandelsdigitalisierung", datetime(2019, 3, 26, 18, 0)),
    ("Bürger-Workshop zur Digitalisierungsstrategie „Esslingen 4.0“", datetime(2019, 4, 1, 18, 0)),
    ("Workshop mit der Hochschule Esslingen zu Forschungskooperationen", datetime(2019, 4, 8, 14, 0)),
    ("Jugendgemeinderatssitzung: Verwaltungsdienstleistungen für Jugendliche", datetime(2019, 4, 10, 17, 30)),
]


def test_process_table_keeps_words_whole_and_dates_apart(app, staff_client):
    """Six events with long German titles: every word of the titles and of the table headers
    comes out of the PDF whole, each event's date stands on its own with a four-digit year."""
    from zoneinfo import ZoneInfo

    from app.events.models import Event, EventStatus, Process
    from app.extensions import db

    def utc(local):
        return local.replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    with app.app_context():
        process = Process(title="Digitalisierungsstrategie „Esslingen 4.0“",
                          stakeholder_groups="Bürgerinnen und Bürger\nJugendgemeinderat")
        db.session.add(process)
        for n, (title, starts) in enumerate(SIX_EVENTS):
            db.session.add(Event(process=process, title=title, place="Altes Rathaus", starts_at=utc(starts),
                                 seats=15 * (n % 2), status=EventStatus.HELD.value, consent_text="Einwilligung",
                                 stakeholder_group="Jugendgemeinderat" if n == 5 else "Bürgerinnen und Bürger"))
        db.session.commit()
        process_id = process.id
    response = staff_client("council").job_file(f"/manage/results/processes/{process_id}/report.pdf")
    text = pdf_text(response)
    title_page = text[:text.index("So lief der Prozess")]
    process_table = text[text.index("So lief der Prozess"):text.index("Beteiligung (alle Veranstaltungen)")]
    with app.test_request_context():  # the German labels as the catalogue has them
        from flask_babel import gettext

        from app.events.services import EVENT_STATUS_LABELS

        def german(*texts):
            return [word for text in texts for word in gettext(text).split()]

        headers = {title_page: german("Event", "Date", "Stakeholder group"),
                   process_table: german("Event", "Seats", "Applications", "Selected", "Confirmed", "Checked in",
                                         "Voters")}
        held = str(EVENT_STATUS_LABELS[EventStatus.HELD.value])
    for part, labels in headers.items():
        words = set(part.split())
        for word in [w for title, _ in SIX_EVENTS for w in title.split()] + labels:
            assert word in words, (word, part)
    for _, starts in SIX_EVENTS:
        assert f"{starts:%d.%m.%Y, %H:%M} · {held}" in process_table
    assert "Dienstag, 19. März 2019, 17:00 Uhr" in title_page  # the title page names the dates in full
    assert not re.search(r"\d:\d\d\d", text), "two times run together"
    assert not re.search(r"\b\d\d\.\d\d\.\d\d\b(?!\d)", text), "a two-digit year"
    # One row per event: each event's title comes right before its own date.
    flat = " ".join(process_table.split())
    for title, starts in SIX_EVENTS:
        assert f"{title} {starts:%d.%m.%Y, %H:%M}" in flat, title


def test_fit_widths_gives_each_column_its_longest_word():
    from reportlab.platypus import Paragraph

    from app.results.report import FRAME_WIDTH, Styles, fit_widths, fonts

    styles = Styles(fonts())
    rows = [[Paragraph("Veranstaltung", styles.head), Paragraph("Bewerbungen", styles.head),
             Paragraph("Fortschritt", styles.head)],
            [Paragraph("Digitalisierungsstrategie und Verwaltungsdienstleistungen", styles.cell), "12", "100 %"]]
    widths = fit_widths(rows, FRAME_WIDTH, styles.fonts.regular)
    assert abs(sum(widths) - FRAME_WIDTH) < 1
    for column, word, font, size in [(0, "Verwaltungsdienstleistungen", styles.fonts.regular, 8),
                                     (1, "Bewerbungen", styles.fonts.bold, 7.5),
                                     (2, "Fortschritt", styles.fonts.bold, 7.5)]:
        assert widths[column] >= pdfmetrics_stringwidth(word, font, size)


def pdfmetrics_stringwidth(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.stringWidth(text, font, size)
