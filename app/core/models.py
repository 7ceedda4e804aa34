"""Tables the core needs: shared rate-limit counters."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class RateLimitCounter(db.Model):
    """One fixed-window counter of the rate limiter (used when Redis is not configured)."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    #: Unix time at which this window ends and the count starts again.
    expires_at: Mapped[float]
