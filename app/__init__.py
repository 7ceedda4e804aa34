"""Ideenmarkt: citizen participation for cities.

:func:`create_app` builds the application: configuration, extensions, blueprints,
security headers, error pages and command-line commands.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import Flask

from config import INSTANCE_DIR, Config, config_from_env

#: Feature packages, each a blueprint ``bp`` in ``app/<name>/__init__.py``.
FEATURES = ("core", "accounts", "events", "jobs", "participation", "ideas", "lottery", "voting", "measures", "audit", "results",
            "api", "privacy", "oidc", "accessibility", "metrics", "invitations")


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Create and configure the application.

    :param config_class: one of the classes in ``config.py``; default from ``IDEENMARKT_ENV``.
    :param overrides: configuration values that win over everything else (tests).
    """
    config_class = config_class or config_from_env()
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("IDEENMARKT_INSTANCE") or INSTANCE_DIR
    # Here, not at the top: the package must import without its extensions (config, wsgi).
    from app.core.transactions import TransactionalFlask

    # One transaction per request: committed when the view answers below 400, else rolled back.
    app = TransactionalFlask(__name__, instance_path=str(instance_path), instance_relative_config=True,
                             static_folder=None)
    app.config.from_object(config_class)
    apply_overrides(app, overrides)
    _ensure_secret_key(app)
    _require_base_url(app)

    _trust_proxies(app)

    from app import extensions as ext
    from app.core import i18n, logs, security, ratelimit, uploads

    # First, so the request id exists before any other before_request hook (CSRF, limits) runs.
    security.init_app(app)
    uploads.init_app(app)  # before CSRF, which reads the form
    logs.configure(app)
    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                        render_as_batch=True, compare_type=True)
    ext.mail.init_app(app)
    ext.csrf.init_app(app)
    i18n.init_app(app)
    ratelimit.init_app(app)

    import importlib

    for name in FEATURES:
        module = importlib.import_module(f"app.{name}")
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)

    from app import demo_cli  # the demo uses every feature: loaded once they are all registered

    demo_cli.register(app)
    _import_models()
    return app


def _trust_proxies(app: Flask) -> None:
    """Honour X-Forwarded-For/-Proto from the configured proxies only (app/core/proxies.py)."""
    from app.core.proxies import TrustedProxies, parse_networks

    if app.config.get("TRUST_PROXY"):
        raise RuntimeError(
            "TRUST_PROXY was replaced by TRUSTED_PROXIES: the addresses or networks of your reverse "
            "proxies, e.g. TRUSTED_PROXIES=127.0.0.1 for an nginx on this machine (see README)."
        )
    networks = parse_networks(app.config.get("TRUSTED_PROXIES"))
    app.config["TRUSTED_PROXIES"] = [str(network) for network in networks]
    if networks:
        app.wsgi_app = TrustedProxies(app.wsgi_app, networks)  # type: ignore[method-assign]


def _import_models() -> None:
    """Import every feature's models so metadata (and Alembic) sees all tables."""
    import importlib

    for name in FEATURES:
        try:
            importlib.import_module(f"app.{name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.{name}.models":
                raise


def apply_overrides(app: Flask, overrides: dict) -> None:
    """Instance config, then environment variables, then explicit overrides."""
    if not app.config.get("TESTING") and not overrides.get("TESTING"):
        app.config.from_pyfile("config.py", silent=True)
    env = os.environ
    if env.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(env["DATABASE_URL"])
    if env.get("REDIS_URL"):
        app.config["REDIS_URL"] = env["REDIS_URL"]
    if env.get("LOG_LEVEL"):
        app.config["LOG_LEVEL"] = env["LOG_LEVEL"]
    if env.get("BABEL_DEFAULT_LOCALE"):
        app.config["BABEL_DEFAULT_LOCALE"] = env["BABEL_DEFAULT_LOCALE"]
    if env.get("BASE_URL"):
        app.config["BASE_URL"] = env["BASE_URL"].rstrip("/")
    if env.get("TRUSTED_PROXIES") is not None:
        app.config["TRUSTED_PROXIES"] = env["TRUSTED_PROXIES"]
    if env.get("TRUST_PROXY", "0").lower() not in ("0", "false", ""):
        app.config["TRUST_PROXY"] = True  # the old switch: refused by _trust_proxies
    for key in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER"):
        if env.get(key):
            app.config[key] = env[key]
    for key in ("MAIL_PORT",):
        if env.get(key):
            app.config[key] = int(env[key])
    for key in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        if env.get(key):
            app.config[key] = env[key].lower() in ("1", "true", "yes")
    _apply_prefixed_environment(app)
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
            "connect_args": {"timeout": 30},
        }


def _apply_prefixed_environment(app: Flask) -> None:
    """``IDEENMARKT_<KEY>=value`` overrides any existing setting ``KEY`` (typed like its default)."""
    for name, raw in os.environ.items():
        if not name.startswith("IDEENMARKT_"):
            continue
        key = name[len("IDEENMARKT_"):]
        if key not in app.config:
            continue
        current = app.config[key]
        if isinstance(current, bool):
            value: object = raw.lower() in ("1", "true", "yes", "on")
        elif isinstance(current, int):
            value = int(raw)
        elif isinstance(current, float):
            value = float(raw)
        else:
            value = raw
        app.config[key] = value


def _normalise_db_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` forms hosting providers use."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _require_base_url(app: Flask) -> None:
    """Production links in mails must name the public address, never a guess from a Host header."""
    if app.config["ENV_NAME"] == "production" and not app.config.get("BASE_URL"):
        raise RuntimeError(
            "BASE_URL is not set. Set the BASE_URL environment variable (or put "
            "BASE_URL = 'https://...' into instance/config.py) to the site's public address "
            "before starting in production."
        )


def _ensure_secret_key(app: Flask) -> None:
    """Production refuses to start without a key; development makes one, once."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENV_NAME"] == "production":
        raise RuntimeError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or put "
            "SECRET_KEY = '...' into instance/config.py) before starting in production."
        )
    instance = Path(app.instance_path)
    key_file = instance / "secret_key"
    instance.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several workers start at once, exactly one writes the key.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    key = ""
    for _ in range(50):  # another worker may be between creating and writing the file
        key = key_file.read_text().strip()
        if key:
            break

        time.sleep(0.01)
    if not key:
        raise RuntimeError(f"{key_file} is empty; delete it and start again.")
    app.config["SECRET_KEY"] = key
