"""The OpenID Connect relying party: Authlib's Flask client, configured from the settings.

Everything that is token handling is Authlib's (and joserfc's): discovery, the authorization
request with ``state``, ``nonce`` and a PKCE challenge (S256), the code exchange, the ID token's
signature against the provider's JWKS and its claims (``iss``, ``aud``, ``exp``, ``iat``,
``nonce``, ``at_hash``). This module adds the settings, the mapping of the provider's groups or
roles to Ideenmarkt's roles, and the check of back-channel logout tokens.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from app.core.access import ROLES

logger = logging.getLogger(__name__)

SOURCE = "oidc"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: Seconds of clock difference between the provider and this server that tokens may have.
LEEWAY = 60
#: Errors reaching the provider (down, timeout, not JSON, HTTP 5xx).
UNREACHABLE = (requests.RequestException, ValueError)


class ProviderUnavailable(Exception):
    """The provider could not be reached or gave no usable metadata."""


def configured(app: Flask | None = None) -> bool:
    config = (app or current_app).config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def issuer() -> str:
    return current_app.config["OIDC_ISSUER"].rstrip("/")


def button_label() -> str:
    name = current_app.config.get("OIDC_PROVIDER_NAME") or "Single Sign-on"
    return _("Sign in with %(provider)s", provider=name)


def init_app(app: Flask) -> None:
    if not configured(app):
        return
    oauth = OAuth(app)
    config = app.config
    base = config["OIDC_ISSUER"].rstrip("/")
    app.extensions["ideenmarkt_oidc"] = oauth.register(
        "oidc",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config.get("OIDC_CLIENT_SECRET") or None,
        server_metadata_url=config.get("OIDC_DISCOVERY_URL") or base + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": config.get("OIDC_SCOPES") or "openid email profile",
            "code_challenge_method": "S256",
            "timeout": float(config.get("OIDC_TIMEOUT", 10)),
        },
    )


def provider_origins() -> list[str]:
    """The origins the browser is sent to: the issuer's, and those of the authorization and
    end-session endpoints once the discovery document is loaded (they may differ, e.g. ADFS)."""

    urls = [issuer()]
    loaded = client().server_metadata
    urls += [loaded.get("authorization_endpoint") or "", loaded.get("end_session_endpoint") or ""]
    origins = []
    for url in urls:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme in ("http", "https") and parts.netloc and origin not in origins:
            origins.append(origin)
    return origins


def client():
    return current_app.extensions["ideenmarkt_oidc"]


def metadata() -> dict:
    """The provider's discovery document (loaded once per worker, again after a failure).

    :raises ProviderUnavailable: if it cannot be loaded, or names another issuer (an attacker's
        or misconfigured discovery URL must not redirect sign-ins elsewhere).
    """
    try:
        data = client().load_server_metadata()
    except UNREACHABLE as exc:
        logger.warning("OIDC provider unreachable: %s", exc)
        raise ProviderUnavailable(str(exc)) from exc
    if (data.get("issuer") or "").rstrip("/") != issuer():
        client().server_metadata.pop("_loaded_at", None)
        logger.error("OIDC discovery names issuer %r, configured is %r", data.get("issuer"), issuer())
        raise ProviderUnavailable("issuer mismatch")
    return data


def claims_options() -> dict:
    """What the ID token's claims must be, beyond Authlib's checks of ``nonce`` and ``at_hash``."""
    meta_issuer = client().server_metadata.get("issuer") or issuer()
    return {
        "iss": {"essential": True, "value": meta_issuer},
        "aud": {"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "sub": {"essential": True},
    }


def external_id(sub: str) -> str:
    """The account's stable link: the issuer and the provider's ``sub`` (never the e-mail)."""
    return f"{issuer()}#{sub}"


# Roles -------------------------------------------------------------------------------------------

def role_map() -> dict[str, set[str]]:
    """``OIDC_ROLE_MAP`` as {provider group or role: {Ideenmarkt roles}}.

    Accepts a mapping (``{"/ideenmarkt-admins": "admin"}``, values may be lists) or a string
    ``"group=role, group2=role2"`` (for the environment; separated by semicolons or new lines
    when a group name holds commas). Unknown Ideenmarkt roles are dropped with a warning: a typo grants nothing.
    """
    raw = current_app.config.get("OIDC_ROLE_MAP") or {}
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, str):
        # Separated by semicolons or new lines (then a group may be an LDAP DN with commas),
        # or else by commas.
        items = raw.replace("\n", ";").split(";") if (";" in raw or "\n" in raw) else raw.split(",")
        for item in items:
            if item.strip():
                group, _sep, role = item.rpartition("=")
                pairs.append((group.strip(), role.strip()))
    elif isinstance(raw, Mapping):
        for group, roles in raw.items():
            for role in [roles] if isinstance(roles, str) else roles:
                pairs.append((str(group), str(role).strip()))
    mapping: dict[str, set[str]] = {}
    for group, role in pairs:
        if not group or role not in ROLES:
            logger.warning("OIDC_ROLE_MAP: ignoring %r=%r (roles are %s)", group, role, ", ".join(ROLES))
            continue
        mapping.setdefault(group, set()).add(role)
    return mapping


def claim_values(claims: Mapping, path: str) -> list[str]:
    """The strings at ``path`` in the claims: a top-level claim (``groups``) or a dotted path
    into nested objects (Keycloak's ``realm_access.roles``, ``resource_access.CLIENT.roles``)."""
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return []
        value = value.get(part)
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        return [item for item in value if isinstance(item, str)]
    return []


def roles_from_claims(claims: Mapping) -> frozenset[str]:
    """Ideenmarkt roles for the groups or roles the provider lists in ``OIDC_ROLES_CLAIM``.
    Nothing mapped, nothing granted: no default role, never admin by default."""
    mapping = role_map()
    roles: set[str] = set()
    for value in claim_values(claims, current_app.config.get("OIDC_ROLES_CLAIM") or "groups"):
        roles |= mapping.get(value, set())
    return frozenset(roles)


# Back-channel logout -----------------------------------------------------------------------------

class InvalidLogoutToken(Exception):
    pass


def verify_logout_token(token: str) -> dict:
    """The claims of a valid back-channel logout token (OpenID Connect Back-Channel Logout 1.0,
    section 2.6): signed by the provider's key, ``iss``, ``aud``, ``iat``, the logout event, a
    ``sub`` (this app finds accounts by it), and no ``nonce``.

    :raises InvalidLogoutToken: otherwise.
    :raises ProviderUnavailable: if the provider's keys cannot be loaded.
    """
    meta = metadata()
    algorithms = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    registry = JWSRegistry(algorithms=[alg for alg in algorithms if alg != "none"])
    try:
        keys = client().fetch_jwk_set()
        try:
            decoded = jwt.decode(token, KeySet.import_key_set(keys), registry=registry)
        except JoseError:
            # The provider may have rotated its keys: fetch them once more.
            decoded = jwt.decode(token, KeySet.import_key_set(client().fetch_jwk_set(force=True)),
                                 registry=registry)
    except UNREACHABLE as exc:
        raise ProviderUnavailable(str(exc)) from exc
    except JoseError as exc:
        raise InvalidLogoutToken(f"signature: {exc.error}") from exc
    claims = decoded.claims
    try:
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": meta["issuer"]},
            aud={"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
            iat={"essential": True},
            sub={"essential": True},
        ).validate(claims)
    except JoseError as exc:
        raise InvalidLogoutToken(f"claims: {exc.error}") from exc
    events = claims.get("events")
    if not isinstance(events, Mapping) or BACKCHANNEL_EVENT not in events:
        raise InvalidLogoutToken("no back-channel logout event")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token has no nonce")
    return claims
