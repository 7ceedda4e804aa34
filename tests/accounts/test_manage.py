"""Admins manage staff accounts over HTTP."""
from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from tests.support.clients import DEFAULT_PASSWORD


def test_admin_creates_staff_who_can_log_in(app, staff_client, db):
    admin = staff_client("admin")
    response = admin.submit("/manage/users/new", {
        "email": "neu@example.org", "name": "Neue Moderatorin", "roles": ["moderator", "council"],
        "password": "ein langes Passwort",
    })
    assert response.status_code == 302
    user = db.session.execute(sa.select(User).where(User.email == "neu@example.org")).scalar_one()
    assert user.role_names == {"moderator", "council"}
    fresh = app.test_client()
    assert fresh.submit("/login", {"email": "neu@example.org", "password": "ein langes Passwort"}).status_code == 302
    listing = admin.get("/manage/users").get_data(as_text=True)
    assert "neu@example.org" in listing


def test_invalid_staff_form_changes_nothing(staff_client, db):
    admin = staff_client("admin")
    before = db.session.execute(sa.select(sa.func.count(User.id))).scalar_one()
    for data in (
        {"email": "not-an-email", "name": "X", "roles": ["council"], "password": "ein langes Passwort"},
        {"email": "x@example.org", "name": "X", "roles": [], "password": "ein langes Passwort"},
        {"email": "x@example.org", "name": "X", "roles": ["king"], "password": "ein langes Passwort"},
        {"email": "x@example.org", "name": "X\x00", "roles": ["council"], "password": "short"},
    ):
        response = admin.submit("/manage/users/new", data)
        assert response.status_code == 200, data
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == before


def test_admin_disables_and_reassigns(app, staff_client, create_user, login, db):
    admin = staff_client("admin")
    moderator = create_user(roles=("moderator",))
    victim_client = app.test_client()
    login(victim_client, moderator)
    response = admin.submit(f"/manage/users/{moderator.id}", {"name": "Mod", "roles": ["council"], "active": ""})
    assert response.status_code == 302
    user = db.session.get(User, moderator.id)
    assert user.role_names == {"council"} and not user.active
    assert victim_client.get("/account/password").status_code == 302  # logged out


def test_admin_cannot_remove_last_admin(staff_client, db):
    admin = staff_client("admin")
    response = admin.submit(f"/manage/users/{admin.user.id}", {"name": "Me", "roles": ["council"], "active": "y"})
    assert response.status_code == 422
    assert db.session.get(User, admin.user.id).has_role("admin")


def test_non_admins_get_403(staff_client):
    for role in ("moderator", "council"):
        client = staff_client(role)
        assert client.get("/manage/users").status_code == 403
        assert client.submit("/manage/users/new", {"email": "a@b.de"}).status_code == 403


def test_staff_list_escapes_names(staff_client, create_user):
    create_user(name='<script>alert(1)</script>', roles=("council",))
    page = staff_client("admin").get("/manage/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_reset_password_by_admin(app, staff_client, create_user):
    admin = staff_client("admin")
    user = create_user(roles=("council",))
    response = admin.submit(f"/manage/users/{user.id}", {"name": "C", "roles": ["council"], "active": "y",
                                                        "new_password": "zurueckgesetztes Passwort"})
    assert response.status_code == 302
    fresh = app.test_client()
    assert fresh.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
    assert fresh.submit("/login", {"email": user.email, "password": "zurueckgesetztes Passwort"}).status_code == 302
