"""Directory and OIDC accounts (app/accounts/external.py): just-in-time records linked by the
provider's stable id, roles re-evaluated at every sign-in, session revalidation, local password
sign-in switched off except for break-glass admins, the source on the staff page and in the
audit log. The providers themselves are tested in tests/accounts/test_ldap.py (a real slapd)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts import external, services
from app.accounts.errors import AccountError
from app.accounts.external import DirectoryUnavailable, ExternalAccount, provision_external_user
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db as _db
from tests.support.clients import DEFAULT_PASSWORD


def is_signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def sign_in_as(client, user: User) -> None:
    """The session cookie a completed provider sign-in leaves (as Flask-Login stores it)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def provision(app, external_id="guid-1", email="anna@stadt.example", name="Anna Amt",
              roles=("moderator",), source="ldap") -> User:
    with app.app_context():
        user = provision_external_user(source, external_id, email, name, roles)
        _db.session.commit()
        _db.session.refresh(user)
        _db.session.expunge(user)
        return user


def test_first_sign_in_creates_the_record_with_source_and_roles(app, db):
    user = provision(app, roles=("council", "no-such-role"))
    stored = db.session.get(User, user.id)
    assert (stored.source, stored.external_id, stored.email) == ("ldap", "guid-1", "anna@stadt.example")
    assert stored.role_names == {"council"}
    assert stored.password_hash == ""
    created = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "user.create")).scalar_one()
    assert created.after["source"] == "ldap"


def test_no_role_at_first_sign_in_makes_no_record(app, db):
    with pytest.raises(AccountError) as refused:
        provision_external_user("ldap", "guid-x", "x@stadt.example", "X", ["nothing-mapped"])
    assert refused.value.code == "no_role"
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_later_sign_in_follows_the_provider_by_id(app, db):
    first = provision(app, roles=("admin", "moderator"))
    again = provision(app, email="anna.neu@stadt.example", name="Anna Neu", roles=("moderator",))
    assert again.id == first.id
    stored = db.session.get(User, first.id)
    assert (stored.email, stored.name, stored.role_names) == ("anna.neu@stadt.example", "Anna Neu", {"moderator"})
    change = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "user.roles")).scalar_one()
    assert change.before == {"roles": ["admin", "moderator"]} and change.after == {"roles": ["moderator"]}


def test_never_linked_by_email(app, db, create_user):
    local = create_user(roles=("admin",), email="anna@stadt.example")
    with pytest.raises(AccountError) as refused:
        provision_external_user("ldap", "guid-1", "ANNA@stadt.example", "Anna", ["admin"])
    assert refused.value.code == "email_taken"
    db.session.rollback()
    assert db.session.get(User, local.id).source == "local"
    # the same id at another provider is another person
    provision(app, external_id="same", email="a@stadt.example", source="ldap")
    provision(app, external_id="same", email="b@stadt.example", source="oidc")
    assert db.session.execute(sa.select(sa.func.count(User.id)).where(User.external_id == "same")).scalar_one() == 2


def test_bad_provider_answers_are_refused(app, db):
    for args, code in (
        (("saml", "id", "a@x.example", "A", ["admin"]), "unknown_source"),
        (("ldap", "  ", "a@x.example", "A", ["admin"]), "no_external_id"),
        (("ldap", "id", "", "A", ["admin"]), "no_email"),
    ):
        with pytest.raises(AccountError) as refused:
            provision_external_user(*args)
        assert refused.value.code == code


