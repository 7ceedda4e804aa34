"""Security headers on HTML pages, error pages and /healthz."""
from __future__ import annotations

import pytest

from app.core.security import SECURITY_HEADERS


def assert_secure(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert response.headers.get("X-Request-ID")


@pytest.mark.parametrize("path,status", [
    ("/", 200), ("/login", 200), ("/healthz", 200), ("/does-not-exist", 404),
    ("/manage/users", 302),
])
def test_headers_on_pages(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_secure(response)


def test_headers_on_403_405_and_400(client, staff_client):
    assert_secure(staff_client("council").get("/manage/users"))  # 403
    response = client.get("/logout")  # POST only
    assert response.status_code == 405
    assert_secure(response)
    response = client.post("/login", data={"email": "x"})  # no CSRF token
    assert response.status_code == 400
    assert_secure(response)


def test_500_is_friendly_with_headers_and_no_traceback(app):
    from app.core.access import public

    @public
    def boom():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internal detail" not in body and "Traceback" not in body
    assert "Etwas ist schiefgelaufen" in body
    assert_secure(response)


def test_no_state_change_on_get_routes(app):
    """GET never maps to a view that also lists POST as its only purpose (logout is POST-only)."""
    rules = {r.endpoint: r.methods for r in app.url_map.iter_rules()}
    assert "GET" not in rules["accounts.logout"]
    assert "GET" not in rules["core.set_language"]


def test_no_external_resources_in_pages(client):
    for path in ("/", "/login"):
        body = client.get(path).get_data(as_text=True)
        assert "http://" not in body.replace("http://www.w3.org", "")
        assert "https://" not in body
