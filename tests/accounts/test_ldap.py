"""LDAP sign-in against a real OpenLDAP (tests/support/slapd.py: this module's own slapd on a
loopback port, StartTLS required for every operation, a test CA): roles from groups, nested
groups, role loss at the next sign-in and by session revalidation, disabled people, LDAP
injection, the directory down (and the break-glass admin still signing in), wrong mappings,
the audit entry with the source, rate limits."""
from __future__ import annotations

import ldap3
import pytest
import sqlalchemy as sa

from app.accounts import ldap
from app.accounts.models import User
from app.audit.models import AuditEntry
from tests.support.clients import DEFAULT_PASSWORD
from tests.support.servers import free_port
from tests.support.slapd import Slapd, available

pytestmark = pytest.mark.skipif(not available(), reason="slapd/openssl missing: scripts/install-test-deps.sh")

BASE = "dc=stadt,dc=example"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
SERVICE = f"cn=ideenmarkt,ou=system,{BASE}"
SERVICE_PASSWORD = "service-secret"  # noqa: S105


def person(uid: str, name: str, password: str, extra: str = "") -> str:
    return (f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\n"
            f"sn: {name.split()[-1]}\ndisplayName: {name}\nmail: {uid.replace('(', '').replace(')', '')}"
            f"@stadt.example\nuserPassword: {password}\n" + (f"{extra}\n" if extra else "") + "\n")


def group(cn: str, *members: str) -> str:
    return (f"dn: cn={cn},{GROUPS}\nobjectClass: groupOfNames\ncn: {cn}\n"
            + "".join(f"member: {m}\n" for m in members) + "\n")


def uid(name: str) -> str:
    return f"uid={name},{PEOPLE}"


def gdn(name: str) -> str:
    return f"cn={name},{GROUPS}"


DIRECTORY = (
    f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Stadt\ndc: stadt\n\n"
    f"dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people\n\n"
    f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups\n\n"
    f"dn: ou=system,{BASE}\nobjectClass: organizationalUnit\nou: system\n\n"
    f"dn: {SERVICE}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: ideenmarkt\n"
    f"userPassword: {SERVICE_PASSWORD}\n\n"
    + person("anna", "Anna Admin", "anna-passwort-1")
    + person("bernd", "Bernd Berg", "bernd-passwort-1")
    + person("clara", "Clara Rat", "clara-passwort-1")
    + person("dora", "Dora Dormant", "dora-passwort-1", "employeeType: disabled")
    + person("emil", "Emil Extern", "emil-passwort-1")
    + person("o(brien)*", "Olga Brien", "olga-passwort-1")
    + group("ideenmarkt-admins", uid("anna"), uid("dora"))
    + group("ideenmarkt-moderators", gdn("team-stand"))
    + group("team-stand", gdn("stand-helpers"))
    + group("stand-helpers", uid("bernd"), gdn("loop"))
    + group("loop", gdn("stand-helpers"))  # a cycle: must not hang
    + group("ideenmarkt-council", uid("clara"), uid("o(brien)*"))
    + group("other", uid("emil"))
)

MAPPING = {
    gdn("ideenmarkt-admins"): "admin",
    # spelled differently from the directory: DNs compare case- and space-insensitively
    "CN=Ideenmarkt-Moderators, OU=groups, DC=stadt, DC=example": ["moderator"],
    gdn("ideenmarkt-council"): "council",
}


@pytest.fixture(scope="module")
def slapd():
    with Slapd(DIRECTORY, BASE, readers=(SERVICE,)) as server:
        yield server


@pytest.fixture
def app_config(slapd):
    return {
        "LDAP_SERVERS": [slapd.starttls_url],
        "LDAP_CA_CERT_FILE": slapd.ca_file,
        "LDAP_BIND_DN": SERVICE,
        "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "LDAP_BASE_DN": BASE,
        "LDAP_GROUP_BASE_DN": GROUPS,
        "LDAP_DISABLED_FILTER": "(employeeType=disabled)",
        "LDAP_GROUP_ROLES": MAPPING,
        "LDAP_CONNECT_TIMEOUT": 2,
        "LDAP_RECEIVE_TIMEOUT": 2,
    }


def sign_in(client, login: str, password: str):
    return client.submit("/login", {"email": login, "password": password})


def signed_in_user(app, client) -> User | None:
    if client.get("/account/password").status_code != 200:
        return None
    with client.session_transaction() as session:
        user_id = int(session["_user_id"].split(":")[0])
    from app.extensions import db

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def roles_of(app, login: str) -> set[str]:
    from app.extensions import db

    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.email == f"{login}@stadt.example")).scalar_one()
        return user.role_names


