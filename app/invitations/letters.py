"""The invitation letters of a draw: one PDF with one sheet per invitee (DIN 5008, form B, for a DL
window envelope; the front the letter, the back the paper reply form, :func:`_reply_page`), and
the same as a CSV for a print-and-mail service. Both are made by a job (:mod:`app.invitations.jobs`),
never in the request.

Page layout (A4, millimetres from the top-left corner, DIN 5008 form B): fold marks at 105 and 210,
the hole mark at 148.5; the address field 20–105 across and 45–90 down, its first 17.7 mm the
additional-and-remark zone with the sender line (return address, 7 pt, underlined) at its top, the
address lines from 62.7 (the DL window, 90 × 45 mm, 20 mm from the left and 15 mm from the bottom
of the envelope, shows the field when the page is folded twice); the date in the information block
at 125 across, 50 down; the subject (bold) at 98.46; the city's text below it, the greeting and
signature; at the foot the personal code and a QR code of the answer page with the code filled in.

The city edits the letter (sender, sender line, subject, text, signature) with placeholders
(:data:`PLACEHOLDERS`); the text must fit on one page (checked when saved). The reminder letter
(:func:`reminder_of`) is the same letter with a subject and text of its own
(:data:`REMINDER_LIMITS`, stored beside the letter's parts in ``letter_json``); it carries the same
personal code.
"""
from __future__ import annotations

import csv
import io
import json
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

import qrcode
import qrcode.constants
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph, Spacer

from app.core.formatting import format_day
from app.core.models import utcnow
from app.core.pdf_fonts import fonts
from app.core.spreadsheets import csv_safe
from app.core.urls import absolute_url
from app.events.models import Event
from app.extensions import db
from app.invitations import answering, codes
from app.invitations.errors import InvitationError
from app.invitations.models import Invitation, InvitationDraw, RegisterPerson

#: The letters are written in the default language.
LETTER_LANGUAGE = "de"
#: Placeholders of the letter text, with what they stand for (shown beside the form).
PLACEHOLDERS = {
    "name": _l("the invitee's name"),
    "event": _l("the event's title"),
    "event_date": _l("the event's date"),
    "place": _l("the event's place"),
    "deadline": _l("the answer deadline"),
    "code": _l("the personal code"),
    "link": _l("the address of the answer page"),
}
LIMITS = {"sender": 300, "sender_line": 120, "subject": 200, "body": 4000, "signature": 300}
#: The reminder letter's own parts (the sender, sender line and signature are the letter's).
REMINDER_LIMITS = {"reminder_subject": 200, "reminder_body": 4000}
PAGE_W, PAGE_H = A4
#: Positions from the top edge (DIN 5008 form B), in mm.
FIELD_TOP, ADDRESS_TOP, INFO_TOP, SUBJECT_TOP = 45.0, 62.7, 50.0, 98.46
LEFT, FIELD_LEFT, INFO_LEFT, RIGHT = 25.0, 20.0, 125.0, 20.0
FOOT_TOP = 232.0  # the code box: from here to 277 mm
QR_MASK = 4


def default_letter() -> dict[str, str]:
    """The letter a draw starts with, in the letters' language."""
    with force_locale(LETTER_LANGUAGE):
        return {
            "sender": _("City of Esslingen am Neckar\nCitizen participation\nRathausplatz 2\n73728 Esslingen am Neckar"),
            "sender_line": _("City of Esslingen · Rathausplatz 2 · 73728 Esslingen"),
            "subject": _("Invitation to the citizens' council “{event}”"),
            "body": _("Dear {name},\n\nyou have been drawn at random from the residents' register to take part in "
                      "the citizens' council “{event}” on {event_date} ({place}). Your experience counts: "
                      "the council gives the city council recommendations.\n\nPlease answer by {deadline}, online "
                      "at {link} with your personal code {code}, or with the QR code below. From all who answer, "
                      "the seats are drawn by lot so that the council reflects the city. Participants receive "
                      "an allowance."),
            "signature": _("Kind regards\n\nThe Mayor"),
        }


