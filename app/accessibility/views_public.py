"""Public pages: Leichte Sprache, German Sign Language, the accessibility statement."""
from __future__ import annotations

from flask import abort, render_template, send_file

from app.accessibility import bp, services
from app.accessibility.easy_language import PAGE, SECTIONS, section
from app.core.access import public


@bp.route("/leichte-sprache")
@public
def easy_language():
    return render_template("accessibility/easy_language.html", sections=SECTIONS, page=PAGE)


@bp.route("/gebaerdensprache")
@public
def sign_language():
    return render_template("accessibility/sign_language.html", sections=SECTIONS,
                           videos=services.videos_by_section())


def _video_or_404(key: str):
    if section(key) is None:
        abort(404)
    video = services.videos_by_section().get(key)
    if video is None:
        abort(404)
    return video


@bp.route("/gebaerdensprache/<key>/video")
@public
def video_file(key: str):
    video = _video_or_404(key)
    path = services.video_path(video)
    if not path.is_file():
        abort(404)
    # conditional=True answers Range requests, which players need to seek.
    return send_file(path, mimetype=video.media_type, conditional=True, max_age=3600)


@bp.route("/gebaerdensprache/<key>/captions.vtt")
@public
def captions(key: str):
    video = _video_or_404(key)
    return video.captions, 200, {"Content-Type": "text/vtt; charset=utf-8"}


@bp.route("/accessibility")
@public
def statement():
    return render_template("accessibility/statement.html", statement=services.statement())
