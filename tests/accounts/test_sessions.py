"""Login renews the session; logout, disabling and a password change end every copy of it."""
from __future__ import annotations


import pytest

from app.accounts import services
from app.accounts.models import User
from tests.support.clients import DEFAULT_PASSWORD


def session_cookie(client) -> str:
    cookie = client.get_cookie("ideenmarkt_session")
    assert cookie is not None
    return cookie.value


def replay(app, cookie_value: str):
    """A second client that presents a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("ideenmarkt_session", cookie_value)
    return thief


def is_logged_in(client) -> bool:
    response = client.get("/account/password")
    return response.status_code == 200


def test_login_and_protected_page(client, create_user, login):
    user = create_user(roles=("council",))
    assert not is_logged_in(client)
    login(client, user)
    assert is_logged_in(client)


def test_wrong_password_and_unknown_email_answer_the_same(client, create_user):
    create_user(email="known@example.org")
    known = client.submit("/login", {"email": "known@example.org", "password": "wrong password!"})
    unknown = client.submit("/login", {"email": "nobody@example.org", "password": "wrong password!"})
    assert known.status_code == unknown.status_code == 200
    text = "oder Passwort ist nicht korrekt"
    assert text in known.get_data(as_text=True) and text in unknown.get_data(as_text=True)


def test_login_is_case_insensitive_on_email(client, create_user, login):
    create_user(email="case@example.org")
    login(client, "  CASE@Example.org ")
    assert is_logged_in(client)


def test_session_is_renewed_at_login(app, client, create_user, login):
    user = create_user()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_cookie_copied_before_logout_is_worthless_after(app, client, create_user, login):
    user = create_user()
    login(client, user)
    copied = session_cookie(client)
    assert is_logged_in(replay(app, copied))
    response = client.submit("/logout")
    assert response.status_code == 302
    assert not is_logged_in(client)
    assert not is_logged_in(replay(app, copied))


def test_disabling_ends_sessions(app, client, create_user, login, db):
    user = create_user(roles=("moderator",))
    login(client, user)
    copied = session_cookie(client)
    services.set_active(db.session.get(User, user.id), False)
    db.session.commit()
    assert not is_logged_in(replay(app, copied))
    assert not is_logged_in(client)
    # and a disabled account cannot log in again
    response = client.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, create_user, login):
    user = create_user()
    login(client, user)
    other = app.test_client()
    login(other, user)
    copied = session_cookie(client)
    response = client.submit("/account/password", {
        "current_password": DEFAULT_PASSWORD, "new_password": "a brand new passphrase", "confirm": "a brand new passphrase",
    })
    assert response.status_code == 302
    assert is_logged_in(client)
    assert not is_logged_in(other)
    assert not is_logged_in(replay(app, copied))
    fresh = app.test_client()
    assert fresh.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
    assert fresh.submit("/login", {"email": user.email, "password": "a brand new passphrase"}).status_code == 302


def test_wrong_current_password_changes_nothing(app, client, create_user, login, db):
    user = create_user()
    login(client, user)
    before = db.session.get(User, user.id).password_hash
    response = client.submit("/account/password", {
        "current_password": "not my password", "new_password": "a brand new passphrase", "confirm": "a brand new passphrase",
    })
    assert response.status_code == 200
    assert "Das aktuelle Passwort ist nicht korrekt" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before
    assert is_logged_in(client)


def test_session_cookie_flags(client, create_user, login):
    user = create_user()
    response = login(client, user)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("ideenmarkt_session="))
    lowered = header.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered


def test_production_session_cookie_is_secure(tmp_path, monkeypatch):
    from app import create_app
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/p.sqlite",
                     INSTANCE_PATH=str(tmp_path), BASE_URL="https://beteiligung.example")
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_redirects_off_site(client, create_user, target):
    user = create_user()
    response = client.submit(f"/login?next={target}", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.location == "/manage"  # the staff start page
