"""WSGI entry point: ``gunicorn wsgi:app``."""
from app import create_app
from app.core.workers import settle_worker

app = create_app()
settle_worker()
