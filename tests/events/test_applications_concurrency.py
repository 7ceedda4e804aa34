"""50 parallel submissions of the same email for one event leave exactly one application;
200 parallel duplicates of a known email send at most one reminder and leave its link working.

Real HTTP against a threaded live server, each client with its own session; runs on SQLite
(writers serialised by the database lock) and on PostgreSQL (the unique constraint decides).
"""
from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from app.core.models import OutboxMail
from app.events.models import Application
from app.extensions import db
from tests.support.servers import LiveServer

PARALLEL = 50


def _session_with_form(url: str):
    """A separate HTTP client (own cookies) holding a fresh CSRF token for the form at ``url``."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    html = opener.open(url, timeout=30).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    return opener, token.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


#: Requests served at once, as a gunicorn gthread worker does; each holds up to two pooled
#: connections (its session and the rate limiter's), so six stay within the pool of 15.
SERVER_THREADS = 6


def _served_by_threads(app, threads: int):
    """``app`` as a WSGI callable that runs at most ``threads`` requests at a time; the others
    wait in line, connected, as behind gunicorn."""
    slots = threading.BoundedSemaphore(threads)

    def wsgi(environ, start_response):
        with slots:
            return list(app(environ, start_response))

    return wsgi


@pytest.fixture
def app_config():
    # Delivery after the response would only add SMTP traffic to the race.
    return {"MAIL_SEND_AFTER_REQUEST": False}


def _post_at_once(url: str, requests: list[tuple]) -> list[int]:
    """POST every ``(opener, body)`` to ``url`` from its own thread, all released by one barrier;
    the HTTP statuses (redirects are not followed)."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []
    lock = threading.Lock()

    def submit(opener, body):
        barrier.wait()
        try:
            status = opener.open(url, data=body, timeout=120).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=submit, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_fifty_parallel_submissions_one_application(app, open_event, application_form_data):
    event_id = open_event().id
    data = application_form_data(event_id, email="Same@Example.org")
    with LiveServer(_served_by_threads(app, SERVER_THREADS)) as server:
        url = f"{server.url}/events/{event_id}/apply"
        # Alternate spellings of the same address.
        spellings = [" same@example.org", "SAME@example.org ", "same@EXAMPLE.ORG"]
        requests = []
        for n in range(PARALLEL):
            opener, token = _session_with_form(url)
            body = {**data, "email": spellings[n % 3], "csrf_token": token}
            requests.append((opener, urllib.parse.urlencode(body).encode()))
        statuses = _post_at_once(url, requests)
    # Every submission gets the same answer, whichever won the race.
    assert statuses == [302] * PARALLEL, sorted(statuses)
    with app.app_context():
        rows = db.session.execute(sa.select(Application)).scalars().all()
        assert len(rows) == 1 and rows[0].email == "same@example.org"
        # The winner's confirmation and one reminder for all the duplicates together.
        assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 2


DUPLICATES = 200


def test_two_hundred_parallel_duplicates_one_reminder_and_the_first_link_works(
        app, open_event, application_form_data):
    event_id = open_event().id
    data = application_form_data(event_id, email="known@example.org")
    with LiveServer(_served_by_threads(app, SERVER_THREADS)) as server:
        url = f"{server.url}/events/{event_id}/apply"
        opener, token = _session_with_form(url)
        body = urllib.parse.urlencode({**data, "csrf_token": token}).encode()
        with pytest.raises(urllib.error.HTTPError) as first:
            opener.open(url, data=body, timeout=60)
        assert first.value.code == 302  # the redirect to "sent"
        with app.app_context():
            [first_mail] = db.session.execute(sa.select(OutboxMail)).scalars().all()
            first_link = re.search(r"(/applications/[A-Za-z0-9_-]+)\s", first_mail.body_text).group(1)
        requests = []
        for _ in range(DUPLICATES):
            opener, token = _session_with_form(url)
            body = {**data, "name": "Mallory", "csrf_token": token}
            requests.append((opener, urllib.parse.urlencode(body).encode()))
        statuses = _post_at_once(url, requests)
        # Every duplicate got the answer of a first application.
        assert statuses == [302] * DUPLICATES, sorted(statuses)
        # The link of the first mail still opens the application.
        page = urllib.request.urlopen(server.url + first_link, timeout=30)
        assert page.status == 200 and "Ada Lovelace" in page.read().decode()
    with app.app_context():
        [application] = db.session.execute(sa.select(Application)).scalars().all()
        assert application.name == "Ada Lovelace"
        mails = db.session.execute(sa.select(OutboxMail).order_by(OutboxMail.id)).scalars().all()
        assert len(mails) == 2, len(mails)  # the confirmation and exactly one reminder
        reminder_link = re.search(r"(/applications/[A-Za-z0-9_.-]+)\s", mails[1].body_text).group(1)
        assert reminder_link != first_link
