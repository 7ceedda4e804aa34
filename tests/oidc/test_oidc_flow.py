"""Staff sign-in through a real OpenID Connect provider (tests/support/oidc_provider.py, Authlib's
authorization server in its own process): the code flow with PKCE, the account linked by issuer
and ``sub``, roles from the groups claim, RP-initiated logout, and every refused fault with a
clear page (never a 500), in German and English."""
from __future__ import annotations

import time
import urllib.parse

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from app import create_app
from app.accounts.models import User
from app.extensions import db
from config import TestingConfig
from tests.support.oidc import CLIENT_ID, oidc_config, path_of, register, sign_in_at_provider
from tests.support.oidc_provider import BACKCHANNEL_EVENT, subject_of
from tests.support.servers import free_port

BASE = "http://127.0.0.1:5000"  # TestingConfig.BASE_URL: the redirect URI the app sends


@pytest.fixture
def app_config(provider):
    register(provider, BASE)
    return oidc_config(provider)


def start(client, **query) -> str:
    """Press the button on the login page; returns the provider's authorization URL."""
    page = client.get("/login")
    assert 'id="oidc-login"' in page.get_data(as_text=True)
    url = "/login/oidc" + ("?" + urllib.parse.urlencode(query) if query else "")
    response = client.submit(url)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def sign_in(client, username, browser=None, **query):
    callback = sign_in_at_provider(start(client, **query), username, browser=browser)
    assert callback.startswith(BASE + "/login/oidc/callback?")
    return client.get(path_of(callback)), callback


def signed_in_user_id(client):
    with client.session_transaction() as session:
        value = session.get("_user_id")
    return int(value.partition(":")[0]) if value else None


def users(app):
    with app.app_context():
        return {u.external_id: (u.id, u.source, u.email, sorted(u.role_names))
                for u in db.session.execute(db.select(User)).scalars()}


@pytest.mark.parametrize("username, role", [("anna.admin", "admin"), ("moritz.mod", "moderator"),
                                            ("rita.rat", "council")])