def default_reminder() -> dict[str, str]:
    """The reminder's subject and text a draw starts with, in the letters' language."""
    with force_locale(LETTER_LANGUAGE):
        return {
            "reminder_subject": _("Reminder: invitation to the citizens' council “{event}”"),
            "reminder_body": _("Dear {name},\n\nwe recently invited you to take part in the citizens' council "
                               "“{event}” on {event_date} ({place}). We have not yet received your answer. Your "
                               "view counts, especially if you have never taken part in anything like this "
                               "before.\n\nPlease answer by {deadline}, online at {link} with your personal code "
                               "{code}, or with the QR code below: the code of the first letter still works. If "
                               "you have answered in the meantime, please disregard this letter."),
        }


def _stored(draw: InvitationDraw) -> dict[str, str]:
    return json.loads(draw.letter_json) if draw.letter_json else {}


def letter_of(draw: InvitationDraw) -> dict[str, str]:
    return {**default_letter(), **{k: v for k, v in _stored(draw).items() if k in LIMITS}}


def reminder_texts(draw: InvitationDraw) -> dict[str, str]:
    """The reminder's own parts (``reminder_subject``, ``reminder_body``), as saved or the default."""
    return {**default_reminder(), **{k: v for k, v in _stored(draw).items() if k in REMINDER_LIMITS}}


def reminder_of(draw: InvitationDraw) -> dict[str, str]:
    """The reminder letter as :func:`render_pdf` takes it: the letter with the reminder's subject and text."""
    texts = reminder_texts(draw)
    return {**letter_of(draw), "subject": texts["reminder_subject"], "body": texts["reminder_body"]}


def _check_placeholders(name: str, text: str) -> None:
    try:
        fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None]
    except ValueError:
        raise InvitationError("bad_letter", _l("A brace in the letter is not closed: write placeholders as {name}."),
                              field=name) from None
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    if unknown:
        raise InvitationError("bad_letter", _l("The letter uses unknown placeholders: %(names)s. Known: %(known)s.",
                                               names=", ".join("{" + u + "}" for u in unknown),
                                               known=", ".join("{" + k + "}" for k in PLACEHOLDERS)), field=name)


def _checked_parts(values: dict[str, str], limits: dict[str, int]) -> dict[str, str]:
    parts = {}
    for name, limit in limits.items():
        text = (values.get(name) or "").replace("\r\n", "\n").strip()
        if not text:
            raise InvitationError("bad_letter", _l("Please fill in every part of the letter."), field=name)
        if len(text) > limit:
            raise InvitationError("bad_letter", lazy_ngettext("This part of the letter is longer than %(num)d character.",
                                                              "This part of the letter is longer than %(num)d characters.",
                                                              limit), field=name)
        _check_placeholders(name, text)
        parts[name] = text
    return parts


def _check_fits(draw: InvitationDraw, letter: dict[str, str]) -> None:
    sample = LetterData(name="Dr. Maximiliane Mustermann-Beispielname", address=["Musterstraße 123 a", "73728 Esslingen"],
                        code="ABCDE-FGH23", link=absolute_url("invitations.answer_code", code="ABCDEFGH23"))
    render_pdf([sample], letter, context_of(draw))  # raises bad_letter when the text does not fit


def _store(draw: InvitationDraw, parts: dict[str, str]) -> None:
    draw.letter_json = json.dumps({**_stored(draw), **parts}, ensure_ascii=False, sort_keys=True)
    db.session.flush()


def save_letter(draw: InvitationDraw, values: dict[str, str]) -> dict[str, str]:
    """Store the city's letter after checking lengths, placeholders and that it fits on one page.

    :raises InvitationError: ``bad_letter``.
    """
    letter = _checked_parts(values, LIMITS)
    _check_fits(draw, letter)
    texts = reminder_texts(draw)
    _check_fits(draw, {**letter, "subject": texts["reminder_subject"], "body": texts["reminder_body"]})
    _store(draw, letter)
    return letter


