"""Market stands, live idea capture, tags and the projector wall."""
from flask import Blueprint

bp = Blueprint("ideas", __name__, template_folder="templates")
