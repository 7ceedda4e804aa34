"""The password policy (NIST SP 800-63B) wherever a password is set: service, admin forms, the
own password change, the CLI; German and English messages."""
from __future__ import annotations

import gzip
import re

import pytest
import sqlalchemy as sa

from app.accounts import passwords, services
from app.accounts.models import User
from app.accounts.services import AccountError
from app.core.i18n import LANG_COOKIE
from tests.support.clients import DEFAULT_PASSWORD

EMAIL = "anna.schmidt@stadt.example"
NAME = "Anna Schmidt"


def _long_common_password() -> str:
    """A password of the bundled list that is long enough to pass the length rule."""
    with gzip.open(passwords.COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return next(p for p in (line.strip() for line in lines) if len(p) >= 12 and p.isalpha())


def test_the_bundled_list_is_large_and_licensed():
    assert len(passwords.common_passwords()) >= 10_000
    licence = (passwords.COMMON_PASSWORDS_FILE.parent / "LICENSE-common-passwords.txt").read_text()
    assert "Django Software Foundation" in licence and "Redistributions" in licence


@pytest.mark.parametrize(("password", "code"), [
    ("aaaaaaaaaaaa", "password_predictable"),
    ("123456789012", "password_predictable"),
    ("passwordpassword", None),  # common or predictable, both refuse it
    ("abcabcabcabc", "password_predictable"),
    ("0987654321098", "password_predictable"),
    ("qwertzuiopasd", "password_predictable"),
    ("password2024!", "password_common"),
    ("anna.schmidt", "password_context"),  # the email's local part
    ("AnnaSchmidt-1984", "password_context"),
    (EMAIL, "password_context"),
    ("mein ideenmarkt zugang", "password_context"),
    ("Esslingen liegt am Neckar", "password_context"),  # the city of CITY_NAME
    ("short", "password_too_short"),
    ("x" * 257, "password_too_long"),
])
def test_weak_passwords_are_refused_when_an_account_is_created(db, password, code):
    with pytest.raises(AccountError) as exc:
        services.create_user(EMAIL, NAME, password, ["council"])
    assert exc.value.field == "password"
    if code:
        assert exc.value.code == code
    else:
        assert exc.value.code in ("password_common", "password_predictable")
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_a_common_password_of_the_list_is_refused(db):
    with pytest.raises(AccountError) as exc:
        services.create_user(EMAIL, NAME, _long_common_password(), ["council"])
    assert exc.value.code == "password_common"
    with pytest.raises(AccountError) as exc:
        services.create_user(EMAIL, NAME, _long_common_password().upper() + "!", ["council"])
    assert exc.value.code == "password_common"


@pytest.mark.parametrize("password", [DEFAULT_PASSWORD, "Tr0ub4dor&3-Fluss-Wiese", "8302-1174-9926",
                                      "Die Bank am Marktplatz 7"])
def test_good_passwords_are_accepted(db, password):
    assert services.create_user(EMAIL, NAME, password, ["council"]).id


def test_change_and_reset_refuse_the_current_password(db):
    user = services.create_user(EMAIL, NAME, DEFAULT_PASSWORD, ["council"])
    db.session.commit()
    with pytest.raises(AccountError) as exc:
        services.change_password(user, DEFAULT_PASSWORD, DEFAULT_PASSWORD)
    assert (exc.value.code, exc.value.field) == ("password_unchanged", "password")
    with pytest.raises(AccountError) as exc:
        services.set_password(user, DEFAULT_PASSWORD)  # an admin's reset
    assert exc.value.code == "password_unchanged"
    with pytest.raises(AccountError) as exc:
        services.change_password(user, DEFAULT_PASSWORD, "123456789012")
    assert exc.value.code == "password_predictable"
    with pytest.raises(AccountError) as exc:
        services.set_password(user, "Schmidt-Anna-Passwort")
    assert exc.value.code == "password_context"
    services.change_password(user, DEFAULT_PASSWORD, "Die Bank am Marktplatz 7")
    db.session.commit()
    assert services.verify_password(user, "Die Bank am Marktplatz 7")


def _field_error(response, field: str) -> str:
    """The error text shown under ``field`` ("" if none)."""
    page = response.get_data(as_text=True)
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return match.group(1) if match else ""


def test_own_password_change_shows_the_reason_under_the_new_password(app, create_user, login, db):
    user = create_user(email=EMAIL, name=NAME)
    before = db.session.get(User, user.id).password_hash
    client = app.test_client()
    login(client, user)
    cases = [
        ("passwordpassword", None),
        ("aaaaaaaaaaaa", "nicht aus wiederholten oder aufeinanderfolgenden Zeichen"),
        ("anna.schmidt", "darf weder den Namen noch die E-Mail-Adresse des Kontos"),
        (DEFAULT_PASSWORD, "Das neue Passwort muss sich vom bisherigen unterscheiden."),
    ]
    for new, message in cases:
        response = client.submit("/account/password", {
            "current_password": DEFAULT_PASSWORD, "new_password": new, "confirm": new})
        assert response.status_code == 200, new
        shown = _field_error(response, "new_password")
        assert shown and (message is None or message in shown), (new, shown)
        assert not _field_error(response, "current_password")
    client.set_cookie(LANG_COOKIE, "en")
    english = client.submit("/account/password", {
        "current_password": DEFAULT_PASSWORD, "new_password": "123456789012", "confirm": "123456789012"})
    client.delete_cookie(LANG_COOKIE)
    assert "must not consist of repeated or consecutive characters" in _field_error(english, "new_password")
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before
    # The correction goes through.
    response = client.submit("/account/password", {
        "current_password": DEFAULT_PASSWORD, "new_password": "Die Bank am Marktplatz 7",
        "confirm": "Die Bank am Marktplatz 7"})
    assert response.status_code == 302


def test_admin_forms_apply_the_policy(app, staff_client, create_user, db):
    admin = staff_client("admin")
    response = admin.submit("/manage/users/new", {
        "email": EMAIL, "name": NAME, "roles": ["moderator"], "password": "anna.schmidt-1"})
    assert response.status_code == 200
    assert "darf weder den Namen noch die E-Mail-Adresse des Kontos" in _field_error(response, "password")
    assert db.session.execute(sa.select(User).where(User.email == EMAIL)).scalar_one_or_none() is None
    user = create_user(email=EMAIL, name=NAME, roles=("moderator",))
    for new, message in (("123456789012", "aufeinanderfolgenden Zeichen"),
                         (DEFAULT_PASSWORD, "muss sich vom bisherigen unterscheiden")):
        response = admin.submit(f"/manage/users/{user.id}", {
            "name": NAME, "roles": ["moderator"], "active": "y", "new_password": new})
        assert response.status_code == 422 and message in _field_error(response, "new_password"), new


def test_cli_refuses_a_weak_password(app, db):
    runner = app.test_cli_runner()
    for weak in ("123456789012", "aaaaaaaaaaaa", "passwordpassword", "anna.schmidt"):
        result = runner.invoke(args=["users", "create", EMAIL, "--role", "admin", "--name", NAME,
                                     "--password", weak])
        assert result.exit_code != 0, weak
        assert "Passwort" in result.output, result.output
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0
