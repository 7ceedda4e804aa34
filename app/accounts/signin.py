"""Starting a staff session: the one way every sign-in ends (password, LDAP, OpenID Connect)."""
from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from app.accounts.errors import AccountError
from app.accounts import external
from app.accounts.external import NO_ROLE_MESSAGE
from app.accounts.models import User
from app.audit.services import log_action
from app.core.access import is_safe_redirect, safe_next
from app.core.logs import log_event
from app.core.models import utcnow
from app.extensions import db


def check_may_sign_in(user: User) -> None:
    """:raises AccountError: ``disabled`` (an admin disabled the account here) or ``no_role``."""
    if not user.active:
        raise AccountError(_l("This account is disabled. Please contact an administrator."), "disabled")
    if not user.role_names:
        raise AccountError(NO_ROLE_MESSAGE, "no_role")


def complete_sign_in(user: User, next_url: str | None = None):
    """Sign ``user`` in with a fresh session, record it (audit log with the source), commit, and
    redirect to ``next_url`` (a same-site path) or the ``next`` parameter or the staff start page.

    :raises AccountError: see :func:`check_may_sign_in` (nothing is changed then).
    """
    check_may_sign_in(user)
    # A fresh session at sign-in: nothing from before it carries over.
    session.clear()
    login_user(user)
    user.last_login_at = utcnow()
    log_action("user.login", user, after={"source": user.source})
    db.session.commit()
    log_event("login", user_id=user.id, source=user.source)
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    default = url_for("core.staff_start")
    return redirect(next_url if is_safe_redirect(next_url) else safe_next(default))



def revalidate_current_session() -> None:
    """Before every request of a signed-in person: end the session of a local account that may no
    longer use its password (``LOCAL_LOGIN_ENABLED``), and ask the provider again about an
    external account once ``DIRECTORY_REVALIDATE_SECONDS`` have passed
    (:func:`app.accounts.external.revalidate_session`). Someone who lost access goes on
    anonymously: a staff page sends them to the login."""
    if (request.endpoint or "").endswith("static") or "_user_id" not in session:
        return
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return
    if user.is_external:
        if not external.revalidation_due(user):
            return
        still_allowed = external.revalidate_session(user)
        db.session.commit()
    else:
        still_allowed = external.local_login_allowed(user)
    if not still_allowed:
        logout_user()
        session.clear()
        flash(_("Your access has ended. Please sign in again."), "warning")
