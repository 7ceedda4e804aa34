"""While the database is down: a friendly 503 page (German/English, no traceback), JSON for the
API, 503 from /healthz; the site answers again as soon as the database is back."""
from __future__ import annotations

import pytest

from app import create_app
from config import TestingConfig
from tests.support.servers import free_port


@pytest.fixture
def down_app(tmp_path):
    """An app whose PostgreSQL server does not answer (nothing listens on the port)."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://ideenmarkt@127.0.0.1:{free_port()}/x",
                     INSTANCE_PATH=str(tmp_path), MAIL_SEND_AFTER_REQUEST=False, MAIL_RETRY_INTERVAL=-1,
                     PROPAGATE_EXCEPTIONS=False)
    app.test_client_class = __import__("tests.support.clients", fromlist=["IsolatedClient"]).IsolatedClient
    return app


@pytest.mark.parametrize("path", ["/", "/processes", "/events/1", "/events/1/apply", "/applications/sometoken"])
def test_pages_answer_503_with_the_friendly_page(down_app, path):
    response = down_app.test_client().get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 503, (path, response.status_code, body[:300])
    assert "Vorübergehend nicht verfügbar" in body or "vorübergehend nicht" in body.lower()
    assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body
    assert response.headers.get("Retry-After")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_without_data_still_work(down_app):
    client = down_app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/manage/users").status_code == 302


def test_a_form_post_answers_503_too(down_app):
    client = down_app.test_client()
    response = client.post("/login", data={"csrf_token": client.csrf_token(), "email": "a@b.de", "password": "x"})
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_logged_in_session_does_not_break_the_page(down_app):
    client = down_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:sometoken"
    response = client.get("/")
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)


def test_health_and_api_answer_json(down_app):
    client = down_app.test_client()
    assert client.get("/healthz").status_code == 503
    response = client.get("/api/v1/processes")
    assert response.status_code == 503 and response.is_json
    assert response.json["error"]["status"] == 503


def test_a_connection_lost_at_the_end_of_a_request_is_not_a_500(app, monkeypatch):
    """PostgreSQL restarting between the view and the teardown: the final ROLLBACK fails with
    "terminating connection due to administrator command"; the finished page is still sent."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    def connection_gone(self):
        raise sa.exc.OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

    client = app.test_client()
    with monkeypatch.context() as patch:
        patch.setattr(Session, "close", connection_gone)
        response = client.get("/healthz")
    assert response.status_code == 200
    assert client.get("/processes").status_code == 200  # the next request gets a fresh session
