"""Structured JSON logs: one valid JSON object per line, with the request id, and never a
password, token, email address or name, even after a journey through the whole app."""
from __future__ import annotations

import json
import logging
import re

import pytest
import sqlalchemy as sa

from app.extensions import db as _db

NAME = "Hieronymus Protokollant"
EMAIL = "hieronymus.protokollant@secret.example"
STAFF_EMAIL = "staff.logger@secret.example"
STAFF_NAME = "Philippa Personal"
PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "Tr0ub4dor&3-wrong-secret"
FORGED = '\n{"ts":"2026-01-01T00:00:00Z","level":"INFO","event":"forged"}\n'


@pytest.fixture
def app_config() -> dict:
    return {"MAIL_SEND_AFTER_REQUEST": False, "LOG_LEVEL": "INFO", "LOGIN_RATE_LIMIT": "4 per minute"}


def log_lines(captured: str) -> list[dict]:
    lines = [line for line in captured.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert isinstance(entry, dict)
        parsed.append(entry)
    return parsed


def test_a_forged_newline_stays_inside_one_line(app, capsys):
    from app.core.logs import log_event

    with app.app_context():
        log_event("test.value", value=FORGED, other="a\r\nb\x00c\x1b[31m")
    captured = capsys.readouterr().err
    assert len(captured.strip().splitlines()) == 1
    [entry] = log_lines(captured)
    assert entry["value"] == FORGED and entry["event"] == "test.value"
    assert entry["level"] == "INFO" and entry["ts"].endswith("Z")


def test_journey_logs_are_json_with_request_ids_and_no_personal_data(
        app, client, open_event, application_form_data, create_user, staff_client, capsys):
    from app.core.models import OutboxMail

    event_id = open_event().id
    staff = create_user(roles=("admin",), email=STAFF_EMAIL, name=STAFF_NAME, password=PASSWORD)
    capsys.readouterr()

    # Apply, with a forged log line in every text field.
    data = application_form_data(event_id, name=NAME, email=EMAIL)
    response = client.submit(f"/events/{event_id}/apply", data, headers={"X-Request-ID": "forged-id-{}"})
    assert response.status_code == 302
    with app.app_context():
        body = _db.session.execute(sa.select(OutboxMail.body_text)).scalar_one()
    confirm_path = re.search(r"https?://[^/\s]+(/applications/\S+/confirm/\S+)", body).group(1)
    token = confirm_path.split("/")[2]
    signature = confirm_path.split("/")[-1]
    assert client.get(confirm_path).status_code == 200
    assert client.submit(confirm_path).status_code == 302
    # Manage: read, correct (the name carries a forged line), download own data.
    assert client.get(f"/applications/{token}").status_code == 200
    manage = application_form_data(event_id, name=NAME + FORGED, email=None, consent=None, website=None)
    client.submit(f"/applications/{token}?q={FORGED}", manage)
    assert client.get(f"/applications/{token}/data").status_code == 200
    # CSRF failure, 404 with a token-like path, a query string with secrets.
    assert client.post(f"/applications/{token}/erase").status_code == 400
    assert client.get(f"/applications/{token}x{FORGED}").status_code == 404
    # Logins: wrong password, right password; rate limit.
    staff_browser = app.test_client()
    assert staff_browser.submit("/login", {"email": STAFF_EMAIL + FORGED, "password": WRONG_PASSWORD}).status_code == 200
    assert staff_browser.submit("/login", {"email": STAFF_EMAIL, "password": WRONG_PASSWORD}).status_code == 200
    assert staff_browser.submit("/login", {"email": STAFF_EMAIL, "password": PASSWORD}).status_code == 302
    # A staff action and a 403.
    assert staff_browser.get(f"/manage/events/{event_id}/applications.csv").status_code == 200
    assert staff_browser.get(f"/manage/events/{event_id}/applications").status_code == 200
    assert staff_client("moderator").get("/manage/audit").status_code == 403
    hammer = app.test_client()
    statuses = [hammer.submit("/login", {"email": "x@example.org", "password": "x"}).status_code for _ in range(6)]
    assert 429 in statuses

    lines = log_lines(capsys.readouterr().err)
    raw = json.dumps(lines, ensure_ascii=False)
    for secret in (NAME, EMAIL, STAFF_EMAIL, STAFF_NAME, PASSWORD, WRONG_PASSWORD, token, signature,
                   "secret.example", "Hieronymus", "Protokollant"):
        assert secret not in raw, f"{secret!r} leaked into the logs"
    assert not any(e.get("event") == "forged" for e in lines)
    requests = [e for e in lines if e["event"] == "request"]
    assert len(requests) >= 15
    for entry in requests:
        assert re.fullmatch(r"[0-9a-f]{16}|[A-Za-z0-9-]{8,64}", entry["request_id"])
        assert isinstance(entry["status"], int) and isinstance(entry["duration_ms"], float)
        assert entry["method"] in ("GET", "POST") and entry["ts"].endswith("Z")
        assert "path" not in entry and "?" not in (entry["route"] or "")
    manage_lines = [e for e in requests if e["endpoint"] == "events.manage_application"]
    assert manage_lines and all(e["route"] == "/applications/<token>" for e in manage_lines)
    events = {e["event"] for e in lines}
    assert {"login_failed", "login", "csrf_failed", "forbidden", "rate_limited"} <= events
    assert staff.id in {e["user_id"] for e in lines if e["event"] == "login"}
    staff_requests = [e for e in requests if e.get("endpoint") == "events.manage_applications"]
    assert staff_requests and all(e["user_id"] == staff.id for e in staff_requests)
    assert all("user_id" not in e for e in requests if e.get("endpoint") == "events.manage_application")
    # One request id per request, and the response tells it.
    ids = [e["request_id"] for e in requests]
    assert len(set(ids)) == len(ids)


def test_unhandled_errors_log_the_route_not_the_path(app, client, capsys):
    from app.core.access import public

    @public
    def explode(token):
        raise RuntimeError(f"boom with {EMAIL}")

    app.add_url_rule("/explode/<token>", "explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    capsys.readouterr()
    assert client.get("/explode/super-secret-token").status_code == 500
    lines = log_lines(capsys.readouterr().err)
    raw = json.dumps(lines)
    assert "super-secret-token" not in raw and EMAIL not in raw
    errors = [e for e in lines if e["level"] == "ERROR"]
    assert errors and errors[0]["exc_type"] == "RuntimeError" and errors[0]["route"] == "/explode/<token>"


def test_level_is_configurable(app, capsys):
    from app import create_app
    from config import TestingConfig

    quiet = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", LOG_LEVEL="WARNING")
    capsys.readouterr()
    with quiet.app_context():
        logging.getLogger("app").info("not shown")
        logging.getLogger("app").warning("shown")
    lines = log_lines(capsys.readouterr().err)
    assert [e["event"] for e in lines] == ["shown"]
    # The development server's raw access lines (with tokens in paths) are off.
    assert logging.getLogger("werkzeug").getEffectiveLevel() >= logging.WARNING
