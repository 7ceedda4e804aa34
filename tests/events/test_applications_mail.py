"""The outbox: applications survive an SMTP outage; mail is delivered later, once, by any worker."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.core import mail as outbox
from app.core.models import OutboxMail, utcnow
from app.events.models import Application
from app.extensions import db
from tests.support.smtp import find_links


def _rows(app):
    with app.app_context():
        return db.session.execute(sa.select(OutboxMail).order_by(OutboxMail.id)).scalars().all()


def test_smtp_down_keeps_application_and_delivers_later(app, client, open_event, application_form_data, smtp):
    event_id = open_event().id
    smtp.stop()
    response = client.submit(f"/events/{event_id}/apply", application_form_data(event_id))
    response.close()
    assert response.status_code == 302
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one() == 1
    from tests.support import wait_until

    # Delivery is tried in the background right after the response; wait for its failure.
    row = wait_until(lambda: next((r for r in _rows(app) if r.last_error), None), timeout=15,
                     message="the failed delivery attempt was not recorded")
    assert row.sent_at is None and row.attempts == 1
    assert row.next_attempt_at > utcnow()  # backed off

    smtp.start()
    with app.app_context():
        assert outbox.send_pending().sent == 0  # not due yet: back-off
        assert outbox.retry_now() == 1
        result = outbox.send_pending()
    assert (result.sent, result.failed) == (1, 0)
    [mail] = smtp.wait_for(lambda m: m["To"] == "ada@example.org")
    confirm = next(link for link in find_links(mail) if "/confirm/" in link)
    assert client.submit(confirm[len(app.config["BASE_URL"]):]).status_code == 302
    [row] = _rows(app)
    assert row.sent_at is not None and row.attempts == 2


def test_cli_send_pending(app, db, smtp):
    outbox.queue_mail("cli@example.org", "Betreff ü", "Text ü", "<p>HTML ü</p>")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    [mail] = smtp.wait_for(lambda m: m["To"] == "cli@example.org")
    assert mail["Subject"] == "Betreff ü"
    assert "HTML ü" in mail.get_body(("html",)).get_content()


def test_queue_mail_is_part_of_the_transaction(app, db):
    outbox.queue_mail("rollback@example.org", "S", "T")
    db.session.rollback()
    assert _rows(app) == []


def test_parallel_workers_send_each_mail_once(app, db, smtp):
    for n in range(30):
        outbox.queue_mail(f"w{n}@example.org", f"Mail {n}", "Text")
    db.session.commit()
    barrier = threading.Barrier(4)
    results = []

    def worker():
        with app.app_context():
            barrier.wait()
            results.append(outbox.send_pending(limit=100))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in results) == 30
    smtp.wait_for(lambda m: m["To"].startswith("w"), count=30)
    assert len([m for m in smtp.messages if m["To"].startswith("w")]) == 30
    assert all(r.sent_at is not None and r.attempts == 1 for r in _rows(app))


def test_opportunistic_retry_after_a_later_request(app, client, db, smtp):
    app.config["MAIL_RETRY_INTERVAL"] = 0
    outbox.queue_mail("later@example.org", "Later", "Text")
    db.session.commit()
    response = client.get("/")
    response.close()
    smtp.wait_for(lambda m: m["To"] == "later@example.org")


def test_admin_outbox_page_and_send_now(app, staff_client, db, smtp):
    smtp.stop()
    outbox.queue_mail("wait@example.org", "Waiting mail", "Text")
    db.session.commit()
    with app.app_context():
        assert outbox.send_pending().failed == 1
    admin = staff_client("admin")
    page = admin.get("/manage/outbox").get_data(as_text=True)
    assert "wait@example.org" in page and "Waiting mail" in page and "ConnectionRefusedError" in page
    assert staff_client("council").get("/manage/outbox").status_code == 403
    smtp.start()
    response = admin.submit("/manage/outbox/send", follow_redirects=True)
    assert "1 E-Mail gesendet." in response.get_data(as_text=True)  # not "1 Mails gesendet"
    smtp.wait_for(lambda m: m["To"] == "wait@example.org")
    assert "Es warten keine E-Mails." in admin.get("/manage/outbox").get_data(as_text=True)


def test_back_off_grows_and_is_capped(app):
    with app.app_context():
        steps = [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 10, 50)]
    assert steps[:3] == [60, 120, 240]
    assert steps[-1] == app.config["MAIL_RETRY_MAX_SECONDS"]


def test_an_english_mail_with_german_content_says_both_languages(app, client, open_event, application_form_data,
                                                                   smtp):
    """Issue 16 item 6: the subject and the plain text cannot mark the German event title, so an
    English mail says ``Content-Language: en, de`` (the HTML part marks the title); a German one nothing."""
    event_id = open_event().id
    client.submit("/language", {"lang": "en", "next": "/"})
    assert client.submit(f"/events/{event_id}/apply",
                         application_form_data(event_id, email="grace@example.org")).status_code == 302
    [english] = smtp.wait_for(lambda m: m["To"] == "grace@example.org")
    assert english["Subject"].startswith("Please confirm your application")
    assert english["Content-Language"] == "en, de"
    assert 'lang="de"' in english.get_body(("html",)).get_content()
    german_client = app.test_client()
    assert german_client.submit(f"/events/{event_id}/apply",
                                application_form_data(event_id, email="grete@example.org")).status_code == 302
    [german] = smtp.wait_for(lambda m: m["To"] == "grete@example.org")
    assert german["Subject"].startswith("Bitte bestätigen") and german["Content-Language"] is None


@pytest.mark.parametrize("server", [True, False], ids=["smtp", "no-server"])
def test_a_mail_deleted_while_it_is_delivered_does_not_stop_the_batch(app, db, smtp, server):
    """A privacy erasure deletes the mails to the people it erases; when it does so between the
    deliverer's claim and its bookkeeping, the update finds no row. That mail is skipped (rolled back)
    and the rest of the batch is delivered, instead of the whole batch failing with it."""
    if not server:
        app.config["MAIL_SERVER"] = ""
    for n in range(3):
        outbox.queue_mail(f"gone{n}@example.org", f"Mail {n}", "Text")
    db.session.commit()
    first = min(row.id for row in _rows(app))
    deleted = []

    def erase_meanwhile(session, _context, _instances):
        """Before the first mail's bookkeeping is written: another connection deletes that mail."""
        if not deleted and any(isinstance(o, OutboxMail) and o.id == first for o in session.dirty):
            deleted.append(first)
            with db.engine.begin() as connection:
                connection.execute(sa.delete(OutboxMail).where(OutboxMail.id == first))

    sa.event.listen(Session, "before_flush", erase_meanwhile)
    try:
        result = outbox.send_pending()
    finally:
        sa.event.remove(Session, "before_flush", erase_meanwhile)
    assert deleted == [first]
    assert result.sent == 2 and result.failed == 0
    rows = _rows(app)
    assert len(rows) == 2 and all(r.sent_at is not None for r in rows)
    if server:
        smtp.wait_for(lambda m: m["To"].startswith("gone"), count=3)  # the first had gone out already
