"""Sign-language videos: one per section of the explanations (app/accessibility/easy_language.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import utcnow
from app.extensions import db


class SignLanguageVideo(db.Model):
    """A video in German Sign Language (DGS) for one section, with its WebVTT captions.

    The video file lies in ``MEDIA_DIR`` (shared storage on several machines); the captions
    are small and kept here.
    """

    __tablename__ = "sign_language_video"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A key of ``easy_language.SECTIONS``.
    section: Mapped[str] = mapped_column(String(40), unique=True)
    #: File name inside ``MEDIA_DIR/sign-language`` (random, never from the upload).
    file_name: Mapped[str] = mapped_column(String(80))
    #: ``video/mp4`` or ``video/webm``, from the file's own header.
    media_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int]
    #: WebVTT captions (German).
    captions: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
