"""Reminder letters (issue 17): staff choose a date; everyone invited who has not answered gets a
reminder letter (the reminder's own subject and text, the same personal code), as a PDF (pypdf: one
page per non-answerer, none for those who answered) or the CSV for a print-and-mail service, made by
a job; the run is recorded (who, when) and audit-logged; a second run reminds nobody twice unless
staff ask for it; the page shows invited / answered / reminded."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.audit.models import AuditEntry
from flask_babel import force_locale

from app.core.formatting import format_day
from app.core.models import utcnow
from app.events.models import Criterion
from app.extensions import db as _db
from app.invitations import codes, letters
from app.invitations.models import Invitation, InvitationDraw, ReminderRun
from app.jobs.models import Job
from tests.factories.invitations import draw_invitations


@pytest.fixture
def drawn(app, register_event):
    with app.test_request_context():
        return register_event, draw_invitations(register_event, letters=8)


def _answer(client, code: str) -> None:
    with client.application.app_context():
        education = _db.session.execute(sa.select(Criterion).where(Criterion.key == "education")).scalar_one()
        option = education.options[1].id
    done = client.submit("/invitation/answer", {"code": code, "phone": "0711 123456", "consent": "y",
                                                f"criterion_{education.id}": option})
    assert done.status_code == 303, done.get_data(as_text=True)


def _last_job() -> Job:
    return _db.session.execute(sa.select(Job).order_by(Job.id.desc())).scalars().first()


def _download(client, event_id: int, job: Job):
    assert job.status == "done", job.error_json
    page = client.get(f"/manage/events/{event_id}/invitations").get_data(as_text=True)
    assert f"/manage/jobs/{job.id}/file" in page
    return client.get(f"/manage/jobs/{job.id}/file")


def _codes_in(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for page, back in zip(reader.pages[::2], reader.pages[1::2]):  # each with its reply form on the back
        assert "Antwortformular:" in back.extract_text()
        text = page.extract_text()
        assert "Erinnerung: Einladung zum Bürgerrat" in text and "Ihr persönlicher Code" in text
        assert "noch nicht erhalten" in text  # the default reminder text
        found.append(next(c for c in text.split() if len(c) == 11 and c[5] == "-"))
    return found


def test_reminders_for_those_who_have_not_answered_pdf_and_no_duplicates(app, client, staff_client, drawn):
    event_id, invited = drawn
    for _id, code in invited[:3]:
        _answer(client, code)
    admin = staff_client("admin")
    base = f"/manage/events/{event_id}/invitations"
    today = utcnow().date().isoformat()
    response = admin.submit(f"{base}/reminders", {"not_answered_by": today, "format": "pdf"})
    assert response.status_code == 303
    with app.app_context():
        job = _last_job()
        assert job.kind == "invitations.reminders"
        pdf = _download(admin, event_id, job)
        assert pdf.mimetype == "application/pdf"
        expected = sorted(codes.format_code(code) for _id, code in invited[3:])
        assert sorted(_codes_in(pdf.data)) == expected  # one sheet each, only those who did not answer
        reminded = _db.session.execute(sa.select(Invitation).where(Invitation.reminded_at.is_not(None))).scalars().all()
        assert sorted(i.id for i in reminded) == sorted(i for i, _c in invited[3:])
        assert {i.state for i in reminded} == {"reminded"} and len({i.reminded_at for i in reminded}) == 1
        entry = _db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "invitation.reminders")).scalar_one()
        assert entry.event_id == event_id and entry.after["count"] == 5 and entry.after["again"] is False
    page = admin.get(base).get_data(as_text=True)
    assert '<dd id="count-invited">8</dd>' in page and '<dd id="count-answered">3</dd>' in page
    assert '<dd id="count-reminded">5</dd>' in page

    # The same code still answers; a second run reminds nobody twice and changes nothing.
    _answer(client, invited[3][1])
    again = admin.submit(f"{base}/reminders", {"not_answered_by": today, "format": "pdf"})
    assert again.status_code == 422 and "bereits erinnert" in again.get_data(as_text=True)
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)
                                   .where(AuditEntry.action == "invitation.reminders")).scalar_one() == 1
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Job)
                                   .where(Job.kind == "invitations.reminders")).scalar_one() == 1
    # Asked for, a second reminder goes to those still not answered (not to the one who answered since).
    second = admin.submit(f"{base}/reminders", {"not_answered_by": today, "again": "1", "format": "pdf"})
    assert second.status_code == 303
    with app.app_context():
        pdf = _download(admin, event_id, _last_job())
        assert sorted(_codes_in(pdf.data)) == sorted(codes.format_code(code) for _id, code in invited[4:])
    assert '<dd id="count-answered">4</dd>' in admin.get(base).get_data(as_text=True)


def test_reminder_csv_and_the_last_run_again(app, staff_client, drawn):
    event_id, invited = drawn
    admin = staff_client("admin")
    base = f"/manage/events/{event_id}/invitations"
    assert admin.submit(f"{base}/reminders", {"not_answered_by": utcnow().date().isoformat(),
                                              "format": "csv"}).status_code == 303
    with app.app_context():
        text = _download(admin, event_id, _last_job()).data.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
        assert rows[0] == list(letters.CSV_HEADER) and len(rows) == 1 + len(invited)
        assert sorted(r[4] for r in rows[1:]) == sorted(codes.format_code(c) for _i, c in invited)
        marked = _db.session.execute(sa.select(Invitation.reminded_at)).scalars().all()
    # The PDF of the same run: the same people, nobody marked anew.
    assert admin.submit(f"{base}/reminders/file", {"format": "pdf"}).status_code == 303
    with app.app_context():
        job = _last_job()
        assert job.params["format"] == "pdf" and job.result["letters"] == len(invited)
        assert len(PdfReader(io.BytesIO(_download(admin, event_id, job).data)).pages) == 2 * len(invited)
        assert _db.session.execute(sa.select(Invitation.reminded_at)).scalars().all() == marked


def test_the_reminder_text_is_checked_and_used(app, staff_client, drawn):
    event_id, _invited = drawn
    admin = staff_client("admin")
    base = f"/manage/events/{event_id}/invitations"
    bad = admin.submit(f"{base}/reminder", {"reminder_subject": "Erinnerung", "reminder_body": "Hallo {vorname}"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "unbekannte Platzhalter: {vorname}" in page and "Hallo {vorname}</textarea>" in page
    good = {"reminder_subject": "Zweite Post: {event}",
            "reminder_body": "Guten Tag {name},\n\nwir warten auf Ihre Antwort bis {deadline}. Code: {code}"}
    assert admin.submit(f"{base}/reminder", good).status_code == 303
    # The letter's own text is kept beside it.
    assert admin.submit(f"{base}/reminders", {"not_answered_by": utcnow().date().isoformat(),
                                              "format": "pdf"}).status_code == 303
    with app.app_context():
        text = PdfReader(io.BytesIO(_download(admin, event_id, _last_job()).data)).pages[0].extract_text()
        assert "Zweite Post: Bürger-Workshop" in text and "bis Sonntag, 31. Januar 2027. Code:" in text
        assert "Einladung zum Bürgerrat" not in text
        assert letters.letter_of(_db.session.execute(sa.select(Invitation)).scalars().first().draw)["subject"] == \
            letters.default_letter()["subject"]


@pytest.mark.parametrize("value, message", [("", "Bitte geben Sie das Datum ein"),
                                            ("morgen", "als Datum"),
                                            ("2099-01-01", "in der Zukunft")])
def test_a_bad_date_changes_nothing(app, staff_client, drawn, value, message):
    event_id, _invited = drawn
    admin = staff_client("admin")
    response = admin.submit(f"/manage/events/{event_id}/invitations/reminders",
                            {"not_answered_by": value, "format": "pdf"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Invitation)
                                   .where(Invitation.reminded_at.is_not(None))).scalar_one() == 0
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Job)
                                   .where(Job.kind == "invitations.reminders")).scalar_one() == 0


def test_reminders_need_a_drawn_draw_and_an_admin(app, staff_client, register_event):
    base = f"/manage/events/{register_event}/invitations"
    today = utcnow().date().isoformat()
    assert staff_client("moderator").submit(f"{base}/reminders", {"not_answered_by": today}).status_code == 403
    response = staff_client("admin").submit(f"{base}/reminders", {"not_answered_by": today, "format": "pdf"})
    assert response.status_code == 422


def test_a_reminder_sets_a_new_answer_deadline_that_everything_honours(app, client, staff_client, create_event):
    """Issue 17: after the answer deadline a reminder run may set a later one; the reminder letters state
    it, the code answers online again until then, and the page keeps a history of the runs. A bad new
    deadline is a message at its field, the typed value kept, and changes nothing."""
    now = utcnow()
    event_id = create_event(starts_at=now + timedelta(days=60), ends_at=now + timedelta(days=60, hours=6), seats=15,
                            status="open").id
    with app.test_request_context():
        invited = draw_invitations(event_id, answer_deadline=datetime.combine(now.date() - timedelta(days=1),
                                                                              datetime.min.time()))
    assert client.submit("/invitation", {"code": invited[0][1]}).status_code == 409  # too late online
    admin = staff_client("admin")
    base = f"/manage/events/{event_id}/invitations"
    today = now.date()
    late = admin.submit(f"{base}/reminders", {"not_answered_by": today.isoformat(), "format": "pdf"})
    assert late.status_code == 422 and "außer sie setzt eine neue Antwortfrist" in late.get_data(as_text=True)
    for value, message in (("bald", "die neue Antwortfrist als Datum"),
                           (today.isoformat(), "nach dem heutigen Tag"),
                           ((today + timedelta(days=61)).isoformat(), "vor dem Beginn der Veranstaltung")):
        bad = admin.submit(f"{base}/reminders", {"not_answered_by": today.isoformat(), "new_deadline": value,
                                                 "format": "pdf"})
        page = bad.get_data(as_text=True)
        assert bad.status_code == 422 and message in page, value
        assert f'name="new_deadline" type="date" min="{(today + timedelta(days=1)).isoformat()}" value="{value}"' in page
        assert 'id="reminder-new_deadline-error"' in page and 'href="#reminder-new_deadline"' in page
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(ReminderRun)).scalar_one() == 0
        assert _db.session.execute(sa.select(InvitationDraw.answer_deadline)).scalar_one().date() < today
    new = today + timedelta(days=14)
    done = admin.submit(f"{base}/reminders", {"not_answered_by": today.isoformat(), "new_deadline": new.isoformat(),
                                              "format": "pdf"})
    assert done.status_code == 303
    with app.app_context(), app.test_request_context():
        assert _db.session.execute(sa.select(InvitationDraw.answer_deadline)).scalar_one().date() == new
        run = _db.session.execute(sa.select(ReminderRun)).scalar_one()
        assert run.count == len(invited) and run.new_deadline.date() == new and run.again is False
        assert run.previous_deadline.date() == today - timedelta(days=1) and run.by_id == admin.user.id
        entry = _db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "invitation.reminders")).scalar_one()
        assert entry.after["new_deadline"] == new.isoformat()
        reader = PdfReader(io.BytesIO(_download(admin, event_id, _last_job()).data))
        with force_locale("de"):
            new_text = format_day(datetime.combine(new, datetime.min.time()), "long")
        assert f"bis {new_text}" in " ".join(reader.pages[0].extract_text().split())  # the reminder's text
        assert new_text in " ".join(reader.pages[1].extract_text().split())  # its reply form
    # The code answers online again, until the new deadline.
    assert client.submit("/invitation", {"code": invited[0][1]}).status_code == 200
    _answer(client, invited[0][1])
    # A second run (again, no new deadline) keeps the deadline; the history shows both runs.
    assert admin.submit(f"{base}/reminders", {"not_answered_by": today.isoformat(), "again": "1",
                                              "format": "csv"}).status_code == 303
    page = admin.get(base).get_data(as_text=True)
    history = page[page.index('id="reminder-history"'):page.index("</table>", page.index('id="reminder-history"'))]
    assert history.count("<tr>") == 3  # the head and two runs
    assert "vorher:" in history and f'<td class="num">{len(invited)}</td>' in history
    assert f'<td class="num">{len(invited) - 1}</td>' in history
    with app.app_context():
        assert _db.session.execute(sa.select(InvitationDraw.answer_deadline)).scalar_one().date() == new
        assert _db.session.execute(sa.select(sa.func.count()).select_from(ReminderRun)).scalar_one() == 2
