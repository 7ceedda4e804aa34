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
