"""Core views: start page, the staff start page, language switch, health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user

from app.core import bp, start
from app.core.access import public, safe_next, staff_required
from app.core.i18n import LANG_COOKIE
from app.extensions import db


@bp.route("/")
@public
def index():
    return render_template("core/index.html")


@bp.route("/manage")
@staff_required()
def staff_start():
    """Where staff land after logging in: what is next for each of their events (see app/core/start.py)."""
    return render_template("core/staff_start.html", groups=start.steps_for(current_user))


@bp.app_context_processor
def inject_helpers():
    def url_exists(endpoint: str) -> bool:
        return endpoint in current_app.view_functions

    return {"url_exists": url_exists}


@bp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    response = redirect(safe_next(url_for("core.index")))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=60 * 60 * 24 * 365, samesite="Lax", httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


@bp.route("/favicon.ico")
@public
def favicon():
    """Browsers ask for ``/favicon.ico`` on every site; pages also link the SVG version."""
    return send_from_directory(bp.static_folder, "img/favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=60 * 60 * 24 * 7)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
