"""50 parallel submissions of the same email for one event leave exactly one application.

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


@pytest.fixture
def app_config():
    # Delivery after the response would only add SMTP traffic to the race.
    return {"MAIL_SEND_AFTER_REQUEST": False}


def test_fifty_parallel_submissions_one_application(app, open_event, application_form_data):
    event_id = open_event()
    data = application_form_data(event_id, email="Same@Example.org")
    with LiveServer(app) as server:
        url = f"{server.url}/events/{event_id}/apply"
        clients = [_session_with_form(url) for _ in range(PARALLEL)]
        barrier = threading.Barrier(PARALLEL)
        statuses: list[int] = []
        lock = threading.Lock()

        def submit(opener, token, n):
            # Alternate spellings of the same address.
            email = [" same@example.org", "SAME@example.org ", "same@EXAMPLE.ORG"][n % 3]
            body = urllib.parse.urlencode({**data, "email": email, "csrf_token": token}).encode()
            barrier.wait()
            try:
                status = opener.open(url, data=body, timeout=60).status
            except urllib.error.HTTPError as exc:
                status = exc.code
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=submit, args=(*c, n)) for n, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # Every submission gets the same answer, whichever won the race.
    assert statuses == [302] * PARALLEL, sorted(statuses)
    with app.app_context():
        rows = db.session.execute(sa.select(Application)).scalars().all()
        assert len(rows) == 1 and rows[0].email == "same@example.org"
        # One mail per submission: the first a confirmation, the others "here is your link".
        assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == PARALLEL
