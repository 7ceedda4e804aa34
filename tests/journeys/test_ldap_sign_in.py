"""A moderator signs in on a phone with the directory account: a wrong password first, then the
right one, landing on the staff start page with the role of their (nested) group; then the same
form in English while the directory is down, with the message that says so. One app, one live
server, one slapd (tests/support/slapd.py) and the session's browser for the module."""
from __future__ import annotations

import pytest

from tests.accounts.test_ldap import BASE, DIRECTORY, GROUPS, MAPPING, SERVICE, SERVICE_PASSWORD
from tests.support.browser import assert_page_fit
from tests.support.journeys import journey_app, serving
from tests.support.servers import free_port
from tests.support.slapd import Slapd, available

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not available(), reason="slapd/openssl missing: scripts/install-test-deps.sh")]


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    with Slapd(DIRECTORY, BASE, readers=(SERVICE,)) as slapd:
        app = journey_app(tmp_path_factory.mktemp("ldap"), smtp_server, _pg_schema)
        app.config.update(LDAP_SERVERS=[slapd.starttls_url], LDAP_CA_CERT_FILE=slapd.ca_file,
                          LDAP_BIND_DN=SERVICE, LDAP_BIND_PASSWORD=SERVICE_PASSWORD, LDAP_BASE_DN=BASE,
                          LDAP_GROUP_BASE_DN=GROUPS, LDAP_GROUP_ROLES=MAPPING,
                          LDAP_DISABLED_FILTER="(employeeType=disabled)")
        with serving(app) as url:
            yield {"app": app, "url": url}


def test_directory_sign_in_on_a_phone(world, new_page):
    page = new_page(phone=True)
    page.goto(f"{world['url']}/login")
    page.get_by_label("Benutzername oder E-Mail").fill("bernd")
    page.get_by_label("Passwort").fill("nicht-mein-passwort")
    page.get_by_role("button", name="Anmelden").click()
    assert page.get_by_text("oder Passwort ist nicht korrekt").first.is_visible()
    assert_page_fit(page, "login after a wrong directory password")

    page.get_by_label("Passwort").fill("bernd-passwort-1")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{world['url']}/manage**")
    assert page.get_by_text("Willkommen, Bernd Berg.").is_visible()
    assert_page_fit(page, "staff start after a directory sign-in")


def test_directory_down_in_english(world, new_page):
    world["app"].config["LDAP_SERVERS"] = [f"ldap://127.0.0.1:{free_port()}"]
    page = new_page(locale="en-GB")
    page.goto(f"{world['url']}/login")
    page.get_by_role("button", name="English").click()
    page.get_by_label("User name or email").fill("bernd")
    page.get_by_label("Password").fill("bernd-passwort-1")
    page.get_by_role("button", name="Log in").click()
    assert page.locator("#password-error").get_by_text("directory cannot be reached at the moment").is_visible()
    assert_page_fit(page, "login while the directory is down")