def save_reminder(draw: InvitationDraw, values: dict[str, str]) -> dict[str, str]:
    """Store the reminder's subject and text (checked like the letter's: placeholders, lengths, one page).

    :raises InvitationError: ``bad_letter`` (``field`` names the part: ``reminder_subject``, ``reminder_body``).
    """
    texts = _checked_parts(values, REMINDER_LIMITS)
    try:
        _check_fits(draw, {**letter_of(draw), "subject": texts["reminder_subject"], "body": texts["reminder_body"]})
    except InvitationError as exc:
        raise InvitationError(exc.code, exc.message, field="reminder_body") from None
    _store(draw, texts)
    return texts


@dataclass
class LetterData:
    name: str
    address: list[str]
    code: str
    link: str
    #: The reply form's questions: (criterion label, option labels) of the criteria the register
    #: does not answer for this invitee (:func:`app.invitations.answering.asked_criteria`).
    questions: list[tuple[str, list[str]]] = field(default_factory=list)


def context_of(draw: InvitationDraw) -> dict[str, str]:
    event = db.session.get(Event, draw.event_id)
    with force_locale(LETTER_LANGUAGE):
        return {"event": event.title, "event_date": format_day(event.starts_at, "long") if event.starts_at else "",
                "place": event.place or "", "deadline": format_day(answering.deadline_of(draw), "long")
                if answering.deadline_of(draw) else "", "date": format_day(utcnow(), "long"),
                "consent": event.consent_text or "", "privacy": absolute_url("privacy.privacy_page"),
                "legal_basis": current_app.config.get("PRIVACY_REGISTER_LEGAL_BASIS") or ""}


def letters(draw: InvitationDraw, reminded_at: datetime | None = None) -> Iterator[LetterData]:
    """The letters of a drawn draw, in postal order (postcode, street, house number), register rows
    that still exist only; with ``reminded_at`` the reminders of that run (see app/invitations/reminders.py)."""
    condition = [Invitation.draw_id == draw.id]
    if reminded_at is not None:
        condition.append(Invitation.reminded_at == reminded_at)
    rows = db.session.execute(
        sa.select(Invitation.code_nonce, RegisterPerson)
        .join(RegisterPerson, RegisterPerson.id == Invitation.person_id)
        .where(*condition)
        .order_by(RegisterPerson.postcode, RegisterPerson.street, RegisterPerson.house_number, Invitation.id)
        .execution_options(yield_per=1000))
    event = db.session.get(Event, draw.event_id)
    for nonce, person in rows:
        code = codes.invitation_code(nonce)
        yield LetterData(name=answering.display_name(person), address=answering.address_lines(person),
                         code=codes.format_code(code), link=absolute_url("invitations.answer_code", code=code),
                         questions=[(c.label, [o.label for o in c.options])
                                    for c in answering.asked_criteria(event, person)])


def count(draw: InvitationDraw) -> int:
    return int(db.session.execute(sa.select(sa.func.count()).select_from(Invitation)
                                  .where(Invitation.draw_id == draw.id, Invitation.person_id.is_not(None))).scalar_one())


def _fill(text: str, values: dict[str, str]) -> str:
    return string.Formatter().vformat(text, (), values)


def _paragraphs(text: str, style: ParagraphStyle) -> list:
    return [Paragraph(escape(block).replace("\n", "<br/>"), style) for block in text.split("\n\n") if block.strip()]


def _top(canvas: Canvas, font: str, size: float, x_mm: float, top_mm: float, text: str) -> None:
    canvas.setFont(font, size)
    canvas.drawString(x_mm * mm, PAGE_H - top_mm * mm, text)


