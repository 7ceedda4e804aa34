"""Shared fixtures: a fresh app and database per test, clients, SMTP, the browser.

The database is SQLite (a file per test) unless ``TEST_DATABASE_URL`` names a
PostgreSQL database; ``make test`` runs the suite once each way. On PostgreSQL
the schema is created once per run and every table is emptied before each test.
The factories of test data are a plugin, ``tests/factories/`` (listed below).
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings

from app import create_app
from app.extensions import db as _db
from config import TestingConfig
from scripts import i18n
from tests.support.clients import DESKTOP, PHONE, IsolatedClient
from tests.support.databases import ON_POSTGRES, PG_URL, drop_database, empty_all_tables
from tests.support.smtp import SMTPCatcher

#: The factories of test data (tests/factories/): their fixtures serve every test, unimported.
pytest_plugins = ["tests.factories.api", "tests.factories.core", "tests.factories.events",
                  "tests.factories.ideas", "tests.factories.invitations", "tests.factories.lottery",
                  "tests.factories.measures", "tests.factories.participation", "tests.factories.privacy",
                  "tests.factories.queries", "tests.factories.results", "tests.factories.voting"]

settings.register_profile(
    "default", deadline=None, max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(config, items):
    """``postgres_only`` tests skip on SQLite. Tests in Chromium (those using ``browser``) run once,
    on the SQLite pass of ``make test``: what they add is the page in a real browser; the database
    work behind the same views runs on PostgreSQL in the other tests (and it keeps the two passes
    within CI's time on two cores). ``IDEENMARKT_BROWSER_ON_POSTGRES=1`` runs them there too."""
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL)")
    skip_browser = pytest.mark.skip(reason="runs once, on the SQLite pass: a test in Chromium")
    browser_here = not ON_POSTGRES or os.environ.get("IDEENMARKT_BROWSER_ON_POSTGRES") == "1"
    for item in items:
        if "postgres_only" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if not browser_here and "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(skip_browser)


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + PG_URL.rsplit('@', 1)[-1] if ON_POSTGRES else 'SQLite'}"


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations() -> None:
    i18n.compile_all()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPCatcher]:
    catcher = SMTPCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def smtp(smtp_server: SMTPCatcher) -> Iterator[SMTPCatcher]:
    """The loopback SMTP server every test app sends to, emptied for this test."""
    smtp_server.start()
    smtp_server.clear()
    yield smtp_server
    smtp_server.start()


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str | None]:
    """On PostgreSQL: create the schema once for the whole run."""
    if not ON_POSTGRES:
        yield None
        return
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    yield PG_URL


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the configuration of ``app``."""
    return {}


@pytest.fixture
def database_uri(tmp_path, _pg_schema) -> str:
    return _pg_schema or f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app(database_uri, app_config, smtp_server, tmp_path) -> Iterator[Flask]:
    """A fresh application with an empty database (no app context pushed)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": smtp_server.port,
        **app_config,
    }
    application = create_app(TestingConfig, **config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        if ON_POSTGRES:
            empty_all_tables()
        else:
            _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app) -> Iterator:
    """The database with an app context pushed, for service tests."""
    with app.app_context():
        yield _db
        _db.session.rollback()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """The URL of a brand-new, empty database (a second PostgreSQL database, or a SQLite file)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    name = f"empty_{secrets.token_hex(6)}"
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    drop_database(engine, name)
    engine.dispose()


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (Debian's, through Playwright)."""
    from tests.support.browser import SKIP_REASON, chromium, chromium_available

    if not chromium_available():
        pytest.fail(SKIP_REASON)
    with chromium() as instance:
        yield instance


@pytest.fixture
def live_server(app):
    """The test app served over HTTP on loopback; mails link to it (BASE_URL)."""
    from tests.support.servers import LiveServer

    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture
def new_page(browser):
    """``new_page(phone=False, locale="de-DE", device=None)`` → a page in a fresh browser context;
    ``device`` gives other context options (e.g. a tablet's viewport)."""
    contexts = []

    def factory(phone: bool = False, locale: str = "de-DE", device: dict | None = None):
        context = browser.new_context(locale=locale, **(device or (PHONE if phone else DESKTOP)))
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()
