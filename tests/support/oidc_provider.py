"""A real OpenID Connect provider for the tests, built on Authlib's authorization server.

It is not a fake answering fixed JSON: Authlib's :class:`AuthorizationServer` runs the
authorization code grant with PKCE (RFC 7636) and the OpenID Connect code flow (signed ID tokens
with ``nonce``, ``at_hash``, ``sid``), its ``EndSessionEndpoint`` runs RP-initiated logout, and
this module adds what Authlib leaves to the provider: the discovery document, the JWKS, a login
form for the test users, a single sign-on session cookie, and back-channel logout (a signed
``logout_token`` POSTed to each client the user signed in to, OpenID Connect Back-Channel
Logout 1.0).

Run it as its own process (the tests do, through :class:`OIDCProvider`)::

    python -m tests.support.oidc_provider --port 8765

Test knobs, only for the test suite (``/_test/...``, JSON):

- ``POST /_test/clients`` registers a client (``client_id``, ``client_secret``,
  ``redirect_uris``, ``post_logout_redirect_uris``, ``backchannel_logout_uri``).
- ``POST /_test/mode`` ``{"id_token": "normal" | "expired" | "foreign_audience" | "wrong_key"}``
  makes the next ID tokens faulty in that way (the faults a relying party must refuse).
- ``POST /_test/backchannel_logout`` ``{"username": ...}`` ends that user's provider session as
  an administrator would, with back-channel logout to the clients.
- ``GET /_test/state`` the provider's sessions and the back-channel logouts it sent.

Users (``USERS``) have a password, e-mail, name and ``groups`` and ``roles`` claims.
"""
from __future__ import annotations

import argparse
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html import escape

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.models import ClientMixin
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from authlib.oidc.discovery import OpenIDProviderMetadata
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask, g, jsonify, make_response, request
from joserfc import jwt
from joserfc.jwk import RSAKey

KEY_ID = "test-op-key"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"

#: The directory of the test provider: username → claims (and the password).
USERS: dict[str, dict] = {
    "anna.admin": {"password": "anna-secret", "email": "anna.admin@stadt.example", "name": "Anna Admin",
                   "groups": ["/ideenmarkt-admins", "/staff"], "roles": ["ideenmarkt-admin"]},
    "moritz.mod": {"password": "moritz-secret", "email": "moritz@stadt.example", "name": "Moritz Moderator",
                   "groups": ["/ideenmarkt-moderators"], "roles": ["ideenmarkt-moderator"]},
    "rita.rat": {"password": "rita-secret", "email": "rita@stadt.example", "name": "Rita Rätin",
                 "groups": ["/gemeinderat"], "roles": ["ideenmarkt-council"]},
    "nora.none": {"password": "nora-secret", "email": "nora@stadt.example", "name": "Nora Niemand",
                  "groups": ["/staff", "/ideenmarkt-admins-old"], "roles": []},
    # Same e-mail as a local account in the tests: must never be linked to it by e-mail.
    "eve.same-mail": {"password": "eve-secret", "email": "admin@example.org", "name": "Eve",
                      "groups": ["/ideenmarkt-admins"], "roles": ["ideenmarkt-admin"]},
}


def subject_of(username: str) -> str:
    """The stable, opaque ``sub`` of a test user (like Keycloak's user UUIDs)."""
    import hashlib

    return "sub-" + hashlib.sha256(username.encode()).hexdigest()[:20]


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    backchannel_logout_uri: str | None = None

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": self.post_logout_redirect_uris}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        allowed = {"openid", "profile", "email", "groups"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(self.client_secret, client_secret or "")

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    sid: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time


@dataclass
class User:
    username: str

    def get_user_id(self):
        return subject_of(self.username)