def _page(canvas: Canvas, letter: dict[str, str], item: LetterData, context: dict[str, str], f) -> None:
    values = {**context, "name": item.name, "code": item.code, "link": item.link}
    # Fold marks and the hole mark.
    canvas.setLineWidth(0.3)
    for y in (105.0, 210.0, 148.5):
        canvas.line(4 * mm, PAGE_H - y * mm, (8 if y != 148.5 else 10) * mm, PAGE_H - y * mm)
    # Letterhead: the sender, top right.
    for i, line in enumerate(letter["sender"].splitlines()[:5]):
        _top(canvas, f.bold if i == 0 else f.regular, 9, INFO_LEFT, 20 + i * 4.2, line)
    # Sender line at the top of the address field, underlined.
    sender_line = letter["sender_line"]
    _top(canvas, f.regular, 7, LEFT, FIELD_TOP + 4, sender_line)
    width = canvas.stringWidth(sender_line, f.regular, 7)
    canvas.line(LEFT * mm, PAGE_H - (FIELD_TOP + 4.7) * mm, LEFT * mm + width, PAGE_H - (FIELD_TOP + 4.7) * mm)
    # The address: name, street, postcode and town.
    for i, line in enumerate([item.name, *item.address][:6]):
        _top(canvas, f.regular, 10, LEFT, ADDRESS_TOP + 3.5 + i * 4.5, line)
    # Information block: the date.
    with force_locale(LETTER_LANGUAGE):
        _top(canvas, f.regular, 9, INFO_LEFT, INFO_TOP + 3.5, _("Date: %(date)s", date=context["date"]))
    # Subject and text.
    _top(canvas, f.bold, 11, LEFT, SUBJECT_TOP + 3.5, _fill(letter["subject"], values))
    body = ParagraphStyle("body", fontName=f.regular, fontSize=10.5, leading=14, spaceAfter=6)
    flow = [*_paragraphs(_fill(letter["body"], values), body), Spacer(1, 4 * mm),
            *_paragraphs(_fill(letter["signature"], values), body)]
    frame = Frame(LEFT * mm, PAGE_H - (FOOT_TOP - 4) * mm, PAGE_W - (LEFT + RIGHT) * mm,
                  (FOOT_TOP - 4 - SUBJECT_TOP - 8) * mm, leftPadding=0, rightPadding=0, topPadding=0,
                  bottomPadding=0, showBoundary=0)
    for flowable in flow:
        if frame.add(flowable, canvas) == 0:
            raise InvitationError("bad_letter", _l("The letter text does not fit on one page: please shorten it."),
                                  field="body")
    # The code box: QR code of the answer page (code filled in) and the code to type.
    canvas.rect(LEFT * mm, PAGE_H - 277 * mm, (PAGE_W / mm - LEFT - RIGHT) * mm, 45 * mm, stroke=1, fill=0)
    _qr(canvas, item.link, (LEFT + 4) * mm, PAGE_H - 273 * mm, 37 * mm)
    text_left = LEFT + 48
    with force_locale(LETTER_LANGUAGE):
        _top(canvas, f.regular, 10, text_left, FOOT_TOP + 9, _("Your personal code:"))
        _top(canvas, f.bold, 16, text_left, FOOT_TOP + 17, item.code)
        _top(canvas, f.regular, 9, text_left, FOOT_TOP + 25, _("Answer online (or scan the QR code):"))
        _top(canvas, f.regular, 9, text_left, FOOT_TOP + 30, item.link.split("?")[0])
        if context.get("deadline"):
            _top(canvas, f.regular, 9, text_left, FOOT_TOP + 37, _("Please answer by %(date)s.",
                                                                      date=context["deadline"]))
        _top(canvas, f.regular, 9, text_left, FOOT_TOP + 42, _("No internet? Fill in the reply form overleaf "
                                                               "and send it back."))


#: The reply form's foot: below it nothing is printed (mm from the top).
REPLY_BOTTOM = 285.0