def test_database_keeps_sources_apart(app, db):
    db.session.add(User(email="z@x.example", name="Z", password_hash="", source="ldap", external_id=None))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    provision(app, external_id="dup", email="1@x.example")
    db.session.add(User(email="2@x.example", name="Z", password_hash="", source="ldap", external_id="dup"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_external_accounts_have_no_password_here(app, client, db):
    user = provision(app)
    stored = db.session.get(User, user.id)
    assert services.authenticate("anna@stadt.example", "") is None
    for change in (lambda: services.set_password(stored, "ein ganz neues Kennwort"),
                   lambda: services.change_password(stored, "x", "ein ganz neues Kennwort")):
        with pytest.raises(AccountError) as refused:
            change()
        assert refused.value.code == "no_local_password"
    with pytest.raises(AccountError) as refused:
        services.set_roles(stored, ["admin"])
    assert refused.value.code == "roles_from_directory"


# Session revalidation -------------------------------------------------------------------------

class Directory:
    """What the provider says now about each external id (None: gone or disabled)."""

    def __init__(self):
        self.people: dict[str, ExternalAccount | None] = {}
        self.down = False
        self.asked = 0

    def __call__(self, user: User) -> ExternalAccount | None:
        self.asked += 1
        if self.down:
            raise DirectoryUnavailable("connection refused")
        return self.people.get(user.external_id)


@pytest.fixture
def directory(monkeypatch):
    fake = Directory()
    monkeypatch.setitem(external._REVALIDATORS, "ldap", fake)
    return fake


@pytest.fixture
def app_config():
    return {"DIRECTORY_REVALIDATE_SECONDS": 0}


def person(roles, email="anna@stadt.example") -> ExternalAccount:
    return ExternalAccount("ldap", "guid-1", email, "Anna Amt", frozenset(roles))


def test_revalidation_follows_role_changes_and_ends_sessions(app, client, db, directory):
    user = provision(app, roles=("admin",))
    sign_in_as(client, user)
    other = app.test_client()
    sign_in_as(other, user)
    directory.people["guid-1"] = person({"admin"})
    assert client.get("/manage/users").status_code == 200

    directory.people["guid-1"] = person({"council"})
    assert client.get("/manage/users").status_code == 403  # the admin role is gone at once
    assert is_signed_in(client)

    directory.people["guid-1"] = None  # removed from the directory, or disabled there
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not is_signed_in(other)  # every session ended
    db.session.expire_all()
    assert db.session.get(User, user.id).role_names == set()
    withdrawn = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "user.roles")
                                   .order_by(AuditEntry.id.desc())).scalars().first()
    assert withdrawn.after == {"roles": []} and "gone or disabled" in withdrawn.detail


def test_revalidation_waits_for_the_interval(app, client, directory):
    app.config["DIRECTORY_REVALIDATE_SECONDS"] = 3600
    user = provision(app)  # just confirmed by the directory
    sign_in_as(client, user)
    directory.people["guid-1"] = None
    assert is_signed_in(client) and is_signed_in(client)
    assert directory.asked == 0
    app.config["DIRECTORY_REVALIDATE_SECONDS"] = 0
    assert not is_signed_in(client)
    assert directory.asked == 1


def test_directory_down_keeps_the_session(app, client, directory):
    user = provision(app)
    sign_in_as(client, user)
    directory.down = True
    assert is_signed_in(client)
    assert directory.asked == 1


def test_sessions_of_a_copied_cookie_end_too(app, client, directory):
    user = provision(app)
    sign_in_as(client, user)
    thief = app.test_client()
    thief.set_cookie("ideenmarkt_session", client.get_cookie("ideenmarkt_session").value)
    directory.people["guid-1"] = person(set())
    assert not is_signed_in(client)
    assert not is_signed_in(thief)


# Local password sign-in ------------------------------------------------------------------------

def test_local_login_off_except_break_glass(app, client, create_user, login, db):
    admin = create_user(roles=("admin",), email="notfall@stadt.example")
    moderator = create_user(roles=("moderator",), email="mod@stadt.example")
    other_admin = create_user(roles=("admin",), email="admin2@stadt.example")
    signed_in = app.test_client()
    login(signed_in, moderator)

    app.config.update(LOCAL_LOGIN_ENABLED=False, BREAK_GLASS_ADMINS="notfall@stadt.example, mod@stadt.example")
    for user in (moderator, other_admin):  # a break-glass name without the admin role does not count
        response = client.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 200
        assert "Passwort ist nicht korrekt" in response.get_data(as_text=True)
    assert not is_signed_in(signed_in)  # the open session of a local account ended
    login(client, admin)
    assert is_signed_in(client)


def test_sign_in_is_audited_with_the_source(app, client, create_user, login, db):
    user = create_user(roles=("council",))
    login(client, user)
    entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "user.login")).scalar_one()
    assert (entry.user_id, entry.target_id, entry.after) == (user.id, user.id, {"source": "local"})
    page = app.test_client()
    login(page, create_user(roles=("admin",)))
    text = page.get("/manage/audit").get_data(as_text=True)
    assert "Angemeldet" in text


def test_staff_page_shows_the_source_and_keeps_directory_roles(app, staff_client, db):
    admin = staff_client("admin")
    user = provision(app, roles=("moderator",))
    listing = admin.get("/manage/users").get_data(as_text=True)
    assert "Verzeichnis (LDAP)" in listing and "Passwort" in listing
    page = admin.get(f"/manage/users/{user.id}").get_data(as_text=True)
    assert 'name="roles"' not in page and 'name="new_password"' not in page
    # disabling stays a local decision; posted roles are ignored
    response = admin.submit(f"/manage/users/{user.id}", {"roles": ["admin"]})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.active is False and stored.role_names == {"moderator"}
