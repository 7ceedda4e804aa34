"""The app of a browser journey module: one app on its own database, served over HTTP for the module."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests.support.clients import IsolatedClient
from tests.support.databases import ON_POSTGRES, empty_all_tables
from tests.support.servers import LiveServer
from tests.support.smtp import find_links


def journey_app(tmp, smtp_server, pg_schema, **config):
    """A fresh app with empty tables (the PostgreSQL schema of the run, or a SQLite file in ``tmp``)
    that sends mail to ``smtp_server``; ``config`` overrides settings."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=pg_schema or f"sqlite:///{tmp / 'db.sqlite'}",
                     INSTANCE_PATH=str(tmp / "instance"), MAIL_SERVER=smtp_server.host,
                     MAIL_PORT=smtp_server.port, **config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        empty_all_tables() if ON_POSTGRES else db.create_all()
    return app


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on a free port; yields its URL (also its BASE_URL for mails)."""
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    try:
        yield server.url
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


#: The login form's email label, password label and button, per language.
LOGIN = {"de": ("E-Mail", "Passwort", "Anmelden"), "en": ("Email", "Password", "Log in")}


def logged_in_page(browser, url: str, email: str, password: str, lang: str = "de", device: dict | None = None):
    """``(context, page)``: a fresh browser context logged in through the login form, in that language
    (chosen with the language switch before logging in); the caller closes the context."""
    context = browser.new_context(locale="de-DE" if lang == "de" else "en-GB",
                                  **(device or {"viewport": {"width": 1280, "height": 900}}))
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{url}/login")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
    email_label, password_label, button = LOGIN[lang]
    page.get_by_label(email_label, exact=True).fill(email)
    page.get_by_label(password_label, exact=True).fill(password)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/manage")
    return context, page


def confirm_by_mail(page, smtp_server, address: str, button: str, heading: str) -> None:
    """Open the confirmation link of the mail to ``address`` (delivered from the outbox through SMTP),
    press ``button`` and wait for the page with ``heading``."""
    [mail] = smtp_server.wait_for(lambda m: m["To"] == address)
    page.goto(next(link for link in find_links(mail) if "/confirm/" in link))
    page.get_by_role("button", name=button).click()
    page.get_by_role("heading", name=heading).wait_for()