def test_sign_in_with_the_role_of_the_group(app, client):
    page = client.get("/login").get_data(as_text=True)
    assert "Benutzername oder E-Mail" in page
    response = sign_in(client, "anna", "anna-passwort-1")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    user = signed_in_user(app, client)
    assert (user.source, user.email, user.name) == ("ldap", "anna@stadt.example", "Anna Admin")
    assert len(user.external_id) == 36  # the entryUUID, not the email
    assert user.role_names == {"admin"}
    assert client.get("/manage/users").status_code == 200
    # by email too; the same record
    other = app.test_client()
    assert sign_in(other, "ANNA@stadt.example", "anna-passwort-1").status_code == 302
    assert signed_in_user(app, other).id == user.id


def test_nested_groups_give_their_role(app, client):
    assert sign_in(client, "bernd", "bernd-passwort-1").status_code == 302
    assert signed_in_user(app, client).role_names == {"moderator"}


def test_wrong_password_unknown_user_and_disabled_user_are_refused(app, client):
    for login, password in (("anna", "falsch-falsch-1"), ("niemand", "anna-passwort-1"),
                            ("dora", "dora-passwort-1"), ("anna", "")):
        response = sign_in(client, login, password)
        assert response.status_code == 200, login
        assert signed_in_user(app, client) is None
    from app.extensions import db

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_no_mapped_group_gives_no_access_and_no_record(app, client):
    response = sign_in(client, "emil", "emil-passwort-1")
    assert response.status_code == 200
    assert "keine Rolle im Ideenmarkt" in response.get_data(as_text=True)
    assert signed_in_user(app, client) is None


def test_wrong_mapping_grants_nothing(app, client):
    app.config["LDAP_GROUP_ROLES"] = {gdn("ideenmarkt-admins"): "superuser", "cn=typo,ou=groups,dc=stadt,dc=example": "admin"}
    response = sign_in(client, "anna", "anna-passwort-1")
    assert response.status_code == 200
    assert signed_in_user(app, client) is None


@pytest.mark.parametrize("login", ["*", "an*", "anna)(uid=*", "*)(|(uid=*", "anna)(|(objectClass=*",
                                   "\\2a", "*)(employeeType=disabled"])
def test_ldap_injection_finds_nobody(app, client, login):
    response = sign_in(client, login, "anna-passwort-1")
    assert response.status_code == 200
    assert signed_in_user(app, client) is None


def test_special_characters_in_a_user_name_are_matched_literally(app, client):
    with app.app_context():
        assert ldap.user_filter("o(brien)*").startswith("(&(&(objectClass=inetOrgPerson)(|(uid=o\\28brien\\29\\2a)")
    assert sign_in(client, "o(brien)*", "olga-passwort-1").status_code == 302
    assert signed_in_user(app, client).role_names == {"council"}


def test_removed_from_group_loses_the_role(app, client, slapd):
    app.config["DIRECTORY_REVALIDATE_SECONDS"] = 3600
    assert sign_in(client, "clara", "clara-passwort-1").status_code == 302
    other = app.test_client()
    assert sign_in(other, "clara", "clara-passwort-1").status_code == 302
    slapd.modify(gdn("ideenmarkt-council"), {"member": [(ldap3.MODIFY_DELETE, [uid("clara")])]})
    try:
        assert signed_in_user(app, client) is not None  # not yet: the interval has not passed
        app.config["DIRECTORY_REVALIDATE_SECONDS"] = 0
        assert signed_in_user(app, client) is None  # revalidation ended this session
        assert signed_in_user(app, other) is None  # and every other one
        assert roles_of(app, "clara") == set()
        fresh = app.test_client()
        response = sign_in(fresh, "clara", "clara-passwort-1")
        assert response.status_code == 200 and "keine Rolle" in response.get_data(as_text=True)
    finally:
        slapd.modify(gdn("ideenmarkt-council"), {"member": [(ldap3.MODIFY_ADD, [uid("clara")])]})
    assert sign_in(app.test_client(), "clara", "clara-passwort-1").status_code == 302
    assert roles_of(app, "clara") == {"council"}


