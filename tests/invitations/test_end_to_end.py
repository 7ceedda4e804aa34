"""From the registration office's file to a checked-in participant (issue 17), over HTTP as staff and
residents do it: upload the register extract, map and import it; plan, commit and draw the
invitations; make the letters (PDF) and read the codes from them; residents answer online with their
code; applications close; the seat lottery among those who answered (commitment, public number, draw);
a drawn invitee confirms the seat through the link of the lottery's mail; check-in at the workshop with
the ticket."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa
from pypdf import PdfReader

from app.core.models import OutboxMail
from app.events.models import Application, Criterion, Event
from app.extensions import db as _db
from app.invitations.models import Invitation
from app.jobs.models import Job
from app.lottery.models import LotteryEntry
from app.voting.models import Ticket
from app.voting.tickets import ticket_of
from tests.factories.lottery import commit, draw, post
from tests.factories.invitations import add_criteria
from tests.support.register_files import csv_bytes, register_rows

CODE = re.compile(r"\b[A-Z0-9]{5}-[A-Z0-9]{5}\b")


def test_from_the_register_file_to_a_checked_in_participant(app, client, staff_client, register_event):
    event_id = register_event
    with app.app_context():
        event = _db.session.get(Event, event_id)
        event.seats = 4  # fewer seats than answers: the lottery draws
        add_criteria(event)
        _db.session.commit()
    admin = staff_client("admin")
    base = f"/manage/events/{event_id}/invitations"
    # 1. The register extract: upload, the mapping (guessed from the headers), import.
    uploaded = admin.submit(f"{base}/register", {"register_file": (io.BytesIO(csv_bytes(register_rows(60))),
                                                                   "melderegister.csv")},
                            content_type="multipart/form-data")
    assert uploaded.status_code == 303
    mapping = {f"map-{k}": v for k, v in {"given_name": "Vorname", "family_name": "Familienname", "title": "Titel",
                                          "street": "Straße", "house_number": "Hausnummer", "postcode": "PLZ",
                                          "town": "Ort", "birth_year": "Geburtsjahr", "gender": "Geschlecht",
                                          "district": "Stadtteil"}.items()}
    assert post(admin, uploaded.headers["Location"], {**mapping, "action": "confirm"}).status_code == 303
    # 2. Stage 1: the plan, its commitment, the draw.
    assert post(admin, f"{base}/plan", {"letters": "12", "age_bands": "16-29, 30-44, 45-64, 65+",
                                        "response_rate": "10", "one_per_household": "1",
                                        "answer_deadline": "2027-01-31"}).status_code == 303
    assert post(admin, f"{base}/commit", {"number_source_kind": "server"}).status_code == 303
    assert post(admin, f"{base}/draw").status_code == 303
    # 3. The letters: one PDF, the codes read from it.
    assert post(admin, f"{base}/letters", {"format": "pdf"}).status_code == 303
    with app.app_context():
        job = _db.session.execute(sa.select(Job).order_by(Job.id.desc())).scalars().first()
        assert job.status == "done", job.error_json
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Invitation)).scalar_one() == 12
        education = _db.session.execute(sa.select(Criterion).where(Criterion.key == "education")).scalar_one()
        option = education.options[2].id
    pdf = PdfReader(io.BytesIO(admin.get(f"/manage/jobs/{job.id}/file").data))
    codes = [CODE.search(page.extract_text()).group(0) for page in pdf.pages[::2]]
    assert len(set(codes)) == 12
    # 4. Residents answer online with the code from the letter.
    for n, code in enumerate(codes[:8]):
        assert client.submit("/invitation", {"code": code}).status_code == 200
        answered = client.submit("/invitation/answer", {"code": code, "email": f"eingeladen{n}@example.org",
                                                        f"criterion_{education.id}": option, "consent": "y"})
        assert answered.status_code == 303, answered.get_data(as_text=True)[:500]
    with app.app_context():
        invited = _db.session.execute(sa.select(Application).where(Application.event_id == event_id)).scalars().all()
        assert len(invited) == 8 and all(a.household_key for a in invited)
    # 5. Applications close; the seat lottery among those who answered.
    assert post(admin, f"/manage/events/{event_id}/status", {"action": "close"}).status_code == 302
    assert commit(admin, event_id).status_code == 303
    assert draw(admin, event_id).status_code == 303

    # 6. A drawn invitee confirms the seat through the link in the lottery's mail.
    with app.app_context():
        entry = next(e for e in _db.session.execute(sa.select(LotteryEntry).order_by(LotteryEntry.id)).scalars()
                     if e.holds_seat)
        email = entry.application.email
        body = _db.session.execute(sa.select(OutboxMail.body_text).where(OutboxMail.recipient == email)
                                   .order_by(OutboxMail.id.desc())).scalars().first()
    seat = re.search(r"https?://[^/\s]+(/applications/[^/\s]+/seat)", body).group(1)
    assert client.get(seat).status_code == 200
    assert post(client, seat, {"answer": "confirm"}).status_code == 303
    with app.app_context():
        application = _db.session.execute(sa.select(Application).where(Application.email == email)).scalar_one()
        assert application.status == "confirmed"
        ticket = ticket_of(application)
        code = ticket.code
    # 7. Check-in at the workshop with the ticket.
    assert admin.submit(f"/manage/events/{event_id}/checkin", {"code": code}).status_code in (200, 302, 303)
    with app.app_context():
        assert _db.session.execute(sa.select(Ticket.checked_in_at).where(Ticket.code == code)).scalar_one() is not None
