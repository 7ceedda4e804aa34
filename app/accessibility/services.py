"""Rules of the accessibility feature: the sign-language videos and the statement's data."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accessibility import barriers
from app.accessibility.easy_language import SECTION_KEYS
from app.accessibility.models import SignLanguageVideo
from app.audit.services import log_action
from app.core.models import utcnow
from app.extensions import db

#: What a caption file may weigh (a few minutes of captions are a few kilobytes).
CAPTIONS_MAX_BYTES = 256 * 1024
_CHUNK = 1024 * 1024


class AccessibilityError(Exception):
    """A rule of the accessibility feature was broken; ``code`` is stable for tests."""

    def __init__(self, message, code: str, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field


def media_dir() -> Path:
    """Where uploaded videos lie: ``MEDIA_DIR``, by default ``instance/media``."""
    configured = current_app.config.get("MEDIA_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "media"


def video_path(video: SignLanguageVideo) -> Path:
    return media_dir() / "sign-language" / video.file_name


def videos_by_section() -> dict[str, SignLanguageVideo]:
    videos = db.session.execute(sa.select(SignLanguageVideo)).scalars()
    return {video.section: video for video in videos}


def sign_language_complete() -> bool:
    present = set(db.session.execute(sa.select(SignLanguageVideo.section)).scalars())
    return all(key in present for key in SECTION_KEYS)


@dataclass(frozen=True)
class Statement:
    barriers: list
    status: str


def statement() -> Statement:
    found = barriers.current_barriers(sign_language_complete=sign_language_complete())
    return Statement(found, barriers.compliance_status(found))


def _media_type(head: bytes) -> str | None:
    """``video/mp4`` or ``video/webm`` from the file's first bytes, else None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:64]:
        return "video/webm"
    return None


def read_captions(data: bytes) -> str:
    """The text of a WebVTT file, or AccessibilityError with what is wrong."""
    if len(data) > CAPTIONS_MAX_BYTES:
        raise AccessibilityError(_l("The captions file is too large (at most 256 KB)."), "captions_too_large",
                                 "captions")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AccessibilityError(_l("The captions file must be a WebVTT file in UTF-8."), "captions_encoding",
                                 "captions") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = lines[0].strip() if lines else ""
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))) or "-->" not in text:
        raise AccessibilityError(_l("The captions file must be a WebVTT file: it starts with “WEBVTT” and has "
                                    "at least one cue with a time (00:00.000 --> 00:05.000)."),
                                 "captions_not_webvtt", "captions")
    if "\x00" in text:
        raise AccessibilityError(_l("The captions file must be a WebVTT file in UTF-8."), "captions_encoding",
                                 "captions")
    return "\n".join(lines)


def store_video(section: str, stream: BinaryIO, captions: bytes, user_id: int | None) -> SignLanguageVideo:
    """Keep a section's sign-language video and its captions; replaces an earlier one.

    The file is written under a random name and checked by its own header (MP4 or WebM),
    never by the name or type the browser sent. Nothing changes when a check fails.
    """
    if section not in SECTION_KEYS:
        raise AccessibilityError(_l("This section does not exist."), "unknown_section")
    captions_text = read_captions(captions)
    limit = current_app.config["SIGN_LANGUAGE_VIDEO_MAX_BYTES"]
    folder = media_dir() / "sign-language"
    folder.mkdir(parents=True, exist_ok=True)
    head = stream.read(64)
    media_type = _media_type(head)
    if media_type is None:
        raise AccessibilityError(_l("The video must be an MP4 or WebM file."), "video_format", "video")
    file_name = f"{section}-{secrets.token_hex(8)}.{media_type.split('/')[1]}"
    target = folder / file_name
    partial = target.with_suffix(target.suffix + ".part")
    size = 0
    try:
        with open(partial, "wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise AccessibilityError(
                        _l("The video is too large (at most %(size)s MB).", size=limit // (1024 * 1024)),
                        "video_too_large", "video")
                out.write(chunk)
                chunk = stream.read(_CHUNK)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

    video = db.session.execute(
        sa.select(SignLanguageVideo).where(SignLanguageVideo.section == section)).scalar_one_or_none()
    replaced = video.file_name if video is not None else None
    if video is None:
        video = SignLanguageVideo(section=section)
        db.session.add(video)
    video.file_name = file_name
    video.media_type = media_type
    video.size = size
    video.captions = captions_text
    video.uploaded_by_id = user_id
    video.uploaded_at = utcnow()
    db.session.flush()
    log_action("accessibility.video_upload", video, detail=section)
    _after_commit_remove(folder / replaced if replaced else None, undo=target)
    return video


def delete_video(section: str) -> None:
    video = db.session.execute(
        sa.select(SignLanguageVideo).where(SignLanguageVideo.section == section)).scalar_one_or_none()
    if video is None:
        raise AccessibilityError(_l("There is no video for this section."), "no_video")
    path = video_path(video)
    log_action("accessibility.video_delete", video, detail=section)
    db.session.delete(video)
    db.session.flush()
    _after_commit_remove(path)


def _after_commit_remove(path: Path | None, *, undo: Path | None = None) -> None:
    """Remove ``path`` once the transaction commits; if it rolls back instead, remove ``undo``,
    so the files on disk always match the rows. Whichever comes first decides; the other
    listener then does nothing (listeners cannot be removed while the session dispatches)."""
    session = db.session()
    decided = []

    def committed(_session):
        if not decided:
            decided.append(True)
            if path is not None:
                path.unlink(missing_ok=True)

    def rolled_back(_session):
        if not decided:
            decided.append(True)
            if undo is not None:
                undo.unlink(missing_ok=True)

    sa.event.listen(session, "after_commit", committed, once=True)
    sa.event.listen(session, "after_rollback", rolled_back, once=True)
