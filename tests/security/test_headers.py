"""Security headers on every kind of response, and the flags of every cookie the site sets."""
from __future__ import annotations

import pytest

from app import create_app
from app.core.security import SECURITY_HEADERS
from config import ProductionConfig
from tests.security.walks import all_routes, body_of, build_url, side_of


def assert_headers(response, where: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"
    assert response.headers.get("X-Request-ID"), f"{where}: no X-Request-ID"
    if response.mimetype == "text/html":
        assert response.headers.get("Cache-Control") == "no-store", f"{where}: HTML may be cached"


def assert_cookie_flags(response, where: str, secure: bool) -> None:
    for header in response.headers.getlist("Set-Cookie"):
        flags = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
        assert "httponly" in flags, f"{where}: cookie without HttpOnly: {header}"
        assert "samesite=lax" in header.lower().replace(" ", ""), f"{where}: cookie without SameSite=Lax: {header}"
        assert ("secure" in flags) == secure, f"{where}: Secure flag {'missing' if secure else 'set'}: {header}"


def test_every_response_type_carries_the_headers(app, world, persona):
    """HTML, JSON, CSV, ICS, SVG, event streams, redirects, 403, 404, 405 and 400: all of them."""
    kinds = set()
    for persona_name in ("anonymous", "participant", "moderator_a", "council", "admin"):
        client = persona(persona_name)
        for route in all_routes(app):
            url = build_url(app, route, world, side_of(persona_name))
            if "GET" in route.methods:
                response = client.get(url)
            else:  # a state change without a token: the 400 page
                response = client.open(url, method=route.methods[0], data={})
            body_of(response)
            where = f"{url} as {persona_name} ({response.status_code} {response.mimetype})"
            assert_headers(response, where)
            assert_cookie_flags(response, where, secure=False)
            kinds.add((response.status_code // 100, response.mimetype))
    for url in ("/does-not-exist", "/static/core/css/app.css", "/static/core/css/missing.css"):
        response = persona("anonymous").get(url)
        assert_headers(response, url)
        kinds.add((response.status_code // 100, response.mimetype))
    response = persona("anonymous").post("/")  # 405
    assert response.status_code == 405
    assert_headers(response, "405")
    mimetypes = {mimetype for _, mimetype in kinds}
    assert {"text/html", "application/json", "text/event-stream", "text/css"} <= mimetypes, mimetypes
    assert {2, 3, 4} <= {status for status, _ in kinds}


def test_session_and_language_cookies_in_production(database_uri, tmp_path, world, app):
    """In production every cookie is Secure, HttpOnly and SameSite=Lax, and HSTS is sent."""
    production = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=database_uri, SECRET_KEY="p" * 40,
                            BASE_URL="https://localhost", INSTANCE_PATH=str(tmp_path / "prod-instance"), MAIL_SEND_AFTER_REQUEST=False,
                            MAIL_RETRY_INTERVAL=-1)
    production.test_client_class = app.test_client_class
    client = production.test_client()
    page = client.get("/login", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert_cookie_flags(page, "GET /login", secure=True)
    response = client.post("/login", base_url="https://localhost", data={
        "csrf_token": client.csrf_token(), "email": world.admin_email, "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert response.headers.getlist("Set-Cookie"), "login set no cookie"
    assert_cookie_flags(response, "POST /login", secure=True)
    response = client.post("/language", base_url="https://localhost",
                           data={"csrf_token": client.csrf_token(), "lang": "en"})
    assert response.headers.getlist("Set-Cookie")
    assert_cookie_flags(response, "POST /language", secure=True)


@pytest.mark.parametrize("path", ["/login", "/"])
def test_development_cookies_are_httponly_and_lax(client, path):
    response = client.get(path)
    assert_cookie_flags(response, path, secure=False)