def _box(canvas: Canvas, x_mm: float, top_mm: float, size_mm: float = 3.2) -> None:
    """An empty tick box whose top edge is ``top_mm`` below the page's top."""
    canvas.rect(x_mm * mm, PAGE_H - (top_mm + size_mm) * mm, size_mm * mm, size_mm * mm, stroke=1, fill=0)


def _write_line(canvas: Canvas, font: str, x_mm: float, top_mm: float, label: str, width_mm: float) -> None:
    """``label`` and a line to write on after it, to ``x_mm + width_mm``."""
    _top(canvas, font, 9.5, x_mm, top_mm, label)
    start = x_mm * mm + canvas.stringWidth(label, font, 9.5) + 2 * mm
    canvas.line(start, PAGE_H - (top_mm + 0.8) * mm, (x_mm + width_mm) * mm, PAGE_H - (top_mm + 0.8) * mm)


def _reply_page(canvas: Canvas, letter: dict[str, str], item: LetterData, context: dict[str, str], f) -> None:
    """The reply form on the back of the letter: for a DL window envelope again, with the city's
    address in the address field and the invitee as sender; name and code filled in, a tick box per
    option of each question the register does not answer, email or phone, consent, date and signature.

    :raises InvitationError: ``bad_letter`` when the questions do not fit on the page.
    """
    width = PAGE_W / mm - LEFT - RIGHT
    canvas.setLineWidth(0.3)
    for y in (105.0, 210.0):
        canvas.line(4 * mm, PAGE_H - y * mm, 8 * mm, PAGE_H - y * mm)
    sender_line = " · ".join([item.name, *item.address])
    _top(canvas, f.regular, 7, LEFT, FIELD_TOP + 4, sender_line)
    canvas.line(LEFT * mm, PAGE_H - (FIELD_TOP + 4.7) * mm,
                LEFT * mm + canvas.stringWidth(sender_line, f.regular, 7), PAGE_H - (FIELD_TOP + 4.7) * mm)
    for i, line in enumerate(letter["sender"].splitlines()[:6]):
        _top(canvas, f.regular, 10, LEFT, ADDRESS_TOP + 3.5 + i * 4.5, line)
    _top(canvas, f.regular, 9, INFO_LEFT, INFO_TOP + 3.5, _("Your personal code:"))
    _top(canvas, f.bold, 12, INFO_LEFT, INFO_TOP + 9, item.code)
    _top(canvas, f.bold, 11, LEFT, SUBJECT_TOP + 3.5, _("Reply form: %(event)s", event=context["event"]))
    small = ParagraphStyle("reply", fontName=f.regular, fontSize=9, leading=11.5)
    y = SUBJECT_TOP + 8

    def paragraph(text: str, top: float, style=small, left: float = LEFT, w: float = width) -> float:
        para = Paragraph(escape(text).replace("\n", "<br/>"), style)
        _w, h = para.wrap(w * mm, PAGE_H)
        para.drawOn(canvas, left * mm, PAGE_H - top * mm - h)
        return top + h / mm

    intro = _("If you do not answer online, please fill in this form and send it back in a window envelope "
              "(the address shows through the window).")
    if context.get("deadline"):
        intro += " " + _("It must reach us by %(date)s.", date=context["deadline"])
    y = paragraph(intro, y) + 2
    if context.get("legal_basis"):
        y = paragraph(_("We have your address from the residents' register (under %(law)s), for this citizens' "
                        "council only. Details: %(link)s", law=context["legal_basis"],
                        link=context.get("privacy", "") + "#register"), y,
                      ParagraphStyle("basis", parent=small, fontSize=8, leading=10)) + 2
    _top(canvas, f.regular, 9.5, LEFT, y + 3, _("Name (from the residents' register): %(name)s", name=item.name))
    y += 8
    for label, options in item.questions:
        y = paragraph(label, y, ParagraphStyle("q", parent=small, fontName=f.bold)) + 1.5
        x = LEFT
        for option in options:
            text_w = canvas.stringWidth(option, f.regular, 9) / mm
            if x > LEFT and x + 5 + text_w > LEFT + width:
                x, y = LEFT, y + 5
            _box(canvas, x, y)
            _top(canvas, f.regular, 9, x + 4.5, y + 2.8, option)
            x += 4.5 + text_w + 6
        y += 7
        if y > REPLY_BOTTOM - 55:
            raise InvitationError("bad_letter", _l("The event's questions do not fit on the reply form: please ask "
                                                   "fewer questions or shorter ones."), field="body")
    y = paragraph(_("How can we reach you? Please give at least one of the two."), y + 1,
                  ParagraphStyle("q", parent=small, fontName=f.bold)) + 5
    _write_line(canvas, f.regular, LEFT, y, _("Email:"), width)
    y += 8
    _write_line(canvas, f.regular, LEFT, y, _("Phone:"), width)
    y += 6
    _box(canvas, LEFT, y)
    consent = _("I agree to the processing of my data for the citizens' council as described in the letter and at "
                "%(link)s.", link=context.get("privacy", ""))
    if context.get("consent"):
        consent += " " + context["consent"]
    y = paragraph(consent, y, left=LEFT + 5.5, w=width - 5.5) + 9
    if y > REPLY_BOTTOM - 4:
        raise InvitationError("bad_letter", _l("The event's questions do not fit on the reply form: please ask "
                                               "fewer questions or shorter ones."), field="body")
    _write_line(canvas, f.regular, LEFT, y, _("Date and signature:"), width)


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of the QR code (error correction M, no quiet zone) of ``data``."""
    # A fixed mask pattern (any of the eight is valid): choosing the best one costs 8 encodings a letter.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=QR_MASK)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of ``data`` as one vector path: a rectangle per run of dark modules in a row."""
    matrix = qr_matrix(data)
    module = size / len(matrix)
    path = canvas.beginPath()
    for row, line in enumerate(matrix):
        top = y + size - (row + 1) * module
        col = 0
        while col < len(line):
            if line[col]:
                start = col
                while col < len(line) and line[col]:
                    col += 1
                path.rect(x + start * module, top, (col - start) * module, module)
            else:
                col += 1
    canvas.drawPath(path, stroke=0, fill=1)


