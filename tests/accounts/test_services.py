"""Account services: roles, the last admin, passwords."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import User, UserRole
from app.accounts.services import AccountError


def test_create_user_normalises_email_and_hashes_password(db):
    user = services.create_user("  Anna@Example.ORG ", "Anna", "a long enough password", ["admin", "council"])
    db.session.commit()
    assert user.email == "anna@example.org"
    assert user.password_hash.startswith("$argon2")
    assert "a long enough password" not in user.password_hash
    assert user.role_names == {"admin", "council"}


def test_duplicate_email_is_refused(db):
    services.create_user("a@example.org", "A", "a long enough password", ["council"])
    with pytest.raises(AccountError) as exc:
        services.create_user("A@EXAMPLE.org", "A2", "a long enough password", ["council"])
    assert exc.value.code == "duplicate_email"


def test_short_password_and_unknown_role_are_refused(db):
    with pytest.raises(AccountError) as exc:
        services.create_user("b@example.org", "B", "short", ["council"])
    assert exc.value.code == "password_too_short"
    with pytest.raises(AccountError) as exc:
        services.create_user("c@example.org", "C", "a long enough password", ["mayor"])
    assert exc.value.code == "unknown_role"


def test_roles_table_refuses_unknown_role(db):
    user = services.create_user("d@example.org", "D", "a long enough password", ["council"])
    db.session.commit()
    db.session.add(UserRole(user_id=user.id, role="superuser"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_last_admin_cannot_lose_role_or_be_disabled(db):
    admin = services.create_user("admin@example.org", "Admin", "a long enough password", ["admin"])
    db.session.commit()
    with pytest.raises(AccountError) as exc:
        services.set_roles(admin, ["council"])
    assert exc.value.code == "last_admin"
    with pytest.raises(AccountError):
        services.set_active(admin, False)
    second = services.create_user("admin2@example.org", "Admin 2", "a long enough password", ["admin"])
    db.session.commit()
    services.set_roles(admin, ["council"])
    db.session.commit()
    assert db.session.get(User, admin.id).role_names == {"council"}
    assert second.has_role("admin")


def test_authenticate(db):
    services.create_user("e@example.org", "E", "a long enough password", ["moderator"])
    db.session.commit()
    assert services.authenticate("E@example.org", "a long enough password") is not None
    assert services.authenticate("e@example.org", "wrong password here") is None
    assert services.authenticate("nobody@example.org", "a long enough password") is None
