"""The app's side of the test OpenID Connect provider (tests/support/oidc_provider.py): the app's
settings for it, registering the app as its client, signing in at its login form, a URL's path."""
from __future__ import annotations

import html
import re
import urllib.parse

import requests

from tests.support.oidc_provider import OIDCProvider

CLIENT_ID = "ideenmarkt"
CLIENT_SECRET = "ideenmarkt-test-secret"
ROLE_MAP = "/ideenmarkt-admins=admin, /ideenmarkt-moderators=moderator, /gemeinderat=council"


def oidc_config(provider: OIDCProvider, **extra) -> dict:
    return {"OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ROLES_CLAIM": "groups", "OIDC_ROLE_MAP": ROLE_MAP, "OIDC_PROVIDER_NAME": "Stadt-Login",
            **extra}


def register(provider: OIDCProvider, base_url: str, *, backchannel: bool = False) -> None:
    provider.register_client(
        CLIENT_ID, CLIENT_SECRET, [base_url + "/login/oidc/callback"],
        post_logout_redirect_uris=[base_url + "/login/oidc/logged-out"],
        backchannel_logout_uri=base_url + "/login/oidc/backchannel-logout" if backchannel else None)


def sign_in_at_provider(authorize_url: str, username: str, password: str | None = None,
                        browser: requests.Session | None = None) -> str:
    """Fill in the provider's login form like a person would; returns the URL it redirects to
    (the app's callback with ``code`` and ``state``)."""
    from tests.support.oidc_provider import USERS

    browser = browser or requests.Session()
    form = browser.get(authorize_url, timeout=10)
    assert form.status_code == 200 and 'name="username"' in form.text, form.text[:300]
    action = re.search(r'<form method="post" action="([^"]+)"', form.text).group(1)
    fields = {html.unescape(name): html.unescape(value)
              for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', form.text)}
    answer = browser.post(urllib.parse.urljoin(authorize_url, action), allow_redirects=False, timeout=10,
                          data={**fields, "username": username, "password": password or USERS[username]["password"]})
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["Location"]


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
