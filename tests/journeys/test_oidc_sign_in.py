"""Staff sign in through the city's OpenID Connect provider in Chromium: the button on the login
page, a mistyped password at the provider and the correction, back on /manage with the role from
the groups claim; logout ends the provider's session too; the provider ends a session by
back-channel logout; a token the app cannot verify gives a clear page, in German and English.

The provider is tests/support/oidc_provider.py (Authlib's authorization server, its own process).
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from tests.support.oidc import oidc_config, register
from tests.support import wait_until
from tests.support.browser import assert_page_fit
from tests.support.journeys import journey_app, serving
from tests.support.oidc_provider import OIDCProvider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    with OIDCProvider() as op:
        app = journey_app(tmp_path_factory.mktemp("oidc"), smtp_server, _pg_schema, **oidc_config(op))
        with serving(app) as url:
            register(op, url, backchannel=True)
            yield {"app": app, "url": url, "op": op}


@pytest.fixture
def op(world):
    world["op"].set_mode("normal")
    yield world["op"]
    world["op"].set_mode("normal")


def _sign_in_at_provider(page, username, password):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def _roles(app, username_email):
    with app.app_context():
        user = db.session.execute(sa.select(User).filter_by(email=username_email)).scalar_one()
        return user.source, sorted(user.role_names)


def test_sign_in_at_the_provider_land_on_manage_and_log_out_there_too(world, op, new_page):
    page = new_page()
    page.goto(world["url"] + "/login")
    assert_page_fit(page, "login page with the provider's button")
    page.get_by_role("button", name="Mit Stadt-Login anmelden").click()
    page.wait_for_url(op.issuer + "/authorize?**")
    _sign_in_at_provider(page, "anna.admin", "falsch")
    assert page.locator("#op-error").is_visible()  # the provider's own message; still there
    _sign_in_at_provider(page, "anna.admin", "anna-secret")
    assert page.url == world["url"] + "/manage"
    assert page.get_by_text("Willkommen, Anna Admin.").is_visible()
    assert page.get_by_role("link", name="Konten").is_visible()  # the admins' staff page
    assert _roles(world["app"], "anna.admin@stadt.example") == ("oidc", ["admin"])
    assert_page_fit(page, "staff start page after OIDC sign-in")

    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(world["url"] + "/")
    assert page.get_by_text("Sie wurden abgemeldet, auch bei Stadt-Login.").is_visible()
    assert_page_fit(page, "start page after logout at the provider")
    assert not op.state()["sessions"]
    # The provider's session has ended: signing in again asks for the password.
    page.goto(world["url"] + "/login")
    page.get_by_role("button", name="Mit Stadt-Login anmelden").click()
    page.get_by_label("Password").wait_for()


def test_the_provider_ends_a_moderators_session_by_back_channel_logout(world, op, new_page):
    page = new_page(phone=True)
    page.goto(world["url"] + "/login")
    page.get_by_role("button", name="Mit Stadt-Login anmelden").click()
    _sign_in_at_provider(page, "moritz.mod", "moritz-secret")
    assert page.url == world["url"] + "/manage"
    assert _roles(world["app"], "moritz@stadt.example") == ("oidc", ["moderator"])
    assert not page.get_by_role("link", name="Konten").is_visible()

    assert op.end_user_sessions("moritz.mod") == 1
    wait_until(lambda: op.state()["backchannel_sent"], message="no back-channel logout sent")
    assert op.state()["backchannel_sent"][-1]["status"] == 200
    page.goto(world["url"] + "/manage")
    assert "/login" in page.url


@pytest.mark.parametrize("locale, title, text", [
    ("de-DE", "Anmeldung abgelehnt", "konnte nicht überprüft werden"),
    ("en-GB", "Sign-in refused", "could not be verified"),
])
def test_a_token_with_a_wrong_signature_gives_a_clear_page(world, op, new_page, locale, title, text):
    op.set_mode("wrong_key")
    page = new_page(locale=locale)
    if locale != "de-DE":  # the language chosen with the switch in the header (a cookie)
        page.context.add_cookies([{"name": "ideenmarkt_lang", "value": "en", "url": world["url"]}])
    page.goto(world["url"] + "/login")
    page.locator("#oidc-login").click()
    _sign_in_at_provider(page, "rita.rat", "rita-secret")
    assert page.get_by_role("heading", name=title).is_visible()
    assert text in page.get_by_role("alert").inner_text()
    assert_page_fit(page, "sign-in refused")
    page.get_by_role("link", name="Zurück zur Anmeldung" if locale == "de-DE" else "Back to the staff login").click()
    assert page.url.endswith("/login")
