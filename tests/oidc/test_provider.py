"""The test provider is a real OpenID Connect provider (Authlib's authorization server): what the
app's tests rely on it to refuse, it refuses."""
from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse

import requests
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.oidc import sign_in_at_provider
from tests.support.oidc_provider import subject_of

REDIRECT = "http://rp.example/cb"


def _authorize_url(op, **extra):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": "selfcheck", "redirect_uri": REDIRECT, "state": "s1",
              "scope": "openid email profile", "nonce": secrets.token_hex(8), "code_challenge": challenge,
              "code_challenge_method": "S256", **extra}
    return op.issuer + "/authorize?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None}), verifier


def _token(op, code, verifier):
    return requests.post(op.issuer + "/token", auth=("selfcheck", "pw"), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier})


def test_code_flow_with_pkce_signed_id_token_one_use_codes_and_logout(op):
    op.register_client("selfcheck", "pw", [REDIRECT], post_logout_redirect_uris=["http://rp.example/bye"])
    metadata = requests.get(op.issuer + "/.well-known/openid-configuration", timeout=10).json()
    OpenIDProviderMetadata(metadata).validate()
    assert metadata["code_challenge_methods_supported"] == ["S256"] and metadata["backchannel_logout_supported"]

    # Without a PKCE challenge the provider does not even show its form.
    no_pkce, _ = _authorize_url(op, code_challenge=None, code_challenge_method=None)
    assert requests.get(no_pkce, timeout=10).status_code == 400

    url, verifier = _authorize_url(op)
    browser = requests.Session()
    callback = sign_in_at_provider(url, "anna.admin", browser=browser)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    assert _token(op, code, "wrong-verifier-" + "x" * 40).status_code == 400
    url, verifier = _authorize_url(op)
    callback = browser.get(url, allow_redirects=False, timeout=10).headers["Location"]  # single sign-on
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    tokens = _token(op, code, verifier)
    assert tokens.status_code == 200
    assert _token(op, code, verifier).json()["error"] == "invalid_grant"  # a code works once

    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    claims = jwt.decode(tokens.json()["id_token"], keys).claims
    assert claims["iss"] == op.issuer and claims["aud"] == ["selfcheck"]
    assert claims["nonce"] == urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["nonce"][0]
    assert claims["sub"] == subject_of("anna.admin") and "/ideenmarkt-admins" in claims["groups"]

    logout = browser.get(metadata["end_session_endpoint"], allow_redirects=False, timeout=10, params={
        "id_token_hint": tokens.json()["id_token"], "post_logout_redirect_uri": "http://rp.example/bye",
        "state": "bye"})
    assert logout.headers["Location"] == "http://rp.example/bye?state=bye"
    assert claims["sid"] not in op.state()["sessions"]


def test_a_wrong_password_stays_at_the_provider(op):
    op.register_client("selfcheck", "pw", [REDIRECT])
    url, _ = _authorize_url(op)
    form = requests.Session()
    form.get(url, timeout=10)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    answer = form.post(op.issuer + "/authorize", data={**query, "username": "anna.admin", "password": "wrong"},
                       allow_redirects=False, timeout=10)
    assert answer.status_code == 401 and 'id="op-error"' in answer.text
