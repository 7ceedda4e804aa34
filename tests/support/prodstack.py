"""The production stack of scripts/serve-prod.sh on free loopback ports, for tests and bench/load.py.

nginx in front (static files from the collected folder), gunicorn (gthread, several workers)
behind it, a database given by URL (migrated by the script with ``flask db upgrade``) and,
optionally, Redis. :meth:`ProductionStack.stop` ends everything; it also runs at exit.

With ``host`` and ``command_prefix`` (``ip netns exec NAME ...``) the stack is one app machine
of several (tests/support/netns.py): nginx listens on ``host:8080``, gunicorn and nginx's live
publisher on that machine's own loopback (8000, 8081), as with the script's defaults.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "serve-prod.sh"


def nginx_available() -> bool:
    return bool(shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK))


class ProductionStack:
    def __init__(self, database_url: str, *, redis_url: str | None = None, workers: int = 2, threads: int = 4,
                 env: dict[str, str] | None = None, live: bool = True, host: str = "127.0.0.1",
                 command_prefix: Sequence[str] = ()) -> None:
        # Not under pytest's 0700 tmp folders: nginx's workers (www-data) read the static files.
        self.run_dir = Path(tempfile.mkdtemp(prefix="ideenmarkt-prod-"))
        self.run_dir.chmod(0o755)
        self.instance = self.run_dir / "instance"
        self.instance.mkdir()
        self.host, self.command_prefix = host, list(command_prefix)
        own_machine = bool(self.command_prefix)
        self.port, self.app_port = (8080, 8000) if own_machine else (free_port(), free_port())
        #: nginx's live publisher (nchan), or None: the app streams the walls itself.
        self.publish_port = (8081 if own_machine else free_port()) if live else None
        self.workers = workers
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url, "SECRET_KEY": "production-test-secret-" + "k" * 24,
            "RUN_DIR": str(self.run_dir), "IDEENMARKT_INSTANCE": str(self.instance),
            "LISTEN": f"{host}:{self.port}", "APP_BIND": f"127.0.0.1:{self.app_port}",
            "WORKERS": str(workers), "THREADS": str(threads), "BASE_URL": f"http://{host}:{self.port}",
            # Plain HTTP on loopback: the browser-side cookie must come back without TLS.
            "IDEENMARKT_SESSION_COOKIE_SECURE": "0", "IDEENMARKT_REMEMBER_COOKIE_SECURE": "0",
            "LIVE_PUBLISH_LISTEN": f"127.0.0.1:{self.publish_port}" if live else "off",
            **({"REDIS_URL": redis_url} if redis_url else {}),
            **(env or {}),
        }
        if not redis_url:
            self.env.pop("REDIS_URL", None)
        self.started = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    def _script(self, command: str, timeout: float = 240) -> str:
        result = subprocess.run([*self.command_prefix, "bash", str(SCRIPT), command], env=self.env, cwd=ROOT,
                                capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"serve-prod.sh {command} failed ({result.returncode}):\n{result.stdout}\n"
                               f"{result.stderr}\n--- gunicorn log ---\n{self.log('gunicorn.log')[-3000:]}\n"
                               f"--- nginx error log ---\n{self.log('nginx-error.log')[-2000:]}")
        return result.stdout

    def start(self) -> ProductionStack:
        atexit.register(self.stop)
        self.started = True
        self._script("start")
        return self

    def stop(self) -> None:
        if self.started:
            self.started = False
            try:
                self._script("stop", timeout=90)
            finally:
                atexit.unregister(self.stop)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> ProductionStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``flask ARGS`` as the stack's job workers run (same machine, environment)."""
        env = {**self.env, "FLASK_APP": "wsgi", "IDEENMARKT_ENV": self.env.get("IDEENMARKT_ENV", "production")}
        return subprocess.run([*self.command_prefix, str(ROOT / ".venv" / "bin" / "flask"), *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def job_worker_pids(self) -> list[int]:
        """The job workers started by the script (``flask jobs worker``)."""
        return [int(path.read_text()) for path in sorted(self.run_dir.glob("jobs-*.pid"))]

    def log(self, name: str) -> str:
        path = self.run_dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def gunicorn_pid(self) -> int:
        return int((self.run_dir / "gunicorn.pid").read_text())

    def worker_pids(self) -> set[int]:
        master, pids = self.gunicorn_pid(), set()
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                fields = stat[stat.rindex(")") + 2:].split()
                if int(fields[1]) == master and fields[0] != "Z":
                    pids.add(int(entry.name))
        return pids
