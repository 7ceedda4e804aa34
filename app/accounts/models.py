"""Staff users and their roles."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, select
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.access import ROLES
from app.core.labels import register_labels
from app.core.models import utcnow
from app.core.personal import PERSONAL, SECRET
from app.core.text import normalise_email
from app.extensions import db


#: Where an account signs in: its own password here, the city's LDAP / Active Directory, or an
#: OpenID Connect provider (app/accounts/external.py provisions the last two).
SOURCES = ("local", "ldap", "oidc")
EXTERNAL_SOURCES = tuple(source for source in SOURCES if source != "local")
SOURCE_LABELS = register_labels("user.source", {
    "local": _l("Password"),
    "ldap": _l("Directory (LDAP)"),
    "oidc": _l("OpenID Connect"),
})


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(db.Model):
    """A staff account (admin, moderator, council). Residents never have one."""

    __tablename__ = "user"
    __table_args__ = (
        # An external account is found by its provider's stable id, never by its email.
        UniqueConstraint("source", "external_id"),
        CheckConstraint("source IN (" + ", ".join(f"'{s}'" for s in SOURCES) + ")", name="known_source"),
        CheckConstraint("(source = 'local') = (external_id IS NULL)", name="external_id_iff_external"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased and trimmed, so look-ups are case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True, info=PERSONAL)
    name: Mapped[str] = mapped_column(String(120), info=PERSONAL)
    #: Empty for directory and OIDC accounts: they never sign in with a password stored here.
    password_hash: Mapped[str] = mapped_column(String(255), info=SECRET)
    #: One of :data:`SOURCES`.
    source: Mapped[str] = mapped_column(String(10), default="local", server_default="local")
    #: The provider's stable id of the person (LDAP: objectGUID / entryUUID; OIDC: ``sub``);
    #: None for local accounts.
    external_id: Mapped[str | None] = mapped_column(String(255))
    #: When the directory last confirmed the account's status and roles (sign-in or session
    #: revalidation, see :func:`app.accounts.external.revalidate_session`).
    directory_checked_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    #: Part of the login cookie; replacing it logs out every session of this user.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, info=SECRET)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol -------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    # Roles ------------------------------------------------------------------
    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    def replace_roles(self, wanted: set[str]) -> None:
        """Hold exactly the roles ``wanted`` (no checks: the services decide who may change them)."""
        for role in list(self.roles):
            if role.role not in wanted:
                self.roles.remove(role)
        for name in sorted(wanted - self.role_names):
            self.roles.append(UserRole(role=name))

    @property
    def is_external(self) -> bool:
        """Signs in through a directory or OIDC provider; roles come from there."""
        return self.source != "local"

    def __repr__(self) -> str:
        return f"<User {self.id} {sorted(self.role_names)}>"


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="known_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="roles")


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the cookie must carry the user's current session token."""
    uid, _, token = (user_id or "").partition(":")
    if not uid.isdigit() or not token:
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
