"""Core: base layout, error pages, security headers, language switch, health check."""
from flask import Blueprint

bp = Blueprint("core", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/core")

from app.core import views  # noqa: E402,F401


def init_app(app):
    from app.core import cli, errors, nav

    errors.register(app)
    nav.init_app(app)
    cli.register(app)
