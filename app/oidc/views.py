"""Sign-in and sign-out through the OpenID Connect provider."""
from __future__ import annotations

import logging

from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from joserfc.errors import ExpiredTokenError, JoseError
from flask_login import current_user

from app.accounts.errors import AccountError
from app.accounts.external import ExternalAccount, provision_external_user, user_by_external_id
from app.accounts.services import end_all_sessions
from app.accounts.signin import complete_sign_in
from app.core import ratelimit
from app.core.access import is_safe_redirect, public, safe_next
from app.core.logs import log_event
from app.core.urls import absolute_url
from app.extensions import db
from app.oidc import bp, client as oidc

logger = logging.getLogger(__name__)

#: Session keys kept after sign-in, for RP-initiated logout.
ID_TOKEN_KEY = "oidc_id_token"
NEXT_KEY = "oidc_next"


def _configured_or_404() -> None:
    if not oidc.configured():
        abort(404)


def _unavailable():
    log_event("login_failed", logging.WARNING, source=oidc.SOURCE, reason="provider_unavailable")
    return render_template(
        "oidc/problem.html", status=503,
        title=_("The sign-in service cannot be reached"),
        message=_("%(provider)s does not answer at the moment. Please try again in a few minutes. "
                  "Administrators with a local account can still sign in with email and password.",
                  provider=_provider_name()),
    ), 503


def _refused(reason: str, message: str, status: int = 400):
    log_event("login_failed", logging.WARNING, source=oidc.SOURCE, reason=reason)
    return render_template("oidc/problem.html", status=status, title=_("Sign-in refused"),
                           message=message), status


def _provider_name() -> str:
    return current_app.config.get("OIDC_PROVIDER_NAME") or "Single Sign-on"


@bp.route("/login/oidc", methods=["POST"])
@public
@ratelimit.limit("LOGIN_RATE_LIMIT")
def login():
    """Send the browser to the provider (a form button on the login page, with its CSRF token)."""
    _configured_or_404()
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("core.staff_start")))
    try:
        oidc.metadata()
        next_url = request.args.get("next")
        response = oidc.client().authorize_redirect(
            absolute_url("oidc.callback"), ui_locales=str(get_locale() or "de"))
    except oidc.ProviderUnavailable:
        return _unavailable()
    if is_safe_redirect(next_url):
        session[NEXT_KEY] = next_url
    return response


@bp.route("/login/oidc/callback")
@public
@ratelimit.limit("LOGIN_RATE_LIMIT")
def callback():
    """Where the provider sends the browser back with ``code`` and ``state``."""
    _configured_or_404()
    if request.args.get("error"):
        # The person cancelled at the provider, or it refused: no token request.
        return _refused("provider_error:" + request.args["error"][:40],
                        _("%(provider)s did not confirm the sign-in. Please try again.",
                          provider=_provider_name()))
    try:
        oidc.metadata()
        token = oidc.client().authorize_access_token(claims_options=oidc.claims_options(), leeway=oidc.LEEWAY)
    except oidc.ProviderUnavailable:
        return _unavailable()
    except MismatchingStateError:
        return _refused("state", _("This sign-in link is not valid (any more), for example because it was "
                                   "used already or opened in another browser. Please start the sign-in "
                                   "again."))
    except OAuthError as exc:
        # e.g. invalid_grant: the code was used already (a replay) or has expired.
        return _refused("token_request:" + str(exc.error)[:40],
                        _("%(provider)s refused to confirm this sign-in (the link may have been used "
                          "already). Please start the sign-in again.", provider=_provider_name()))
    except ExpiredTokenError:
        return _refused("id_token_expired", _("The confirmation from %(provider)s has expired. Please "
                                              "start the sign-in again.", provider=_provider_name()))
    except JoseError as exc:
        # Wrong signature, unknown key, foreign audience, wrong issuer or nonce, missing claims.
        logger.warning("OIDC ID token refused: %s %s", type(exc).__name__, exc.description)
        return _refused("id_token:" + type(exc).__name__,
                        _("The confirmation from %(provider)s could not be verified. Please start the "
                          "sign-in again; if this keeps happening, tell the IT department.",
                          provider=_provider_name()))
    except oidc.UNREACHABLE:
        return _unavailable()
    claims = token.get("userinfo")
    if not claims:
        return _refused("no_id_token", _("%(provider)s sent no ID token.", provider=_provider_name()))
    next_url = session.pop(NEXT_KEY, None)
    account = ExternalAccount(
        source=oidc.SOURCE, external_id=oidc.external_id(claims["sub"]),
        email=claims.get("email") or "", name=claims.get("name") or claims.get("preferred_username") or "",
        roles=oidc.roles_from_claims(claims))
    try:
        user = provision_external_user(account.source, account.external_id, account.email, account.name,
                                       account.roles)
        response = complete_sign_in(user, next_url)
    except AccountError as exc:
        db.session.commit()  # kept although refused (403): a person who lost every role has lost their sessions too
        return _refused(exc.code, str(exc.message), 403)
    session[ID_TOKEN_KEY] = token.get("id_token")
    return response


def logout_redirect_url() -> str | None:
    """The provider's end-session URL for the person signing out now (RP-initiated logout), or
    None (not signed in through the provider, or it offers no end-session endpoint). Called by
    the logout view before it clears the session."""
    id_token = session.get(ID_TOKEN_KEY)
    if not id_token or not oidc.configured():
        return None
    try:
        if not oidc.metadata().get("end_session_endpoint"):
            return None
        result = oidc.client().create_logout_url(
            post_logout_redirect_uri=absolute_url("oidc.logged_out"), id_token_hint=id_token,
            client_id=oidc.client().client_id, ui_locales=str(get_locale() or "de"))
    except oidc.ProviderUnavailable:
        return None
    return result["url"]


@bp.route("/login/oidc/logged-out")
@public
def logged_out():
    """Where the provider sends the browser after ending its session too."""
    flash(_("You have been logged out, also at %(provider)s.", provider=_provider_name()), "success")
    return redirect(url_for("core.index"))


@bp.route("/login/oidc/backchannel-logout", methods=["POST"])
@public
def backchannel_logout():
    """The provider ends a person's sessions here (back-channel logout, server to server).

    No CSRF token: the provider's signed logout token is what authenticates the request; without
    a valid one (or without OIDC settings) the answer is 400 and nothing changes."""
    headers = {"Cache-Control": "no-store"}
    token = request.form.get("logout_token", "")
    if not oidc.configured() or not token:
        return jsonify(error="invalid_request", error_description="no valid logout token"), 400, headers
    try:
        claims = oidc.verify_logout_token(token)
    except oidc.ProviderUnavailable:
        return jsonify(error="temporarily_unavailable"), 503, headers
    except oidc.InvalidLogoutToken as exc:
        logger.warning("OIDC back-channel logout refused: %s", exc)
        return jsonify(error="invalid_request", error_description="invalid logout token"), 400, headers
    user = user_by_external_id(oidc.SOURCE, oidc.external_id(claims["sub"]))
    if user is not None:
        end_all_sessions(user)
        log_event("logout", user_id=user.id, source=oidc.SOURCE, channel="backchannel")
    return "", 200, headers
