"""Processes, events (workshops) and residents' applications for seats."""
from flask import Blueprint

bp = Blueprint("events", __name__, template_folder="templates")

from app.events import views_public  # noqa: E402,F401
