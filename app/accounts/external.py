"""Staff accounts from outside: the city's LDAP / Active Directory and OpenID Connect providers.

A person who signs in through a provider gets a local staff record on first sign-in (just in
time), found again at every later sign-in by the provider's **stable id** (``source`` +
``external_id``), never by the email address alone. Their roles come from the provider and are
replaced at every sign-in and every session revalidation: no role, no access; nothing is ever
admin by default. What is local stays local: a moderator's stand assignments, an admin's
decision to disable the account (``User.active``).

A provider plugs in with two things (see README, "Sign-in through the city's directory"):

* its sign-in view turns what the provider said into :class:`ExternalAccount`, calls
  :func:`provision_external_user` and then :func:`app.accounts.signin.complete_sign_in`;
* optionally a *revalidator* (:func:`register_revalidator`): asked at the first request after
  ``DIRECTORY_REVALIDATE_SECONDS`` what the provider says about the person now.
  :func:`revalidate_session` applies the answer, and ends every session of a person who lost
  access.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.errors import AccountError
from app.accounts.models import EXTERNAL_SOURCES, User, new_session_token, user_by_email
from app.audit.services import log_action
from app.core.access import ROLES
from app.core.models import utcnow
from app.core.text import clean_text, normalise_email
from app.extensions import db

logger = logging.getLogger(__name__)

NO_ROLE_MESSAGE = _l("Your account has no role in Ideenmarkt. Please ask the IT department to add you to "
                     "the right group.")


class DirectoryUnavailable(Exception):
    """The provider could not be asked (down, timeout, TLS failure). Raised by providers'
    sign-in code and revalidators; never means "the person has no access"."""


@dataclass(frozen=True)
class ExternalAccount:
    """What a provider says about a person right now."""

    source: str
    #: The provider's stable id (LDAP objectGUID / entryUUID, OIDC ``sub``).
    external_id: str
    email: str
    name: str
    #: Ideenmarkt roles the provider grants (already mapped from its groups or claims).
    roles: frozenset[str]


#: ``revalidator(user) -> ExternalAccount | None``: the person's current state at the provider,
#: None if the provider no longer knows them or has disabled them; raises
#: :class:`DirectoryUnavailable` when it cannot tell.
Revalidator = Callable[[User], "ExternalAccount | None"]
_REVALIDATORS: dict[str, Revalidator] = {}


def register_revalidator(source: str, revalidator: Revalidator) -> None:
    """Let :func:`revalidate_session` ask ``revalidator`` about the accounts of ``source``."""
    if source not in EXTERNAL_SOURCES:
        raise ValueError(f"unknown external source {source!r}")
    _REVALIDATORS[source] = revalidator


def user_by_external_id(source: str, external_id: str) -> User | None:
    return db.session.execute(
        select(User).where(User.source == source, User.external_id == external_id)
    ).scalar_one_or_none()


def provision_external_user(source: str, external_id: str, email: str, name: str,
                            roles: Iterable[str]) -> User:
    """Create or update the local record of a person the provider ``source`` has just vouched
    for, found by ``external_id``; flushes.

    The roles are replaced by ``roles`` (unknown names are ignored, so a wrong group mapping
    grants nothing); the email and name follow the provider. A person left with no role has
    every session ended (:func:`app.accounts.signin.complete_sign_in` then refuses them).
    ``User.active`` and stand assignments are not touched.

    :raises AccountError: ``no_role`` for a person seen for the first time without any role (no
        record is made), ``unknown_source``, ``no_external_id``, ``no_email`` (the provider
        sent no usable email) or ``email_taken`` (another account has this email: it is never
        linked by email; an admin must resolve it).
    """
    if source not in EXTERNAL_SOURCES:
        raise AccountError(_l("Unknown sign-in source."), "unknown_source")
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 255:
        raise AccountError(_l("The sign-in service did not identify the person."), "no_external_id")
    email = normalise_email(email or "")
    if "@" not in email or len(email) > 254:
        raise AccountError(
            _l("The sign-in service gave no email address for your account. Please ask the IT "
               "department to add one."), "no_email")
    name = clean_text(name or "")[:120] or email
    wanted = {role for role in roles if role in ROLES}

    user = user_by_external_id(source, external_id)
    holder = user_by_email(email)
    if holder is not None and holder is not user:
        logger.warning("external sign-in refused: email of account %s already taken by account %s",
                       external_id, holder.id)
        raise AccountError(
            _l("Another staff account already uses the email address of your account. Please ask "
               "an administrator to resolve this."), "email_taken")
    if user is None:
        if not wanted:
            # No record for people the directory gives no role: the staff list shows staff only.
            raise AccountError(NO_ROLE_MESSAGE, "no_role")
        user = User(source=source, external_id=external_id, email=email, name=name, password_hash="",
                    directory_checked_at=utcnow())
        db.session.add(user)
        db.session.flush()
        _replace_roles(user, wanted)
        log_action("user.create", user, after={"source": source, "roles": sorted(user.role_names),
                                               "active": user.active})
        return user
    user.email = email
    user.name = name
    before = sorted(user.role_names)
    _replace_roles(user, wanted)
    after = sorted(user.role_names)
    if after != before:
        log_action("user.roles", user, before={"roles": before}, after={"roles": after},
                   detail=f"from {source}")
    if not wanted:
        user.session_token = new_session_token()
    user.directory_checked_at = utcnow()
    db.session.flush()
    return user


def withdraw_access(user: User, reason: str) -> None:
    """The provider no longer vouches for ``user`` (gone, disabled): no roles, no sessions."""
    before = sorted(user.role_names)
    _replace_roles(user, set())
    user.session_token = new_session_token()
    user.directory_checked_at = utcnow()
    db.session.flush()
    log_action("user.roles", user, before={"roles": before}, after={"roles": []},
               detail=f"{reason} at {user.source}")


def _replace_roles(user: User, wanted: set[str]) -> None:
    """The provider is the authority: unlike an admin's edit, losing the last admin is allowed
    here (the break-glass admin is a local account)."""
    user.replace_roles(wanted)
    db.session.flush()


# Session revalidation ----------------------------------------------------------------------------

def revalidation_due(user: User) -> bool:
    if not user.is_external or user.source not in _REVALIDATORS:
        return False
    checked = user.directory_checked_at
    interval = timedelta(seconds=float(current_app.config.get("DIRECTORY_REVALIDATE_SECONDS", 300)))
    return checked is None or utcnow() - checked >= interval


def revalidate_session(user: User) -> bool:
    """Ask the provider about ``user`` if the interval has passed; flushes what changed.

    :return: whether the user may go on (False: access withdrawn, every session ended).
        A provider that cannot be asked leaves the session as it is until the next interval.
    """
    if not revalidation_due(user):
        return True
    try:
        state = _REVALIDATORS[user.source](user)
    except DirectoryUnavailable as exc:
        logger.warning("session revalidation of user %s at %s failed: %s", user.id, user.source, exc)
        user.directory_checked_at = utcnow()
        db.session.flush()
        return True
    if state is None:
        withdraw_access(user, "gone or disabled")
        return False
    try:
        provision_external_user(user.source, user.external_id or "", state.email, state.name, state.roles)
    except AccountError as exc:
        logger.warning("session revalidation of user %s refused: %s", user.id, exc.code)
        withdraw_access(user, exc.code)
        return False
    return bool(user.role_names)


# Local password sign-in --------------------------------------------------------------------------

def break_glass_admins() -> set[str]:
    """The emails of ``BREAK_GLASS_ADMINS`` (a list, or a string separated by commas/spaces)."""
    raw = current_app.config.get("BREAK_GLASS_ADMINS") or []
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    return {normalise_email(email) for email in raw if email.strip()}


def local_login_allowed(user: User) -> bool:
    """May ``user`` sign in (and stay signed in) with a password stored here?

    Only local accounts; with ``LOCAL_LOGIN_ENABLED`` off, only the admins named in
    ``BREAK_GLASS_ADMINS``.
    """
    if user.is_external:
        return False
    if current_app.config.get("LOCAL_LOGIN_ENABLED", True):
        return True
    return user.email in break_glass_admins() and user.has_role("admin")
