"""Access decisions for views.

Every view declares who may call it with one of the decorators below. The
role-matrix test walks ``app.url_map`` and fails for any endpoint without a
declaration, so a new route cannot ship without an explicit decision.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Callable

from flask import abort, current_app, request
from flask_login import current_user

ACCESS_ATTR = "ideenmarkt_access"

ROLES = ("admin", "moderator", "council")


@dataclass(frozen=True)
class Access:
    """What a view requires.

    ``kind`` is ``public`` (anyone; the view may still check a secret token itself)
    or ``staff`` (a logged-in, active staff account holding one of ``roles``;
    an empty ``roles`` means any staff account).
    """

    kind: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def allows(self, user_roles: set[str]) -> bool:
        return self.kind == "public" or not self.roles or bool(self.roles & user_roles)


def _mark(view: Callable, access: Access) -> Callable:
    setattr(view, ACCESS_ATTR, access)
    return view


def public(view: Callable) -> Callable:
    """Anyone may call this view (it checks its own secret link or ticket if needed)."""
    return _mark(view, Access("public"))


def staff_required(*roles: str) -> Callable[[Callable], Callable]:
    """Require a logged-in staff account with one of ``roles`` (any staff if none given).

    Anonymous users are sent to the login page; staff without the role get 403.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {unknown}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if roles and not (set(roles) & current_user.role_names):
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapped, Access("staff", frozenset(roles)))

    return decorator


def access_of(view: Callable) -> Access | None:
    return getattr(view, ACCESS_ATTR, None)


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site relative paths are followed after login or a language switch."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    return all(ch.isprintable() for ch in target)


def safe_next(default: str) -> str:
    target = request.values.get("next")
    return target if is_safe_redirect(target) else default
