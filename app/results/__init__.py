"""Results: dashboards for the council, published results for the public (read-only)."""
from flask import Blueprint

bp = Blueprint("results", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/results")

from app.results import views_exports  # noqa: E402,F401


def init_app(app):
    pass