def render_pdf(items, letter: dict[str, str], context: dict[str, str],
               progress: Callable[[int], None] | None = None) -> bytes:
    """Two pages per letter (one sheet printed on both sides): the letter, and the reply form on its back.
    ``progress(n)`` is called after every 100 letters."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    with force_locale(LETTER_LANGUAGE):
        canvas.setTitle(_fill(letter["subject"], {**context, "name": "", "code": "", "link": ""}))
    canvas.setAuthor(letter["sender"].splitlines()[0])
    f = fonts()
    for n, item in enumerate(items, 1):
        _page(canvas, letter, item, context, f)
        canvas.showPage()
        with force_locale(LETTER_LANGUAGE):
            _reply_page(canvas, letter, item, context, f)
        canvas.showPage()
        if progress is not None and n % 100 == 0:
            progress(n)
    canvas.save()
    return out.getvalue()


CSV_HEADER = ("Nr", "Name", "Straße und Hausnummer", "PLZ und Ort", "Code", "Link")


def render_csv(items) -> bytes:
    """The address list for a print-and-mail service: UTF-8 with BOM, ``;``, formula-safe cells."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for n, item in enumerate(items, 1):
        writer.writerow([n, *(csv_safe(v) for v in (item.name, *(item.address + ["", ""])[:2], item.code, item.link))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(draw: InvitationDraw, fmt: str, reminder: bool = False) -> str:
    return f"{'erinnerungen' if reminder else 'einladungen'}-veranstaltung-{draw.event_id}.{fmt}"
