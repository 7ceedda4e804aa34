"""Account rules: passwords, login, roles, disabling. Services flush; the request commits."""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.audit.services import log_action
from app.accounts.errors import AccountError
from app.accounts import ldap
from app.accounts.external import DirectoryUnavailable, local_login_allowed, provision_external_user
from app.accounts.models import User, UserRole, new_session_token, user_by_email
from app.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_password
from app.core.access import ROLES
from app.core.ratelimit import Charge, Exhausted, charge
from app.core.text import normalise_email
from app.extensions import db

__all__ = ["AccountError", "MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH"]  # used by views, forms, CLI

logger = logging.getLogger(__name__)

DIRECTORY_DOWN_MESSAGE = _l(
    "The city's directory cannot be reached at the moment, so you cannot sign in with your directory "
    "account. Please try again in a few minutes. Administrators can sign in with their emergency account.")

#: Codes of refused password checks (too many for one account, or for the whole site).
LIMIT_CODES = frozenset({"too_many_attempts", "password_checks_busy"})


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.config.get("PASSWORD_HASH_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        ok = _hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ok and _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return ok


# A fixed hash to verify against when the email is unknown, so the response time
# does not tell whether an account exists.
_DUMMY_HASH: dict[bool, str] = {}


def _dummy_verify(password: str) -> None:
    fast = bool(has_app_context() and current_app.config.get("PASSWORD_HASH_FAST"))
    if fast not in _DUMMY_HASH:
        _DUMMY_HASH[fast] = _hasher().hash("not-a-real-password")
    try:
        _hasher().verify(_DUMMY_HASH[fast], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def _charge_password_check(setting: str, identity: str) -> Charge:
    """Charge one password verification before Argon2 runs: to the account (``config[setting]``),
    then to the site's budget (``PASSWORD_CHECK_BUDGET``, all accounts and addresses together),
    so wrong passwords from rotating addresses cannot take the server's CPU.

    :return: the account's charge (give it back after a correct password).
    :raises AccountError: ``too_many_attempts`` or ``password_checks_busy``, with ``retry_after``.
    """
    account = charge(setting, "password-account", identity)
    if isinstance(account, Exhausted):
        raise AccountError(
            _l("Too many wrong passwords for this account. Please wait a few minutes and try again."),
            "too_many_attempts", retry_after=account.retry_after)
    budget = charge("PASSWORD_CHECK_BUDGET", "password-budget", "site")
    if isinstance(budget, Exhausted):
        account.refund()
        raise AccountError(
            _l("There are too many login attempts on this site right now. Please try again in a minute."),
            "password_checks_busy", retry_after=budget.retry_after)
    return account


def _account_key(email: str) -> str:
    """The per-account limit's key: keyed by the typed email whether an account exists or not (no
    enumeration), as a keyed hash, so the counters hold no email address."""
    secret = (current_app.config.get("SECRET_KEY") or "").encode()
    return hmac.new(secret, normalise_email(email).encode(), hashlib.sha256).hexdigest()[:32]


def authenticate(email: str, password: str) -> User | None:
    """The active user with this login and password, or None (same effort either way).

    A local account's password is checked here; only local accounts have one, and with
    ``LOCAL_LOGIN_ENABLED`` off only the break-glass admins may use it
    (:func:`app.accounts.external.local_login_allowed`). With ``LDAP_SERVERS`` set, any other
    login (a user name or an email) is checked by the directory, and the person is provisioned
    (:func:`app.accounts.external.provision_external_user`).

    :raises AccountError: if the account's limit or the site's budget of password checks is used
        up (checked before the password is), ``directory_unavailable`` when no LDAP server
        answers, and the codes of ``provision_external_user``.
    """
    attempt = _charge_password_check("LOGIN_ACCOUNT_RATE_LIMIT", _account_key(email))
    user = user_by_email(email)
    local = user is not None and local_login_allowed(user)
    if local and verify_password(user, password) and user.active:
        attempt.refund()  # only wrong passwords count towards the account's limit
        db.session.flush()
        return user
    if ldap.enabled() and (user is None or user.is_external):
        # One Argon2 check on this path too: a local account's wrong password costs one, and
        # without it an unknown login (a directory bind only) would answer faster.
        _dummy_verify(password)
        try:
            account = ldap.authenticate(email, password)
        except DirectoryUnavailable as exc:
            logger.warning("LDAP sign-in impossible: %s", exc)
            raise AccountError(DIRECTORY_DOWN_MESSAGE, "directory_unavailable") from None
        if account is None:
            return None
        attempt.refund()
        return provision_external_user(account.source, account.external_id, account.email,
                                       account.name, account.roles)
    if not local:
        _dummy_verify(password)
    return None


def create_user(email: str, name: str, password: str, roles: Iterable[str], *,
                password_hash: str | None = None) -> User:
    """Create a staff account.

    :param password_hash: ``hash_password(password)`` computed before, for a caller that gives
        several accounts one password (the demo: Argon2 is deliberately slow, about a second).
    :raises AccountError: on a duplicate email, an unknown role or a weak password.
    """
    email = normalise_email(email)
    if user_by_email(email) is not None:
        raise AccountError(_l("A staff account with this email already exists."), "duplicate_email", "email")
    name = name.strip() or email
    check_password(password, email=email, name=name)
    user = User(email=email, name=name, password_hash=password_hash or hash_password(password))
    db.session.add(user)
    _apply_roles(user, roles)
    db.session.flush()
    log_action("user.create", user, after={"roles": sorted(user.role_names), "active": user.active})
    return user


def set_roles(user: User, roles: Iterable[str]) -> None:
    """Replace the user's roles.

    :raises AccountError: for an unknown role, if the last active admin would lose the role, or
        ``roles_from_directory`` for a directory / OIDC account (its roles follow its groups).
    """
    if user.is_external:
        if set(roles) == user.role_names:
            return
        raise AccountError(_l("The roles of this account come from the sign-in service and cannot be "
                              "changed here."), "roles_from_directory")
    before = sorted(user.role_names)
    _apply_roles(user, roles)
    after = sorted(user.role_names)
    if after != before:
        log_action("user.roles", user, before={"roles": before}, after={"roles": after})


def _apply_roles(user: User, roles: Iterable[str]) -> None:
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown:
        raise AccountError(_l("Unknown role: %(role)s", role=", ".join(sorted(unknown))), "unknown_role")
    if "admin" in user.role_names and "admin" not in wanted:
        _ensure_another_admin(user)
    user.replace_roles(wanted)
    db.session.flush()


def _ensure_another_admin(user: User) -> None:
    others = db.session.execute(
        select(func.count(User.id))
        .join(UserRole)
        .where(UserRole.role == "admin", User.active.is_(True), User.id != user.id)
    ).scalar_one()
    if not others:
        raise AccountError(_l("The last active administrator cannot lose this role or be disabled."), "last_admin")


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's own password; every other session of the user ends.

    :raises AccountError: if the current password is wrong (field ``current_password``) or the
        new one breaks the policy (field ``password``, see :func:`app.accounts.passwords.check_password`).
        Too many wrong current passwords are refused before the password is checked
        (``too_many_attempts`` / ``password_checks_busy``, with ``retry_after``).
    """
    _require_local(user)
    attempt = _charge_password_check("PASSWORD_CHANGE_RATE_LIMIT", f"user-{user.id}")
    if not verify_password(user, current):
        raise AccountError(_l("The current password is not correct."), "wrong_password", "current_password")
    attempt.refund()
    check_password(new, email=user.email, name=user.name, is_current=lambda password: password == current)
    _store_password(user, new)


def set_password(user: User, new: str) -> None:
    """Set a password (an admin's reset) and end every session of the user.

    :raises AccountError: if it breaks the policy, including being the current password, or
        ``no_local_password`` for a directory / OIDC account.
    """
    _require_local(user)
    check_password(new, email=user.email, name=user.name,
                   is_current=lambda password: verify_password(user, password))
    _store_password(user, new)


def _require_local(user: User) -> None:
    if user.is_external:
        raise AccountError(_l("This account signs in through the city's sign-in service and has no "
                              "password here."), "no_local_password", "password")


def _store_password(user: User, new: str) -> None:
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    log_action("user.password", user, detail="password set; all sessions ended")


def end_all_sessions(user: User) -> None:
    """Make every login cookie of this user worthless."""
    user.session_token = new_session_token()
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions at once.

    :raises AccountError: if the last active admin would be disabled.
    """
    if not active and user.has_role("admin") and user.active:
        _ensure_another_admin(user)
    before = user.active
    user.active = active
    end_all_sessions(user)
    if before != active:
        log_action("user.active", user, before={"active": before}, after={"active": active})
