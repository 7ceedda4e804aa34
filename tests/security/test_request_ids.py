"""X-Request-ID (issue 14, item 8): the id that ties log lines and audit entries to a request is
taken from the request only when a trusted proxy sent it (nginx passes its own) and it is
well-formed; anyone else's is replaced by a generated one, so a client cannot write what it
likes into the audit log."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db

GENERATED = re.compile(r"[0-9a-f]{16}")
NGINX_ID = "0f3c2a9b8e7d6c5b4a39281706f5e4d3"  # nginx's $request_id: 32 hex digits
BAD_IDS = ["short", "x" * 65, "abc def ghij", "١٢٣٤٥٦٧٨٩", "abcdéfghij", "<script>alert(1)</script>",
           "forged-id-{}", "a1b2c3d4\tSet-Cookie", "../../../../etc"]


@pytest.fixture
def app_config() -> dict:
    return {"MAIL_SEND_AFTER_REQUEST": False, "MAIL_RETRY_INTERVAL": -1, "TRUSTED_PROXIES": "127.0.0.1"}


def _request_id(client, value: str, peer: str = "127.0.0.1") -> str:
    response = client.get("/healthz", headers={"X-Request-ID": value}, environ_base={"REMOTE_ADDR": peer})
    return response.headers["X-Request-ID"]


def test_a_well_formed_id_from_the_trusted_proxy_is_kept(app):
    client = app.test_client()
    assert _request_id(client, NGINX_ID) == NGINX_ID
    assert _request_id(client, "Ab-12-cd-34") == "Ab-12-cd-34"


@pytest.mark.parametrize("value", BAD_IDS)
def test_a_malformed_id_is_replaced_even_from_the_proxy(app, value):
    assert GENERATED.fullmatch(_request_id(app.test_client(), value))


def test_an_id_from_anyone_but_the_proxy_is_replaced(app):
    """A client that reaches gunicorn directly (or a site without TRUSTED_PROXIES)."""
    rid = _request_id(app.test_client(), NGINX_ID, peer="203.0.113.5")
    assert rid != NGINX_ID and GENERATED.fullmatch(rid)


def test_the_audit_log_stores_the_generated_id_not_the_clients(app, world, persona):
    admin = persona("admin")
    forged = "forged-audit-0123456789"
    response = admin.submit(f"/manage/events/{world.other_event_id}/status", {"action": "close"},
                            headers={"X-Request-ID": forged}, environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert response.status_code in (302, 303)
    with app.app_context():
        entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "event.status")
                                   .order_by(AuditEntry.id.desc())).scalars().first()
        assert entry.request_id == response.headers["X-Request-ID"] != forged
        assert GENERATED.fullmatch(entry.request_id)