def test_sign_in_with_pkce_makes_the_account_linked_by_issuer_and_sub_with_the_mapped_role(
        app, client, op, username, role):
    assert "Mit Stadt-Login anmelden" in client.get("/login").get_data(as_text=True)
    authorize = start(client)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)
    assert authorize.startswith(op.issuer + "/authorize?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["nonce"][0] and query["state"][0] and query["client_id"] == [CLIENT_ID]
    assert "openid" in query["scope"][0].split()
    response = client.get(path_of(sign_in_at_provider(authorize, username)))
    assert response.status_code == 302 and response.headers["Location"].endswith("/manage")
    [(external_id, (user_id, source, _email, roles))] = users(app).items()
    assert external_id == f"{op.issuer}#{subject_of(username)}" and source == "oidc" and roles == [role]
    assert signed_in_user_id(client) == user_id
    assert client.get("/manage").status_code == 200


def test_the_next_sign_in_finds_the_same_account(app, client, op):
    sign_in(client, "anna.admin")
    first = users(app)
    client.submit("/logout")
    sign_in(client, "anna.admin")
    assert users(app) == first and signed_in_user_id(client) == next(iter(first.values()))[0]


def test_the_next_parameter_is_kept_through_the_provider(client, op):
    response, _ = sign_in(client, "anna.admin", next="/manage/events")
    assert response.headers["Location"].endswith("/manage/events")


def test_no_mapped_group_means_no_role_and_no_account(app, client, op):
    # nora.none is in "/staff" and "/ideenmarkt-admins-old": neither is mapped.
    response, _ = sign_in(client, "nora.none")
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "Anmeldung abgelehnt" in body and "keine Rolle" in body
    assert users(app) == {} and signed_in_user_id(client) is None


def test_an_account_is_never_linked_by_email_alone(app, client, op, create_user):
    local = create_user(roles=("admin",), email="admin@example.org")
    response, _ = sign_in(client, "eve.same-mail")  # the provider says: admin@example.org, admins
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert list(users(app)) == [None]  # only the local account, untouched
    with app.app_context():
        assert db.session.get(User, local.id).source == "local"


def test_a_wrong_state_is_refused(app, client, op):
    callback = sign_in_at_provider(start(client), "anna.admin")
    forged = callback.replace("state=", "state=x")
    response = client.get(path_of(forged))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Anmeldung abgelehnt" in body and "nicht (mehr) gültig" in body
    assert signed_in_user_id(client) is None and users(app) == {}


def test_a_replayed_callback_and_a_replayed_code_are_refused(app, client, op):
    response, callback = sign_in(client, "anna.admin")
    assert response.status_code == 302
    client.submit("/logout")
    # The same callback again: its state was used up at the first sign-in.
    assert client.get(path_of(callback)).status_code == 400
    # The old code with the state of a new sign-in: the provider refuses the used code.
    fresh = urllib.parse.parse_qs(urllib.parse.urlsplit(start(client)).query)["state"][0]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    replay = client.get("/login/oidc/callback?" + urllib.parse.urlencode({"code": code, "state": fresh}))
    assert replay.status_code == 400
    assert "wurde bereits verwendet" in replay.get_data(as_text=True) or "bereits" in replay.get_data(as_text=True)
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize("mode, german, english", [
    ("expired", "ist abgelaufen", "has expired"),
    ("foreign_audience", "konnte nicht überprüft werden", "could not be verified"),
    ("wrong_key", "konnte nicht überprüft werden", "could not be verified"),
])
def test_faulty_id_tokens_are_refused_in_german_and_english(app, client, op, mode, german, english):
    op.set_mode(mode)
    response, _ = sign_in(client, "anna.admin")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Anmeldung abgelehnt" in body and german in body
    assert signed_in_user_id(client) is None and users(app) == {}
    client.set_cookie("ideenmarkt_lang", "en")
    response, _ = sign_in(client, "anna.admin")
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Sign-in refused" in body and english in body
    op.set_mode("normal")
    response, _ = sign_in(client, "anna.admin")
    assert response.status_code == 302 and signed_in_user_id(client) is not None


def test_cancelled_at_the_provider_is_a_clear_page(client, op):
    start(client)
    response = client.get("/login/oidc/callback?error=access_denied&state=whatever")
    assert response.status_code == 400 and "hat die Anmeldung nicht bestätigt" in response.get_data(as_text=True)


def test_logout_ends_the_provider_session_too(app, client, op):
    browser = requests.Session()
    sign_in(client, "anna.admin", browser=browser)
    provider_session = browser.cookies["op_session"]
    assert op.state()["sessions"][provider_session]["username"] == "anna.admin"
    response = client.submit("/logout")
    assert response.status_code == 302
    end_session = response.headers["Location"]
    assert end_session.startswith(op.issuer + "/logout?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == [BASE + "/login/oidc/logged-out"] and query["id_token_hint"]
    back = browser.get(end_session, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(BASE + "/login/oidc/logged-out")
    assert provider_session not in op.state()["sessions"]
    landing = client.get(path_of(back.headers["Location"]), follow_redirects=True)
    assert "abgemeldet, auch bei Stadt-Login" in landing.get_data(as_text=True)
    assert signed_in_user_id(client) is None


def test_a_local_logout_does_not_go_to_the_provider(client, op, create_user, login):
    user = create_user(roles=("admin",))
    login(client, user)
    assert client.submit("/logout").headers["Location"].endswith("/")


def test_sign_in_is_rate_limited_like_password_logins(app, client, op):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    start(client)
    start(client)
    refused = client.submit("/login/oidc")
    assert refused.status_code == 429 and refused.headers.get("Retry-After")
    for _ in range(2):
        client.get("/login/oidc/callback?code=x&state=y")
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 429


def test_a_forged_back_channel_logout_is_refused_and_ends_nothing(app, client, op):
    sign_in(client, "anna.admin")
    foreign = RSAKey.generate_key(2048, parameters={"kid": "test-op-key"})
    now = int(time.time())
    forged = jwt.encode({"alg": "RS256", "kid": "test-op-key"},
                        {"iss": op.issuer, "aud": CLIENT_ID, "iat": now, "jti": "x",
                         "sub": subject_of("anna.admin"), "events": {BACKCHANNEL_EVENT: {}}}, foreign)
    other = app.test_client()
    response = other.post("/login/oidc/backchannel-logout", data={"logout_token": forged})
    assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
    assert other.post("/login/oidc/backchannel-logout", data={"logout_token": "not a token"}).status_code == 400
    assert client.get("/manage").status_code == 200


def test_provider_down_gives_a_clear_page_and_local_login_still_works(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'down.sqlite'}",
                     INSTANCE_PATH=str(tmp_path / "instance"), OIDC_ISSUER=dead, OIDC_CLIENT_ID=CLIENT_ID,
                     OIDC_CLIENT_SECRET="s", OIDC_TIMEOUT=2, OIDC_PROVIDER_NAME="Stadt-Login")
    from tests.support.clients import DEFAULT_PASSWORD, IsolatedClient

    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        from app.accounts import services

        services.create_user("notfall@example.org", "Notfall-Admin", DEFAULT_PASSWORD, ["admin"])
        db.session.commit()
    client = app.test_client()
    response = client.submit("/login/oidc")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "Der Anmeldedienst ist nicht erreichbar" in body and "E-Mail-Adresse und Passwort weiterhin" in body
    assert "Traceback" not in body
    callback = client.get("/login/oidc/callback?code=x&state=y")
    assert callback.status_code in (400, 503) and "Traceback" not in callback.get_data(as_text=True)
    login = client.submit("/login", {"email": "notfall@example.org", "password": DEFAULT_PASSWORD})
    assert login.status_code == 302 and login.headers["Location"].endswith("/manage")


def test_without_settings_there_is_no_button_and_no_route(tmp_path):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'off.sqlite'}",
                     INSTANCE_PATH=str(tmp_path / "instance"))
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert 'id="oidc-login"' not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