def test_disabled_in_the_directory_ends_the_session(app, client, slapd):
    app.config["DIRECTORY_REVALIDATE_SECONDS"] = 0
    assert sign_in(client, "anna", "anna-passwort-1").status_code == 302
    slapd.modify(uid("anna"), {"employeeType": [(ldap3.MODIFY_REPLACE, ["disabled"])]})
    try:
        assert signed_in_user(app, client) is None
        assert roles_of(app, "anna") == set()
    finally:
        slapd.modify(uid("anna"), {"employeeType": [(ldap3.MODIFY_DELETE, [])]})


def test_sign_in_is_audited_with_the_source(app, client):
    assert sign_in(client, "bernd", "bernd-passwort-1").status_code == 302
    from app.extensions import db

    with app.app_context():
        entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "user.login")).scalar_one()
        assert entry.after == {"source": "ldap"}


def test_ldaps_and_failover(app, client, slapd):
    app.config["LDAP_SERVERS"] = [f"ldaps://127.0.0.1:{free_port()}", slapd.ldaps_url]
    assert sign_in(client, "anna", "anna-passwort-1").status_code == 302


def test_a_server_with_an_unknown_ca_is_not_trusted(app, client, tmp_path):
    from tests.support.slapd import make_test_ca

    other_ca, _, _ = make_test_ca(tmp_path)
    app.config["LDAP_CA_CERT_FILE"] = str(other_ca)
    response = sign_in(client, "anna", "anna-passwort-1")
    assert response.status_code == 503
    assert signed_in_user(app, client) is None


def test_directory_down_says_so_and_break_glass_still_works(app, client, create_user, login):
    admin = create_user(roles=("admin",), email="notfall@stadt.example")
    app.config.update(LDAP_SERVERS=[f"ldap://127.0.0.1:{free_port()}"], LOCAL_LOGIN_ENABLED=False,
                      BREAK_GLASS_ADMINS=["notfall@stadt.example"])
    response = sign_in(client, "anna", "anna-passwort-1")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "Verzeichnis der Stadt ist gerade nicht erreichbar" in text
    english = app.test_client()
    english.submit("/language", {"lang": "en"})
    response = english.submit("/login", {"email": "anna", "password": "anna-passwort-1"})
    assert response.status_code == 503
    assert "directory cannot be reached" in response.get_data(as_text=True)
    assert signed_in_user(app, client) is None
    login(client, admin)
    assert signed_in_user(app, client).email == "notfall@stadt.example"


def test_wrong_search_account_password_is_a_directory_fault(app, client):
    app.config["LDAP_BIND_PASSWORD"] = "wrong"
    assert sign_in(client, "anna", "anna-passwort-1").status_code == 503


def test_wrong_passwords_are_rate_limited_per_account(app, client):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert sign_in(app.test_client(), "bernd", "falsch-falsch-1").status_code == 200
    response = sign_in(app.test_client(), "bernd", "bernd-passwort-1")
    assert response.status_code == 429
    assert response.headers["Retry-After"]


def test_active_directory_in_chain_filter_is_escaped(app):
    with app.app_context():
        assert ldap.in_chain_filter("CN=Anna (Amt),OU=People,DC=stadt,DC=example") == (
            "(member:1.2.840.113556.1.4.1941:=CN=Anna \\28Amt\\29,OU=People,DC=stadt,DC=example)")


def test_local_accounts_keep_their_passwords_with_ldap_on(app, client, create_user, login):
    user = create_user(roles=("council",))
    login(client, user)
    assert signed_in_user(app, client).source == "local"
    assert sign_in(app.test_client(), user.email, "falsch-falsch-1").status_code == 200
    assert DEFAULT_PASSWORD


def test_every_refused_login_costs_one_password_hash_check(app, client, create_user, monkeypatch):
    """With LDAP on, a local account's wrong password and an unknown or directory login each run
    Argon2 exactly once, so the time to the answer does not tell whether a local account exists."""
    from app.accounts import passwords, services

    checks = []
    real = services._hasher

    class Counting:
        def __init__(self, hasher):
            self.hasher = hasher

        def verify(self, *args):
            checks.append(1)
            return self.hasher.verify(*args)

        def __getattr__(self, name):
            return getattr(self.hasher, name)

    monkeypatch.setattr(services, "_hasher", lambda: Counting(real()))
    if hasattr(passwords, "_hasher"):
        monkeypatch.setattr(passwords, "_hasher", lambda: Counting(real()))
    local = create_user(roles=("council",))
    for login in (local.email, "niemand", "anna", "niemand@stadt.example"):
        checks.clear()
        assert sign_in(app.test_client(), login, "falsch-falsch-1").status_code == 200
        assert len(checks) == 1, login
