"""Login, logout and the user's own password."""
from __future__ import annotations

import logging

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import bp
from app.accounts.forms import ChangePasswordForm, LoginForm, show_error
from app.accounts import ldap, services
from app.accounts.errors import AccountError
from app.accounts.signin import complete_sign_in
from app.core.access import public, safe_next, staff_required
from app.core.logs import log_event
from app.core import ratelimit
from app.extensions import db


@bp.route("/login", methods=["GET", "POST"])
@public
@ratelimit.limit("LOGIN_RATE_LIMIT", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("core.staff_start")))
    form = LoginForm()
    if ldap.enabled():
        form.email.label.text = _("User name or email")
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
            if user is not None:
                return complete_sign_in(user)
        except AccountError as exc:
            form.password.errors.append(str(exc.message))
            if exc.code in services.LIMIT_CODES:
                return _refused(render_template("accounts/login.html", form=form), exc)
            # Committed here although the answer may be a 503: a person who lost every role in the
            # directory keeps that loss.
            db.session.commit()
            status = 503 if exc.code == "directory_unavailable" else 200
            return render_template("accounts/login.html", form=form), status
        log_event("login_failed", logging.WARNING)
        form.password.errors.append(_("Email or password is not correct, or the account is disabled."))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@staff_required()
def logout():
    # Signed in through OpenID Connect: end the provider's session too (RP-initiated logout).
    provider_logout = _provider_logout_url()
    # Replacing the session token makes copies of this cookie worthless too.
    services.end_all_sessions(current_user)
    log_event("logout")
    logout_user()
    session.clear()
    if provider_logout:
        return redirect(provider_logout)
    flash(_("You have been logged out."), "success")
    return redirect(url_for("core.index"))


def _provider_logout_url() -> str | None:
    # Loads the OIDC client (Authlib) only when someone logs out, not with every accounts page.
    from app.oidc.views import logout_redirect_url

    return logout_redirect_url()


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except AccountError as exc:
            if exc.code in services.LIMIT_CODES:
                form.current_password.errors.append(str(exc.message))
                return _refused(render_template("accounts/change_password.html", form=form), exc)
            show_error(form, exc, {"current_password": "current_password", "password": "new_password"})
        else:
            # Every other session has ended; keep this one with the new token.
            session.clear()
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed. Other sessions have been logged out."), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/change_password.html", form=form)


def _refused(page: str, exc: AccountError):
    """A password check refused by a limit: the form with the reason, 429 and Retry-After."""
    return page, 429, {"Retry-After": str(exc.retry_after or 60)}
