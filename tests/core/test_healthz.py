"""/healthz: 200 with the database reachable, 503 otherwise."""
from __future__ import annotations

from app import create_app
from config import TestingConfig


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_healthz_unavailable_without_database(tmp_path):
    missing = tmp_path / "no-such-dir" / "db.sqlite"  # SQLite cannot create the file here
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}", INSTANCE_PATH=str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_unavailable_when_postgres_is_down(tmp_path):
    from tests.support.servers import free_port

    url = f"postgresql+psycopg://nobody:x@127.0.0.1:{free_port()}/none"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp_path))
    assert app.test_client().get("/healthz").status_code == 503