class State:
    """Everything the provider keeps, in memory (one process, guarded by a lock)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        #: sid → {"username", "clients": set of client ids signed in during the session}
        self.sessions: dict[str, dict] = {}
        self.id_token_mode = "normal"
        self.backchannel_sent: list[dict] = []
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})
        #: Same key id, another key: a token signed with it has a wrong signature.
        self.wrong_key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})


def create_provider_app(issuer: str) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = secrets.token_hex(16)
    state = State()
    app.extensions["oidc_state"] = state

    class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code, req):
            data = req.payload.data
            username = req.user.username
            sid = _current_sid() or ""
            with state.lock:
                state.codes[code] = Code(
                    code=code, client_id=req.client.client_id, redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope, username=username, sid=sid,
                    nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"), auth_time=int(time.time()))

        def query_authorization_code(self, code, client):
            with state.lock:
                found = state.codes.get(code)
            if found and found.client_id == client.client_id:
                return found
            return None

        def delete_authorization_code(self, authorization_code):
            # A code is good for one token request: a replayed code finds nothing (invalid_grant).
            with state.lock:
                state.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code):
            return User(authorization_code.username)

    class TestOpenIDCode(OpenIDCode):
        def exists_nonce(self, nonce, req):
            with state.lock:
                return any(c.nonce == nonce and c.client_id == req.payload.client_id for c in state.codes.values())

        def resolve_client_private_key(self, client):
            return state.wrong_key if state.id_token_mode == "wrong_key" else state.key

        def get_client_algorithm(self, client):
            return "RS256"

        def get_encode_header(self, client):
            return {"alg": "RS256", "kid": KEY_ID}

        def get_client_claims(self, client):
            now = int(time.time())
            claims = {"iss": issuer, "aud": [client.get_client_id()], "iat": now, "exp": now + 300}
            if state.id_token_mode == "expired":
                claims.update(iat=now - 7200, exp=now - 3600, auth_time=now - 7200)
            elif state.id_token_mode == "foreign_audience":
                claims["aud"] = ["another-application"]
            return claims

        def get_authorization_code_claims(self, authorization_code):
            claims = super().get_authorization_code_claims(authorization_code)
            if authorization_code.sid:
                claims["sid"] = authorization_code.sid
                with state.lock:
                    session = state.sessions.get(authorization_code.sid)
                    if session is not None:
                        session["clients"].add(authorization_code.client_id)
            if state.id_token_mode == "expired":
                claims["auth_time"] = int(time.time()) - 7200
            return claims

        def generate_user_info(self, user, scope):
            data = USERS[user.username]
            info = UserInfo(sub=subject_of(user.username), preferred_username=user.username)
            if "profile" in scope:
                info["name"] = data["name"]
            if "email" in scope:
                info["email"] = data["email"]
                info["email_verified"] = True
            info["groups"] = list(data["groups"])
            info["roles"] = list(data["roles"])
            info["realm_access"] = {"roles": list(data["roles"])}
            return info

    class TestEndSession(EndSessionEndpoint):
        def get_server_jwks(self):
            return {"keys": [state.key.as_dict(private=False)]}

        def resolve_client_from_id_token_claims(self, id_token_claims):
            aud = id_token_claims.get("aud")
            if isinstance(aud, list) and len(aud) == 1:
                aud = aud[0]
            return self.server.query_client(aud) if isinstance(aud, str) else None

        def end_session(self, end_session_request):
            claims = end_session_request.id_token_claims or {}
            sid = claims.get("sid") or _current_sid()
            if sid:
                _end_provider_session(sid)

    class RequiredCodeChallenge(CodeChallenge):
        """PKCE enforced for every client at the authorization endpoint (as Keycloak's "PKCE
        method S256" client setting does), not only at the token endpoint."""

        def validate_code_challenge(self, grant, redirect_uri):
            from authlib.oauth2.rfc6749.errors import InvalidRequestError

            data = grant.request.payload.data
            if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
                raise InvalidRequestError("PKCE with S256 is required", redirect_uri=redirect_uri)
            super().validate_code_challenge(grant, redirect_uri)

    def query_client(client_id):
        with state.lock:
            return state.clients.get(client_id)

    def save_token(token, req):
        pass  # the access token is not used against any resource here

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(AuthorizationCodeGrant, [RequiredCodeChallenge(required=True), TestOpenIDCode(require_nonce=True)])
    server.register_endpoint(TestEndSession)

    def _current_sid() -> str | None:
        sid = g.get("op_sid") or request.cookies.get("op_session")
        with state.lock:
            return sid if sid in state.sessions else None

    def _end_provider_session(sid: str) -> None:
        with state.lock:
            session = state.sessions.pop(sid, None)
            clients = [state.clients[c] for c in session["clients"] if c in state.clients] if session else []
        if session is None:
            return
        for client in clients:
            if client.backchannel_logout_uri:
                _send_backchannel_logout(client, session["username"], sid)

    def _send_backchannel_logout(client: Client, username: str, sid: str) -> None:
        now = int(time.time())
        claims = {"iss": issuer, "aud": client.client_id, "iat": now, "exp": now + 120,
                  "jti": secrets.token_hex(12), "sub": subject_of(username), "sid": sid,
                  "events": {BACKCHANNEL_EVENT: {}}}
        token = jwt.encode({"alg": "RS256", "kid": KEY_ID, "typ": "logout+jwt"}, claims, state.key)
        body = f"logout_token={token}".encode()
        req = urllib.request.Request(client.backchannel_logout_uri, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            status = f"error: {exc}"
        with state.lock:
            state.backchannel_sent.append({"client_id": client.client_id, "username": username, "status": status})

    @app.get("/.well-known/openid-configuration")
    def discovery():
        metadata = OpenIDProviderMetadata({
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "jwks_uri": issuer + "/jwks",
            "end_session_endpoint": issuer + "/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "sid", "name", "email",
                                 "preferred_username", "groups", "roles"],
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
        })
        metadata.validate()
        return jsonify(dict(metadata))

    @app.get("/jwks")
    def jwks():
        return jsonify({"keys": [state.key.as_dict(private=False)]})

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        error = ""
        if request.method == "POST":
            username = request.form.get("username", "")
            password = request.form.get("password", "")
            user = USERS.get(username)
            if user and secrets.compare_digest(user["password"], password):
                sid = secrets.token_hex(12)
                with state.lock:
                    state.sessions[sid] = {"username": username, "clients": set()}
                g.op_sid = sid  # seen by save_authorization_code
                response = server.create_authorization_response(grant_user=User(username))
                response.set_cookie("op_session", sid, httponly=True, samesite="Lax")
                return response
            error = "Invalid username or password."
        try:
            server.get_consent_grant(end_user=None)
        except OAuth2Error as exc:
            return jsonify(dict(exc.get_body())), 400
        sid = _current_sid()
        if sid and request.method == "GET" and request.args.get("prompt") != "login":
            with state.lock:
                username = state.sessions[sid]["username"]
            return server.create_authorization_response(grant_user=User(username))
        return _login_form(error)

    def _login_form(error: str):
        # The authorization request travels on in hidden fields: Authlib reads a POST's form only.
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in request.values.items() if k not in ("username", "password"))
        message = f'<p role="alert" id="op-error">{escape(error)}</p>' if error else ""
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Test provider sign-in</title></head>
<body><main><h1>Test provider</h1>{message}
<form method="post" action="/authorize">
<label for="username">Username</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password">
{hidden}<button type="submit">Sign in</button></form></main></body></html>"""
        response = make_response(page, 200 if not error else 401)
        response.headers["Content-Type"] = "text/html; charset=utf-8"
        return response

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.route("/logout", methods=["GET", "POST"])
    def logout():
        try:
            response = server.create_endpoint_response("end_session")
        except OAuth2Error as exc:
            return jsonify(dict(exc.get_body())), 400
        if response is None:
            response = make_response("<!doctype html><title>Signed out</title><p>You are signed out.</p>")
        response.delete_cookie("op_session")
        return response

    @app.post("/_test/clients")
    def register_client():
        data = request.get_json()
        with state.lock:
            state.clients[data["client_id"]] = Client(
                client_id=data["client_id"], client_secret=data["client_secret"],
                redirect_uris=list(data["redirect_uris"]),
                post_logout_redirect_uris=list(data.get("post_logout_redirect_uris", [])),
                backchannel_logout_uri=data.get("backchannel_logout_uri"))
        return jsonify({"ok": True})

    @app.post("/_test/mode")
    def set_mode():
        mode = request.get_json()["id_token"]
        if mode not in ("normal", "expired", "foreign_audience", "wrong_key"):
            return jsonify({"error": "unknown mode"}), 400
        state.id_token_mode = mode
        return jsonify({"ok": True})

    @app.post("/_test/backchannel_logout")
    def admin_logout():
        username = request.get_json()["username"]
        with state.lock:
            sids = [sid for sid, s in state.sessions.items() if s["username"] == username]
        for sid in sids:
            _end_provider_session(sid)
        return jsonify({"ended": len(sids)})

    @app.get("/_test/state")
    def show_state():
        with state.lock:
            return jsonify({
                "sessions": {sid: {"username": s["username"], "clients": sorted(s["clients"])}
                             for sid, s in state.sessions.items()},
                "backchannel_sent": list(state.backchannel_sent),
            })

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


class OIDCProvider:
    """Run the provider as a separate process on a free loopback port.

    ::

        with OIDCProvider() as op:
            op.issuer                       # http://127.0.0.1:PORT
            op.register_client("ideenmarkt", "secret", ["http://.../oidc/callback"])
            op.set_mode("expired")
    """

    def __init__(self, port: int | None = None) -> None:
        from tests.support.servers import free_port

        self.port = port or free_port()
        self.process = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OIDCProvider:
        import atexit
        import subprocess
        import sys
        from pathlib import Path

        from tests.support import wait_until

        if self.process is not None and self.process.poll() is None:
            return self
        repo = Path(__file__).resolve().parents[2]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.oidc_provider", "--port", str(self.port)],
            cwd=repo, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(self.stop)
        wait_until(self._healthy, timeout=20, message=f"OIDC provider on port {self.port} did not start")
        return self

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"OIDC provider exited with {self.process.returncode}")
        try:
            with urllib.request.urlopen(self.issuer + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        from tests.support.servers import _terminate_group

        if self.process is not None:
            _terminate_group(self.process, timeout=5)

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _post(self, path: str, data: dict) -> dict:
        req = urllib.request.Request(self.issuer + path, data=json.dumps(data).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as response:
            return json.load(response)

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str], *,
                        post_logout_redirect_uris: list[str] = (), backchannel_logout_uri: str | None = None) -> None:
        self._post("/_test/clients", {
            "client_id": client_id, "client_secret": client_secret, "redirect_uris": list(redirect_uris),
            "post_logout_redirect_uris": list(post_logout_redirect_uris),
            "backchannel_logout_uri": backchannel_logout_uri})

    def set_mode(self, mode: str) -> None:
        self._post("/_test/mode", {"id_token": mode})

    def end_user_sessions(self, username: str) -> int:
        """End the user's provider sessions (as an administrator would), with back-channel logout."""
        return self._post("/_test/backchannel_logout", {"username": username})["ended"]

    def state(self) -> dict:
        with urllib.request.urlopen(self.issuer + "/_test/state", timeout=10) as response:
            return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    issuer = f"http://{args.host}:{args.port}"
    from werkzeug.serving import make_server

    make_server(args.host, args.port, create_provider_app(issuer), threaded=True).serve_forever()


if __name__ == "__main__":
    main()
