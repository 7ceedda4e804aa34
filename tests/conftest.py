"""Shared fixtures: a fresh app and database per test, clients, factories, SMTP.

The database is SQLite (a file per test) unless ``TEST_DATABASE_URL`` names a
PostgreSQL database; ``make test`` runs the suite once each way. On PostgreSQL
the schema is created once per run and every table is emptied before each test.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextvars import Token

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.globals import _cv_app, _cv_request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from itsdangerous import URLSafeTimedSerializer

from app import create_app
from app.extensions import db as _db
from config import TestingConfig
from scripts import i18n
from tests.support import wait_until
from tests.support.smtp import SMTPCatcher

settings.register_profile(
    "default", deadline=None, max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DEFAULT_PASSWORD = "correct horse battery staple"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)


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


def _empty_all_tables() -> None:
    tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
    with _db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE"))


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
            _empty_all_tables()
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


class IsolatedClient(FlaskClient):
    """A test client whose requests never share ``g`` or the DB session with the test.

    Flask reuses an already pushed app context for requests; a service test
    that holds one would then leak ``g`` (e.g. the logged-in user) from one
    request into the next. Each request here runs in a context of its own.
    """

    def open(self, *args, **kwargs):
        app_token: Token = _cv_app.set(None)  # type: ignore[arg-type]
        request_token: Token = _cv_request.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_request.reset(request_token)
            _cv_app.reset(app_token)
            if _cv_app.get(None) is not None:
                _db.session.expire_all()

    def csrf_token(self) -> str:
        """A valid CSRF token for this client's session (as a form would carry)."""
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=payload, **kwargs)

    def job_file(self, url: str, data: dict | None = None):
        """Ask for a file a job makes (an export, the council report: POST, the job runs in the
        request) and download it from the job; a refused request's answer is returned as it is."""
        asked = self.submit(url, data)
        if asked.status_code != 303 or "/manage/jobs/" not in (asked.location or ""):
            return asked
        return self.get(asked.location.split("?")[0] + "/file")


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


# ---------------------------------------------------------------- factories


@pytest.fixture
def create_user(app) -> Callable:
    """``create_user(roles=("admin",), email=..., password=..., name=...)`` → committed User."""
    from app.accounts import services

    counter = iter(range(1, 10_000))

    def factory(roles=("admin",), email: str | None = None, password: str = DEFAULT_PASSWORD,
                name: str | None = None, active: bool = True):
        n = next(counter)
        with app.app_context():
            user = services.create_user(email or f"staff{n}@example.org", name or f"Staff {n}",
                                        password, roles)
            user.active = active
            _db.session.commit()
            user_id = user.id
        return _reload(app, user_id)

    return factory


def _reload(app, user_id):
    from app.accounts.models import User

    if _cv_app.get(None) is not None:
        return _db.session.get(User, user_id)
    with app.app_context():
        user = _db.session.get(User, user_id)
        _db.session.expunge(user)
        return user


@pytest.fixture
def login() -> Callable:
    """``login(client, user_or_email, password=DEFAULT_PASSWORD)`` → the response."""

    def do_login(client: IsolatedClient, user, password: str = DEFAULT_PASSWORD):
        email = user if isinstance(user, str) else user.email
        response = client.submit("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


@pytest.fixture
def staff_client(app, create_user, login) -> Callable:
    """``staff_client("admin", "council")`` → a logged-in client with those roles."""

    def factory(*roles: str):
        user = create_user(roles=roles or ("admin",))
        client = app.test_client()
        login(client, user)
        client.user = user
        return client

    return factory


@pytest.fixture
def create_process(app) -> Callable:
    from app.events.models import Process

    def factory(**kwargs):
        with app.app_context():
            process = Process(**{"title": "Testprozess", **kwargs})
            _db.session.add(process)
            _db.session.commit()
            return process.id

    return factory


@pytest.fixture
def create_event(app, create_process) -> Callable:
    """``create_event(**fields)`` → the id of a committed event (a process is made if needed)."""
    from app.events.models import Event

    def factory(**kwargs):
        if "process_id" not in kwargs:
            kwargs["process_id"] = create_process()
        with app.app_context():
            event = Event(**{"title": "Bürger-Workshop", "seats": 15, **kwargs})
            _db.session.add(event)
            _db.session.commit()
            return event.id

    return factory


@pytest.fixture
def demo(app) -> dict:
    """The Esslingen demo data loaded; returns ids of its main objects."""
    from app.demo import load_demo
    from app.events.models import Event, Process
    from app.ideas.models import Stand

    with app.app_context():
        load_demo()
        process = _db.session.execute(sa.select(Process)).scalars().first()
        event = _db.session.execute(sa.select(Event).where(Event.seats == 15)).scalar_one()
        stand = _db.session.execute(sa.select(Stand).order_by(Stand.position)).scalars().first()
        return {"process_id": process.id, "event_id": event.id, "stand_id": stand.id}


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


def drop_database(engine: sa.Engine, name: str, timeout: float = 60.0) -> None:
    """Drop database ``name`` as the (non-superuser) test role, robust against other backends.

    ``DROP DATABASE ... WITH (FORCE)`` must terminate every backend of the database, and
    the test role may not signal those of other roles (an autovacuum worker: "permission
    denied to terminate process ... pg_signal_backend"). A plain ``DROP DATABASE`` cancels
    autovacuum workers by itself; the role's own leftover sessions it terminates first
    (allowed for one's own role), and a drop that still finds the database in use (a
    session just going away) is retried until ``timeout``.
    """
    def dropped() -> bool:
        with engine.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid() AND usename = current_user"),
                {"name": name})
            try:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            except sa.exc.OperationalError as exc:  # ObjectInUse: "being accessed by other users"
                if getattr(exc.orig, "sqlstate", None) != "55006":
                    raise
                return False
        return True

    wait_until(dropped, timeout=timeout, interval=0.2, message=f"database {name} still in use")


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


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


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
