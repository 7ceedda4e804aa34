"""Self-check of tests/support against tiny throwaway apps (not the real app).

Run::

    PYTHONPATH=. .venv/bin/python -m pytest -p no:cacheprovider \\
        --import-mode=importlib tests/support -q
"""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
from flask import Flask, Response

from tests.support import wait_until
from tests.support.browser import (
    SKIP_REASON,
    assert_no_axe_violations,
    chromium,
    chromium_available,
    run_axe,
)
from tests.support.pgcluster import PostgresCluster
from tests.support.servers import GunicornServer, LiveServer, RedisServer, free_port
from tests.support.smtp import SMTPCatcher, find_links

REPO_ROOT = Path(__file__).resolve().parents[2]
STRICT_CSP = "default-src 'self'; script-src 'self'"


def _pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


# -- PostgreSQL ------------------------------------------------------------


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresCluster]:
    with PostgresCluster() as cluster:
        yield cluster


def test_postgres_cluster_serves_and_survives_restart(pg: PostgresCluster) -> None:
    assert pg.url.startswith("postgresql+psycopg://ideenmarkt:")
    assert pg.url.endswith(f"@127.0.0.1:{pg.port}/ideenmarkt")
    with psycopg.connect(pg.dsn) as conn:
        assert conn.execute("SELECT 1, current_user").fetchone() == (1, "ideenmarkt")

    worker_url = pg.create_database("selfcheck_gw0")
    assert worker_url.endswith("/selfcheck_gw0")
    with psycopg.connect(pg.url_for("selfcheck_gw0", driver=None)) as conn:
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (42)")
        conn.commit()

    stale = psycopg.connect(pg.dsn)
    port = pg.port
    pg.restart()
    assert pg.port == port
    with pytest.raises(psycopg.OperationalError):
        stale.execute("SELECT 1")
    stale.close()
    with psycopg.connect(pg.url_for("selfcheck_gw0", driver=None)) as conn:
        assert conn.execute("SELECT n FROM kept").fetchone() == (42,)

    pg.shutdown_server(mode="immediate")  # "database down"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg.dsn, connect_timeout=2)
    pg.start_server()
    with psycopg.connect(pg.dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    pg.drop_database("selfcheck_gw0")


def test_postgres_cluster_stop_leaves_nothing_behind() -> None:
    cluster = PostgresCluster().start()
    base_dir = cluster.base_dir
    assert base_dir is not None
    postmaster = int((base_dir / "data" / "postmaster.pid").read_text().split()[0])
    assert _pid_alive(postmaster)
    cluster.stop()
    cluster.stop()  # idempotent
    assert not base_dir.exists()
    assert not _pid_alive(postmaster)


def test_pgcluster_cli_sets_urls_and_passes_exit_code() -> None:
    script = textwrap.dedent(
        """
        import os, sys, psycopg
        url = os.environ["DATABASE_URL"]
        assert url == os.environ["TEST_DATABASE_URL"]
        with psycopg.connect(url.replace("+psycopg", "")) as conn:
            conn.execute("SELECT 1")
        sys.exit(3)
        """
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.pgcluster",
            "run",
            "--",
            sys.executable,
            "-c",
            script,
        ],
        cwd=REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr


# -- SMTP ------------------------------------------------------------------


def _mail(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "noreply@ideenmarkt.example"
    message["To"] = "Jörg Müller <joerg@example.org>"
    message["Subject"] = subject
    message.set_content("Bitte bestätigen: https://ideen.example/confirm/abc?x=1&y=2.\n")
    message.add_alternative(
        '<p><a href="https://ideen.example/confirm/abc?x=1&amp;y=2">Bestätigen</a></p>',
        subtype="html",
    )
    return message


def test_smtp_catcher_receives_and_restarts_on_same_port() -> None:
    with SMTPCatcher() as smtp:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as client:
            client.send_message(
                _mail("Anmeldung"), to_addrs=["joerg@example.org", "bcc@example.org"]
            )
        [mail] = smtp.wait_for(lambda m: m["Subject"] == "Anmeldung")
        assert isinstance(mail, EmailMessage)
        assert mail["To"].addresses[0].display_name == "Jörg Müller"
        assert smtp.envelopes[0].rcpt_tos == ("joerg@example.org", "bcc@example.org")
        assert find_links(mail) == ["https://ideen.example/confirm/abc?x=1&y=2"]

        port = smtp.port
        smtp.stop()
        with pytest.raises(ConnectionRefusedError):
            smtplib.SMTP(smtp.host, port, timeout=5)
        smtp.restart()
        assert smtp.port == port
        with smtplib.SMTP(smtp.host, port, timeout=5) as client:
            client.send_message(_mail("Erinnerung"))
        assert len(smtp.wait_for(count=2)) == 2

        with pytest.raises(AssertionError, match="Erinnerung"):
            smtp.wait_for(count=3, timeout=0.2)
        smtp.clear()
        assert smtp.messages == []


# -- LiveServer, Chromium, axe ------------------------------------------------


def _tiny_flask_app() -> Flask:
    app = Flask("selfcheck")
    page = (
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Selbsttest</title>'
        "</head><body><main><h1>Selbsttest</h1><form>{field}"
        '<button type="submit">Senden</button></form></main></body></html>'
    )

    @app.after_request
    def strict_csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = STRICT_CSP
        return response

    @app.get("/")
    def good() -> str:
        return page.format(field='<label for="q">Idee</label><input id="q" name="q">')

    @app.get("/bad")
    def bad() -> str:
        return page.format(field='<input name="q">')

    return app


@pytest.mark.skipif(not chromium_available(), reason=SKIP_REASON)
def test_chromium_and_axe_under_strict_csp(browser) -> None:
    # Uses the session's Chromium (conftest): a second sync Playwright in the same
    # process would fail while the first one runs.
    from playwright.sync_api import Error as PlaywrightError

    with LiveServer(_tiny_flask_app()) as server:
        page = browser.new_page()
        response = page.goto(server.url + "/")
        assert response is not None and response.ok
        assert response.headers["content-security-policy"] == STRICT_CSP
        assert page.get_by_role("heading", name="Selbsttest").is_visible()
        # The CSP really is enforced: inline scripts (add_script_tag) are blocked ...
        with pytest.raises(PlaywrightError, match="Content Security Policy"):
            page.add_script_tag(content="window.injected = 1")
        # ... yet axe (injected with evaluate) runs.
        assert run_axe(page) == []
        assert_no_axe_violations(page, context="labelled form")

        page.goto(server.url + "/bad")
        violations = run_axe(page)
        assert "label" in {v["id"] for v in violations}
        with pytest.raises(AssertionError, match=r"(?s)unlabelled form.*- label \(critical\)"):
            assert_no_axe_violations(page, context="unlabelled form")
        assert "label" not in {v["id"] for v in run_axe(page, disable_rules=["label"])}


# -- gunicorn -------------------------------------------------------------------


GUNICORN_APP = """
import os
from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return "ok"


@app.get("/pid")
def pid():
    return str(os.getpid())
"""


def test_gunicorn_two_workers_serve_and_recover(tmp_path: Path) -> None:
    (tmp_path / "selfcheck_app.py").write_text(GUNICORN_APP)
    with GunicornServer("selfcheck_app:app", workers=2, cwd=tmp_path) as gunicorn:
        workers = gunicorn.wait_for_workers(2)
        seen: set[int] = set()

        def burst() -> bool:
            with ThreadPoolExecutor(max_workers=8) as pool:
                seen.update(
                    int(p) for p in pool.map(lambda _: _get(gunicorn.url + "/pid"), range(16))
                )
            return len(seen) >= 2

        wait_until(burst, timeout=15, message=lambda: f"only saw worker pids {seen}")
        assert seen == workers

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)

        def victim_replaced() -> set[int] | None:
            pids = gunicorn.worker_pids()
            return pids if len(pids) == 2 and victim not in pids else None

        replaced = wait_until(victim_replaced, timeout=15)
        assert _get(gunicorn.url + "/healthz") == "ok"
        master = gunicorn.pid
    assert not _pid_alive(master)
    assert not any(_pid_alive(pid) for pid in replaced)


def test_gunicorn_failure_shows_log(tmp_path: Path) -> None:
    (tmp_path / "broken_app.py").write_text("raise RuntimeError('selfcheck boom')\n")
    server = GunicornServer("broken_app:app", workers=1, cwd=tmp_path, startup_timeout=15)
    with pytest.raises(RuntimeError, match="selfcheck boom"):
        server.start()
    assert server.process is None


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# -- Redis -------------------------------------------------------------------------


@pytest.mark.skipif(not RedisServer.available(), reason="redis-server not installed")
def test_redis_server_start_ping_restart_stop() -> None:
    import redis

    with RedisServer() as server:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = redis.Redis.from_url(server.url)
        client.set("dots", 3)
        assert client.incr("dots") == 4
        server.restart()
        assert client.ping()
        assert client.get("dots") is None  # no persistence
        client.close()
    assert not server.ping()
