"""Online participation (issue 18): participants without an account, online phases per event,
moderation of online ideas, public idea lists."""
from flask import Blueprint

bp = Blueprint("participation", __name__, template_folder="templates")
