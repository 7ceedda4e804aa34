"""Mails along a resident's way, through the real SMTP catcher: apply, confirm, drawn, seat, ticket.

What people need to arrive (date, time, place, the event as a calendar file, the ticket's
QR code as a PNG), and what the logs must never hold: addresses and names (a mail
failure while SMTP is down included).
"""
from __future__ import annotations

import logging
import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

from app.core.logs import JsonFormatter
from app.extensions import db
from tests.support import wait_until
from tests.support.smtp import find_links

NAME = "Lena Schäfer"
EMAIL = "lena.schaefer@example.org"
OTHER = ("Jonas Weißmüller", "jonas.weissmueller@example.org")
PLACE = "Altes Rathaus, Bürgersaal"
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture
def app_config():
    return {"LOG_LEVEL": "DEBUG"}


class Lines(logging.Handler):
    """Every line the app logs, formatted as it goes to stderr."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    handler = Lines()
    app_logger, root = logging.getLogger("app"), logging.getLogger()
    app_logger.addHandler(handler)
    root.addHandler(handler)  # other libraries' warnings reach stderr through the root logger
    previous = app_logger.level
    app_logger.setLevel(logging.DEBUG)
    yield handler.lines
    app_logger.setLevel(previous)
    app_logger.removeHandler(handler)
    root.removeHandler(handler)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _post(client, url, data=None):
    response = client.submit(url, data or {})
    response.close()  # as a server does: delivery runs after the response
    return response


def _attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
            for part in message.iter_attachments()}


def _text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _assert_event_facts(message: EmailMessage, event_id: int) -> None:
    text, html = _text(message), message.get_body(("html",)).get_content()
    for body in (text, html):
        assert PLACE in body
        assert "Wann:" in body and "Wo:" in body
        assert "18:00" in body  # the start time, in German
    files = _attachments(message)
    content_type, data = files[f"event-{event_id}.ics"]
    assert content_type == "text/calendar"
    [entry] = Calendar.from_ical(data).walk("VEVENT")
    assert str(entry["location"]) == PLACE
    assert str(entry["summary"]) == "Bürgerwerkstatt Mitte"


def test_mails_carry_date_place_calendar_and_qr_and_logs_carry_no_person(
        app, client, smtp, create_event, staff_client, log_lines):
    from datetime import datetime

    from app.core import mail as outbox
    from app.core.models import utcnow
    from app.events import services as event_services
    from app.events.models import Event

    now = utcnow()
    starts = datetime(now.year + 1, 3, 19, 17, 0)  # 18:00 in Berlin (winter time)
    event_id = create_event(
        status="open", seats=1, title="Bürgerwerkstatt Mitte", place=PLACE, starts_at=starts,
        ends_at=starts + timedelta(hours=3), applications_open_at=now - timedelta(days=1),
        applications_close_at=now + timedelta(days=14), consent_text="Ich bin einverstanden.").id

    # Apply: the confirmation mail names date, time and place and carries the calendar file.
    form = {"name": NAME, "email": EMAIL, "consent": "y", "website": ""}
    assert _post(client, f"/events/{event_id}/apply", form).status_code == 302
    [confirm_mail] = smtp.wait_for(lambda m: m["To"] == EMAIL)
    _assert_event_facts(confirm_mail, event_id)
    confirm = next(link for link in find_links(confirm_mail) if "/confirm/" in link)
    assert _post(client, _path(confirm)).status_code == 302
    assert _post(client, f"/events/{event_id}/apply",
                 {**form, "name": OTHER[0], "email": OTHER[1]}).status_code == 302
    [other] = smtp.wait_for(lambda m: m["To"] == OTHER[1])
    _post(client, _path(next(link for link in find_links(other) if "/confirm/" in link)))

    with app.app_context():
        event_services.change_status(db.session.get(Event, event_id), "close")
        db.session.commit()

    # The draw: one seat. Whoever is drawn gets a seat mail with date, place and calendar file.
    admin = staff_client("admin")
    _post(admin, f"/manage/events/{event_id}/lottery/commit",
          {"number_source": "public", "description": "Drei Zehnerwürfel"})
    deadline = (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    assert _post(admin, f"/manage/events/{event_id}/lottery/draw",
                 {"number": "17", "deadline": deadline}).status_code in (302, 303)
    # (The commitment's receipts, issue 22, come first: the draw's mails are the ones with a seat link.)
    lottery_mails = smtp.wait_for(lambda m: "/seat" in _text(m), count=2)
    [seat_mail] = [m for m in lottery_mails if _attachments(m)]  # the waiting list gets no calendar file
    _assert_event_facts(seat_mail, event_id)
    drawn = seat_mail["To"]
    seat_url = next(link for link in find_links(seat_mail) if link.endswith("/seat"))
    assert _post(client, _path(seat_url), {"answer": "confirm"}).status_code in (200, 302, 303)

    # The ticket: code in the text, QR code as PNG (decodes to the ticket link), calendar file.
    [ticket_mail] = smtp.wait_for(lambda m: m["To"] == drawn and "Ticket" in m["Subject"])
    _assert_event_facts(ticket_mail, event_id)
    files = _attachments(ticket_mail)
    [qr_name] = [name for name in files if name.endswith(".png")]
    content_type, png = files[qr_name]
    assert content_type == "image/png" and png.startswith(b"\x89PNG\r\n\x1a\n")
    code = qr_name.removeprefix("ticket-").removesuffix(".png")
    assert code in _text(ticket_mail)
    from PIL import Image
    import io

    assert Image.open(io.BytesIO(png)).size[0] >= 150  # big enough to scan from a phone

    # SMTP is down: a mail fails and is retried later; its log line must not name the recipient.
    smtp.stop()
    with app.app_context():
        outbox.queue_mail(EMAIL, "Erinnerung", f"Guten Tag {NAME}")
        db.session.commit()
        result = outbox.send_pending()
    assert result.failed == 1
    smtp.start()

    wait_until(lambda: any("not delivered" in line for line in log_lines), message="no failure line")
    assert any('"event":"request"' in line for line in log_lines)
    for line in log_lines:
        assert not ADDRESS.search(line), line
        for person in (NAME, OTHER[0]):
            for part in person.split():
                assert part not in line, line
