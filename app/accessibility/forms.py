"""The upload form of a sign-language video."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class VideoForm(FlaskForm):
    video = FileField(_l("Video (MP4 or WebM)"), validators=[FileRequired(_l("Choose a video file."))])
    captions = FileField(_l("Captions (WebVTT)"), validators=[FileRequired(_l("Choose a captions file."))])


class DeleteForm(FlaskForm):
    pass
