"""Links in mails point at the site's public address: BASE_URL when configured, else the served one."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.core.models import OutboxMail
from app.core.urls import absolute_url, public_base_url
from app.extensions import db
from config import DevelopmentConfig, ProductionConfig
from tests.support.smtp import find_links


@pytest.fixture
def app_config():
    # BASE_URL unset, as in development; mail stays in the outbox for the test to read.
    return {"BASE_URL": None, "MAIL_SEND_AFTER_REQUEST": False, "MAIL_RETRY_INTERVAL": -1}


def _mail_body(app) -> str:
    with app.app_context():
        return db.session.execute(sa.select(OutboxMail.body_text)).scalar_one()


def test_development_has_no_fixed_base_url():
    assert DevelopmentConfig.BASE_URL is None


def test_without_base_url_mail_links_follow_the_served_port(app, client, open_event, application_form_data):
    """``PORT=5101 make run``: the confirmation link goes to port 5101, not 5000."""
    event_id = open_event().id
    response = client.submit(f"/events/{event_id}/apply", application_form_data(event_id),
                             base_url="http://localhost:5101")
    assert response.status_code == 302
    body = _mail_body(app)
    links = [link for link in find_links_in_text(body)]
    assert links and all(link.startswith("http://localhost:5101/") for link in links), links
    assert any("/confirm/" in link for link in links)


def find_links_in_text(text: str) -> list[str]:
    from email.message import EmailMessage

    message = EmailMessage()
    message.set_content(text)
    return find_links(message)


def test_outside_a_request_links_follow_the_flask_run_address(app, monkeypatch):
    monkeypatch.setenv("FLASK_RUN_HOST", "127.0.0.1")
    monkeypatch.setenv("FLASK_RUN_PORT", "5101")
    with app.app_context():
        assert public_base_url() == "http://127.0.0.1:5101"
        assert absolute_url("events.process_list") == "http://127.0.0.1:5101/processes"
    monkeypatch.setenv("FLASK_RUN_HOST", "0.0.0.0")
    monkeypatch.delenv("FLASK_RUN_PORT")
    with app.app_context():
        assert public_base_url() == "http://127.0.0.1:5000"


def test_a_configured_base_url_wins_over_the_request(app, client, open_event, application_form_data):
    app.config["BASE_URL"] = "https://beteiligung.example"
    event_id = open_event().id
    client.submit(f"/events/{event_id}/apply", application_form_data(event_id), base_url="http://localhost:8080")
    links = find_links_in_text(_mail_body(app))
    assert links and all(link.startswith("https://beteiligung.example/") for link in links), links


def test_production_requires_base_url(tmp_path, monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="s" * 40,
                   INSTANCE_PATH=str(tmp_path))
    production = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="s" * 40,
                            INSTANCE_PATH=str(tmp_path), BASE_URL="https://beteiligung.example/")
    with production.test_request_context("/", base_url="http://evil.example"):
        assert public_base_url() == "https://beteiligung.example"
