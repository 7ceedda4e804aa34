"""The invitation letters (issue 17): the city's letter text with placeholders (checked: unknown
placeholders, empty parts, a text too long for one page are messages that keep the typed text and
store nothing), one PDF made by a job with one sheet per letter (pypdf: page count; the front has the
invitee's name in the address field of a DIN 5008 form B page, the sender line above it, the code
and the QR link's code at the foot; the back is the paper reply form, the city's address in the
window field, name and code filled in, a tick box per option of the questions the register does not
answer), and the CSV for a print-and-mail service."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from pypdf.generic import ContentStream

from app.core.urls import absolute_url
from app.extensions import db as _db
from app.invitations import answering, codes, letters
from app.invitations.models import Invitation, InvitationDraw
from app.jobs.models import Job
from tests.factories.invitations import draw_invitations

MM = 72 / 25.4
PAGE_H = 297 * MM


@pytest.fixture
def drawn(app, register_event):
    with app.test_request_context():
        return register_event, draw_invitations(register_event, letters=8)


def _positions(page) -> list[tuple[str, float, float]]:
    """(text, x in mm from the left, y in mm from the top) of every text drawn on ``page``."""
    found = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x / MM, (PAGE_H - y) / MM))

    page.extract_text(visitor_text=visit)
    return found


def _qr_grid(page, reader) -> list[list[bool]]:
    """The QR code drawn on ``page``, read back from its rectangles (one per run of dark modules)."""
    rects = [tuple(float(v) for v in operands) for operands, op in ContentStream(page.get_contents(), reader).operations
             if op == b"re"]
    rects = [r for r in rects if r[3] < 10 * MM]  # the modules, not the code box's frame
    left, top = min(r[0] for r in rects), max(r[1] + r[3] for r in rects)
    module = min(r[3] for r in rects)
    n = round((top - min(r[1] for r in rects)) / module)
    grid = [[False] * n for _ in range(n)]
    for x, y, w, h in rects:
        row, start = round((top - y - h) / module), round((x - left) / module)
        for col in range(start, start + round(w / module)):
            grid[row][col] = True
    return grid


def _at(positions, text):
    return [(x, y) for t, x, y in positions if text in t]


def _file(client, event_id, fmt):
    response = client.submit(f"/manage/events/{event_id}/invitations/letters", {"format": fmt})
    assert response.status_code == 303
    job = _db.session.execute(sa.select(Job).order_by(Job.id.desc())).scalars().first()
    assert job.status == "done", job.error_json
    page = client.get(f"/manage/events/{event_id}/invitations").get_data(as_text=True)
    assert f"/manage/jobs/{job.id}/file" in page
    return client.get(f"/manage/jobs/{job.id}/file")


def test_one_page_per_letter_names_and_codes_in_place(app, staff_client, drawn):
    event_id, invited = drawn
    client = staff_client("admin")
    with app.app_context():
        response = _file(client, event_id, "pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        reader = PdfReader(io.BytesIO(response.data))
        assert len(reader.pages) == 2 * len(invited) == 16
        people = {codes.format_code(code): _db.session.get(Invitation, i).person for i, code in invited}
        seen = set()
        for page in reader.pages[::2]:
            positions = _positions(page)
            text = page.extract_text()
            code = next(c for c in people if c in text)
            seen.add(code)
            person = people[code]
            name = answering.display_name(person)
            # The name heads the address zone of the window (62.7–90 mm from the top, from 25 mm left).
            (x, y), = _at(positions, name)[:1]
            assert 62.7 < y < 90 and 24 < x < 26, (name, x, y)
            street, town = answering.address_lines(person)
            for line in (street, town):  # (the town may also stand in the letterhead)
                assert any(62.7 < y < 90 and 24 < x < 26 for x, y in _at(positions, line)), line
            # The sender line in the remark zone above it (45–62.7 mm).
            sender_y = _at(positions, "Rathausplatz 2 · 73728 Esslingen")[0][1]
            assert 45 < sender_y < 62.7
            # The code at the foot (below 232 mm), and the QR link carries it.
            assert any(y > 232 for _x, y in _at(positions, code))
            assert "Ihr persönlicher Code" in text and f"Guten Tag {name}," in text
            # The QR code is the answer page's link with this code filled in.
            link = absolute_url("invitations.answer_code", code=codes.normalise_code(code))
            assert link.endswith(f"/invitation?code={codes.normalise_code(code)}")
            assert _qr_grid(page, reader) == letters.qr_matrix(link)
        assert seen == set(people)  # every invitee exactly once


def test_reply_form_on_the_back_of_each_letter(app, staff_client, drawn):
    event_id, invited = drawn
    client = staff_client("admin")
    with app.app_context():
        reader = PdfReader(io.BytesIO(_file(client, event_id, "pdf").data))
        people = {codes.format_code(code): _db.session.get(Invitation, i).person for i, code in invited}
        for front, back in zip(reader.pages[::2], reader.pages[1::2]):
            front_text, text = front.extract_text(), back.extract_text()
            assert "Antwortformular auf der Rückseite" in front_text
            code = next(c for c in people if c in front_text)
            assert code in text  # the same invitee on both sides
            person = people[code]
            name = answering.display_name(person)
            positions = _positions(back)
            # The city's address in the window field (the reply goes back in a window envelope) ...
            for line in ("Stadt Esslingen am Neckar", "Rathausplatz 2", "73728 Esslingen am Neckar"):
                assert any(62.7 < y < 90 and 24 < x < 26 for x, y in _at(positions, line)), line
            # ... the invitee as sender above it, name and code filled in.
            assert any(45 < y < 62.7 for _x, y in _at(positions, name))
            assert f"Name (aus dem Melderegister): {name}" in text
            assert "Antwortformular: Bürger-Workshop" in text
            # The question the register does not answer, with its options; age and gender come from it.
            for option in ("Höchster Schulabschluss", "Kein Abschluss", "Haupt- oder Realschule", "Abitur oder höher"):
                assert option in text
            assert "Altersgruppe" not in text and "Geschlecht" not in text
            assert "E-Mail:" in text and "Telefon:" in text and "Datum und Unterschrift:" in text
            assert "Ich bin mit der Verarbeitung meiner Daten" in text
            flat = " ".join(text.split())
            assert "Ihre Anschrift haben wir aus dem Melderegister (nach § 46 Bundesmeldegesetz (BMG, " \
                   "Gruppenauskunft)), nur für diesen Bürgerrat." in flat and "/privacy#register" in flat
            assert "Es muss bis Sonntag, 31. Januar 2027 bei uns sein." in " ".join(text.split())  # the deadline
            boxes = [op for op in ContentStream(back.get_contents(), reader).operations
                     if op[1] == b"re" and abs(float(op[0][2]) - 3.2 * MM) < 0.01]
            assert len(boxes) == 3 + 1  # three options and the consent


def test_the_citys_letter_text_checked_and_used(app, staff_client, drawn):
    event_id, _invited = drawn
    client = staff_client("admin")
    base = f"/manage/events/{event_id}/invitations"
    good = {"sender": "Stadt Esslingen am Neckar\nRathausplatz 2\n73728 Esslingen", "sender_line":
            "Stadt Esslingen · Rathausplatz 2 · 73728 Esslingen", "subject": "Einladung: {event}",
            "body": "Guten Tag {name},\n\nbitte antworten Sie bis {deadline} mit dem Code {code}.",
            "signature": "Freundliche Grüße\n\nIhr Oberbürgermeister"}
    unknown = client.submit(f"{base}/letter", {**good, "body": "Hallo {vorname}"})
    assert unknown.status_code == 422
    page = unknown.get_data(as_text=True)
    assert "unbekannte Platzhalter: {vorname}" in page and "Hallo {vorname}</textarea>" in page
    too_long = client.submit(f"{base}/letter", {**good, "body": "\n\n".join(["Ein langer Absatz. " * 12] * 14)})
    assert too_long.status_code == 422 and "passt nicht auf eine Seite" in too_long.get_data(as_text=True)
    empty = client.submit(f"{base}/letter", {**good, "subject": " "})
    assert empty.status_code == 422
    with app.app_context():
        assert _db.session.execute(sa.select(InvitationDraw.letter_json)).scalar_one() is None
    assert client.submit(f"{base}/letter", good).status_code == 303
    with app.app_context():
        reader = PdfReader(io.BytesIO(_file(client, event_id, "pdf").data))
        text = reader.pages[0].extract_text()
        assert "Ihr Oberbürgermeister" in text and "bis Sonntag, 31. Januar 2027 mit dem Code" in text
        assert "Einladung: Bürger-Workshop" in text


def test_csv_for_a_print_and_mail_service(app, staff_client, drawn):
    event_id, invited = drawn
    client = staff_client("admin")
    with app.app_context():
        response = _file(client, event_id, "csv")
        text = response.data.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
        assert rows[0] == list(letters.CSV_HEADER) and len(rows) == 1 + len(invited)
        by_code = {r[4]: r for r in rows[1:]}
        for invitation_id, code in invited:
            row = by_code[codes.format_code(code)]
            person = _db.session.get(Invitation, invitation_id).person
            assert row[1] == answering.display_name(person) and row[5].endswith(f"/invitation?code={code}")


def test_letters_only_for_drawn_invitations(app, staff_client, register_event):
    client = staff_client("admin")
    response = client.submit(f"/manage/events/{register_event}/invitations/letters", {"format": "pdf"})
    assert response.status_code == 303
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one() == 0
    assert staff_client("moderator").submit(f"/manage/events/{register_event}/invitations/letters",
                                            {"format": "pdf"}).status_code == 403
