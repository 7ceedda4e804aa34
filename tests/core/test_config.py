"""Configuration: production needs a SECRET_KEY; development makes one, once."""
from __future__ import annotations

import pytest

from app import create_app
from config import DevelopmentConfig, ProductionConfig


def test_production_without_secret_key_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=str(tmp_path))


def test_development_generates_a_key_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=str(tmp_path))
    second = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=str(tmp_path))
    key = first.config["SECRET_KEY"]
    assert key and len(key) >= 32
    assert second.config["SECRET_KEY"] == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    other = tmp_path / "other"
    third = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=str(other))
    assert third.config["SECRET_KEY"] != key


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:5/db")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("BABEL_DEFAULT_LOCALE", "en")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("BASE_URL", "https://beteiligung.example/")
    app = create_app(ProductionConfig, INSTANCE_PATH=str(tmp_path))
    assert app.config["BASE_URL"] == "https://beteiligung.example"
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@127.0.0.1:5/db"
    assert app.config["MAIL_SERVER"] == "smtp.example.org" and app.config["MAIL_PORT"] == 2525
    assert app.config["BABEL_DEFAULT_LOCALE"] == "en"
    assert app.config["RATELIMIT_STORAGE_URI"] == "ideenmarkt-redis://"  # Redis, falling back to the database
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {"redis_url": "redis://127.0.0.1:1/0"}


def test_instance_config_file_overrides_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "config.py").write_text("SECRET_KEY = 'from-instance-file-0123456789abcdef'\nBASE_URL = 'https://beteiligung.example'\n")
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=str(tmp_path))
    assert app.config["SECRET_KEY"] == "from-instance-file-0123456789abcdef"
    assert app.config["BASE_URL"] == "https://beteiligung.example"


#: Settings whose environment override is not a plain value: the database URL is normalised
#: (tested above), the list of proxies is parsed (tests/core/test_proxies.py), the class name
#: is chosen by IDEENMARKT_ENV, TESTING switches the instance file off, and REDIS_URL must be a
#: real Redis address (the background jobs connect to it at start; tested above); the metrics'
#: networks are parsed like the proxies (tests/metrics).
NOT_PLAIN = {"SQLALCHEMY_DATABASE_URI", "TRUSTED_PROXIES", "ENV_NAME", "TESTING", "REDIS_URL", "METRICS_NETWORKS", "SENTRY_DSN"}


def _documented_settings(app) -> set[str]:
    """Every setting of config.py, and every setting the README names that the app knows."""
    import re
    from pathlib import Path

    import config

    declared = {name for name in dir(config.Config) if name.isupper()}
    readme = (Path(config.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    named = {name for name in re.findall(r"`([A-Z][A-Z0-9_]{3,})`", readme) if name in app.config}
    return declared | named


def _other_value(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 3
    if isinstance(value, float):
        return value + 0.25
    if value is None or isinstance(value, str):
        return f"{value or ''}-from-environment"
    return None  # lists, dicts: not settable from the environment


def test_every_documented_setting_is_declared_in_config_py(tmp_path):
    """A default set later by a feature (``app.config.setdefault``) would not see IDEENMARKT_<KEY>."""
    import config

    app = create_app(config.TestingConfig, INSTANCE_PATH=str(tmp_path))
    undeclared = sorted(name for name in _documented_settings(app) if not hasattr(config.Config, name))
    assert undeclared == []


def test_each_documented_setting_overridden_by_environment_takes_effect(tmp_path, monkeypatch):
    import config

    plain = create_app(config.TestingConfig, INSTANCE_PATH=str(tmp_path))
    monkeypatch.chdir(tmp_path)  # a path setting "-from-environment" makes its file here, not in the checkout
    wanted = {}
    for name in sorted(_documented_settings(plain) - NOT_PLAIN):
        value = _other_value(plain.config[name])
        if value is None:
            continue
        wanted[name] = value
        raw = ("1" if value else "0") if isinstance(value, bool) else str(value)
        monkeypatch.setenv(f"IDEENMARKT_{name}", raw)
    # The settings issue 23 found ignored (their defaults lived in the feature packages).
    assert {"PRIVACY_OPERATOR_NAME", "ACCESSIBILITY_STATEMENT_DATE", "LOTTERY_TABLE_SIZE", "FEEDBACK_RATE_LIMIT",
            "VOTING_CODE_RATE_LIMIT", "MEASURES_IMPORT_MAX_BYTES", "AUDIT_PER_PAGE", "IDEAS_STREAM_POLL",
            "LOTTERY_REPLACEMENT_REPLY_HOURS", "PRIVACY_SENT_MAIL_DAYS"} <= set(wanted)
    monkeypatch.setenv("IDEENMARKT_SECRET_KEY", "e" * 40)
    wanted["SECRET_KEY"] = "e" * 40
    app = create_app(config.TestingConfig, INSTANCE_PATH=str(tmp_path / "env"))
    wrong = {name: (app.config[name], value) for name, value in wanted.items() if app.config[name] != value}
    assert wrong == {}


def test_the_unprefixed_stream_variables_are_not_read(tmp_path, monkeypatch):
    import config

    monkeypatch.setenv("IDEAS_STREAM_SECONDS", "99")
    monkeypatch.setenv("IDEENMARKT_IDEAS_STREAM_POLL", "0.125")
    app = create_app(config.TestingConfig, INSTANCE_PATH=str(tmp_path))
    assert app.config["IDEAS_STREAM_SECONDS"] == 25.0 and app.config["IDEAS_STREAM_POLL"] == 0.125
