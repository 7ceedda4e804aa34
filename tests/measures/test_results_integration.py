"""Measures in the staff exports (CSV, XLSX, JSON) and in the council report's "status of the measures"."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader

from app.extensions import db
from app.measures.lifecycle import change_status, create_measure
from app.measures.links import link_ideas


def _setup(app, measures_world):
    w = measures_world()
    with app.test_request_context():
        process = w.process
        measure = create_measure(process, title="Online-Terminvergabe für das Bürgerbüro",
                                 chapter="Bürgerportal", on=date(2019, 5, 15))
        change_status(measure, "adopted", on=date(2019, 7, 22))
        link_ideas(measure, [w.ideas[0], w.ideas[4]])
        create_measure(process, title="Digitale Bücherei", chapter="Bildung")
        db.session.commit()
    return w


def test_exports_name_the_measures_of_each_idea(app, measures_world, staff_client):
    w = _setup(app, measures_world)
    council = staff_client("council")
    base = f"/manage/results/processes/{w.process_id}/ideas"
    data = json.loads(council.job_file(base + ".json").get_data(as_text=True))
    ideas = {i["id"]: i for i in data["ideas"]}
    assert [m["title"] for m in ideas[w.idea_ids[0]]["measures"]] == ["Online-Terminvergabe für das Bürgerbüro"]
    assert ideas[w.idea_ids[0]]["measures"][0]["status"] == "adopted"
    assert ideas[w.idea_ids[1]]["measures"] == []
    text = council.job_file(base + ".csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert any("Online-Terminvergabe für das Bürgerbüro" in cell for row in rows[1:] for cell in row)
    sheet = load_workbook(io.BytesIO(council.job_file(base + ".xlsx").get_data())).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "Online-Terminvergabe für das Bürgerbüro" in cells


def test_council_report_has_the_status_of_the_measures(app, measures_world, staff_client):
    w = _setup(app, measures_world)
    response = staff_client("council").job_file(f"/manage/results/processes/{w.process_id}/report.pdf")
    assert response.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)
    assert "Stand der Maßnahmen" in text or "Status der Maßnahmen" in text
    assert "Online-Terminvergabe" in text and "Digitale Bücherei" in text
    assert "beschlossen" in text and "vorgeschlagen" in text
