"""The council report is a tagged PDF/UA-1 document (issue 16 item 2), in German and in English.

Checked twice: with the ``pdfua`` checker (the machine-checkable part of PDF/UA-1 and WCAG for
PDF, on pikepdf) and by reading the structure tree with pikepdf: headings in sequence, a list,
tables with header cells and scopes whose header repeated on a following page is an artifact,
every chart a figure with its numbers as alternative text, the document language, the title
shown by the viewer, and German content marked ``/Lang (de)`` in the English report.
"""
from __future__ import annotations

import re
from collections import Counter

import pikepdf
import pytest
from pdfua import Severity, validate

ROLES_WITH_CONTENT = {"P", "H1", "H2", "H3", "Figure", "Lbl", "LBody", "TH", "TD"}


@pytest.fixture
def report_pdf(app, staff_client, tmp_path):
    """``report_pdf(lang)``: the report of a process with the API world's events plus a stand of
    120 ideas (its table runs over several pages), as a path."""
    from tests.factories.api import build_world
    from tests.factories.results import build_bulk_event

    with app.test_request_context():
        world = build_world()
    with app.app_context():
        from app.events.models import Event
        from app.extensions import db

        bulk = build_bulk_event(120, stands=1, tags=3)
        db.session.get(Event, bulk.event_id).process_id = world.process_id
        db.session.commit()

    def get(lang: str):
        response = staff_client("council").job_file(f"/manage/results/processes/{world.process_id}/report.pdf?lang={lang}")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        path = tmp_path / f"report-{lang}.pdf"
        path.write_bytes(response.get_data())
        return path

    return get


def walk(element, parent_role="StructTreeRoot"):
    """(element, parent role) of every structure element under ``element``, in reading order."""
    kids = element.get("/K")
    if kids is None:
        return
    if not isinstance(kids, pikepdf.Array):
        kids = [kids]
    for kid in kids:
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/MCR" and "/S" in kid:
            yield kid, parent_role
            yield from walk(kid, str(kid.S)[1:])


def mcids(element):
    kids = element.get("/K")
    kids = [] if kids is None else (list(kids) if isinstance(kids, pikepdf.Array) else [kids])
    return [k for k in kids if not isinstance(k, pikepdf.Dictionary) or k.get("/Type") == "/MCR"]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_report_is_tagged_pdf_ua(report_pdf, lang):
    path = report_pdf(lang)
    report = validate(str(path))
    problems = [f"{f.rule_id} {f.severity.name}: {f.message}" for f in report.findings
                if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert not problems, problems
    assert not report.skipped, [(o.rule.id, o.error) for o in report.skipped]

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        assert root.MarkInfo.Marked is True
        assert str(root.Lang) == lang
        assert root.ViewerPreferences.DisplayDocTitle is True
        title = str(pdf.docinfo.Title)
        assert ("Bericht für den Gemeinderat" if lang == "de" else "Report for the council") in title
        with pdf.open_metadata() as meta:
            assert meta.get("dc:title") == title
            assert meta.get("pdfuaid:part") == "1"
        for page in pdf.pages:
            assert page.Tabs == "/S" and "/StructParents" in page

        tree = root.StructTreeRoot
        elements = list(walk(tree))
        roles = [str(e.S)[1:] for e, _ in elements]
        assert roles[0] == "Document"
        # Headings in sequence: one H1 (the title), then H2 sections with H3 inside, none skipped.
        headings = [int(r[1]) for r in roles if re.fullmatch(r"H\d", r)]
        assert headings[0] == 1 and headings.count(1) == 1
        assert all(b <= a + 1 for a, b in zip(headings, headings[1:])), headings
        # Every element that holds content has some, on a page, and the parent tree points back.
        parent_tree = dict(zip(*[iter(tree.ParentTree.Nums)] * 2))
        for element, _ in elements:
            role = str(element.S)[1:]
            if role in ROLES_WITH_CONTENT:
                assert mcids(element), role
        marked = sum(len(array) for array in parent_tree.values())
        assert marked == sum(len(mcids(e)) for e, _ in elements)
        # Lists: L > LI > Lbl + LBody.
        assert "L" in roles
        for element, parent in elements:
            role = str(element.S)[1:]
            if role == "LI":
                assert parent == "L"
                assert [str(k.S)[1:] for k in element.K] == ["Lbl", "LBody"]
        # Tables: header cells with scope; a table over several pages keeps one header row.
        tables = [e for e, _ in elements if e.S == "/Table"]
        assert len(tables) >= 5
        for table in tables:
            rows = list(table.K) if isinstance(table.K, pikepdf.Array) else [table.K]
            assert all(r.S == "/TR" for r in rows)
            header_rows = [r for r in rows if any(c.S == "/TH" and c.A.Scope == "/Column" for c in
                                                  (r.K if isinstance(r.K, pikepdf.Array) else [r.K]))]
            key_rows = [r for r in rows if (r.K if isinstance(r.K, pikepdf.Array) else [r.K])[0].get("/A", {})
                        .get("/Scope") == "/Row"]
            assert len(header_rows) == 1 or len(key_rows) == len(rows), len(header_rows)
        long_table = max(tables, key=lambda t: len(t.K))
        assert len(long_table.K) > 100  # the header once and the visible ideas, though it runs over pages
        pages_of_long_table = {pdf.pages.index(pikepdf.Page(r.K[1].Pg)) if "/Pg" in r.K[1] else None
                               for r in long_table.K}
        assert len(pages_of_long_table) >= 3
        # Charts: figures with their bars and numbers as text.
        figures = [e for e, _ in elements if e.S == "/Figure"]
        assert len(figures) == 3
        for figure in figures:
            alt = str(figure.Alt)
            assert alt.startswith("Balkendiagramm" if lang == "de" else "Bar chart") and re.search(r": \d", alt)
            assert len(figure.A.BBox) == 4
        # Language of parts: German content is marked in the English report, nowhere in the German one.
        langs = Counter(str(e.Lang) for e, _ in elements if "/Lang" in e)
        if lang == "de":
            assert not langs
        else:
            assert set(langs) == {"de"} and langs["de"] > 120
            cells = [e for e, _ in elements if "/Lang" in e]
            assert any(e.S == "/H1" for e in cells)  # the process title


def test_fonts_that_show_text_are_embedded(report_pdf):
    """PDF/UA wants every font that shows text embedded (pdfua does not check it): DejaVu, also for
    the commitment hash; ReportLab's unused Helvetica resource shows nothing."""
    used = set()
    with pikepdf.open(report_pdf("de")) as pdf:
        for page in pdf.pages:
            fonts, current = page.Resources.Font, None
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "Tf":
                    current = fonts[operands[0]]
                elif str(operator) in ("Tj", "TJ", "'", '"'):
                    assert current is not None and "/FontFile2" in current.FontDescriptor, current
                    used.add(str(current.BaseFont).split("+")[-1])
    assert {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono"} <= used, used
