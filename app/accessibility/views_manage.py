"""Admin page: upload the sign-language videos, one per section of the explanations."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accessibility import bp, services
from app.accessibility.easy_language import SECTIONS, section
from app.accessibility.forms import DeleteForm, VideoForm
from app.core.access import staff_required
from app.extensions import db


def _render(forms: dict | None = None, status: int = 200):
    forms = forms or {}
    for item in SECTIONS:
        forms.setdefault(item.key, VideoForm(prefix=item.key))
    return render_template("accessibility/manage_videos.html", sections=SECTIONS, forms=forms,
                           videos=services.videos_by_section(), delete_form=DeleteForm()), status


@bp.route("/manage/sign-language")
@staff_required("admin")
def manage_videos():
    return _render()


@bp.route("/manage/sign-language/<key>", methods=["POST"])
@staff_required("admin")
def upload_video(key: str):
    item = section(key)
    if item is None:
        abort(404)
    form = VideoForm(prefix=key)
    if form.validate_on_submit():
        try:
            services.store_video(key, form.video.data.stream, form.captions.data.read(), current_user.id)
        except services.AccessibilityError as error:
            getattr(form, error.field or "video").errors.append(error.message)
        else:
            flash(_("The video for “%(section)s” is online.", section=item.title), "success")
            return redirect(url_for("accessibility.manage_videos") + f"#section-{key}", 303)
    return _render({key: form}, 422)


@bp.route("/manage/sign-language/<key>/delete", methods=["POST"])
@staff_required("admin")
def delete_video(key: str):
    item = section(key)
    if item is None:
        abort(404)
    if DeleteForm().validate_on_submit():
        try:
            services.delete_video(key)
        except services.AccessibilityError as error:
            db.session.rollback()  # refused: the redirect below must not commit
            flash(error.message, "error")
        else:
            flash(_("The video for “%(section)s” was removed.", section=item.title), "success")
    return redirect(url_for("accessibility.manage_videos"), 303)
