"""HTTP and Redis servers on loopback for integration and browser tests.

Usage::

    from tests.support.servers import LiveServer, GunicornServer, RedisServer

    with LiveServer(app) as server:           # werkzeug, background thread
        page.goto(server.url + "/")

    with GunicornServer("wsgi:app", workers=2, cwd=repo_root,
                        env={"DATABASE_URL": url}) as gunicorn:
        urllib.request.urlopen(gunicorn.url + "/healthz")
        gunicorn.worker_pids()                # {pid, pid}; kill one to test recovery

    if RedisServer.available():
        with RedisServer() as redis_server:
            redis_server.url                  # redis://127.0.0.1:PORT/0

Every server binds ``127.0.0.1`` on a port from :func:`free_port`; ``stop()``
is idempotent and also runs at interpreter exit, so no process outlives the
test session.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from tests.support import wait_until

__all__ = ["free_port", "LiveServer", "GunicornServer", "RedisServer"]

HOST = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port_accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _terminate_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM the process group led by ``process``, SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=timeout)


class _Managed:
    """Context-manager plumbing shared by the servers."""

    def start(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class LiveServer(_Managed):
    """Serve a WSGI app from a background thread (werkzeug, threaded)."""

    def __init__(self, app: Any, *, port: int | None = None) -> None:
        self.app = app
        self.host = HOST
        self.port = port or free_port()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        if self._server is not None:
            return self
        # make_server binds and listens before returning: no readiness wait needed.
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"LiveServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        atexit.unregister(self.stop)


class _GunicornExited(Exception):
    pass


class GunicornServer(_Managed):
    """Run ``gunicorn`` (the current interpreter's) as a subprocess.

    :param app_spec: WSGI application, e.g. ``"wsgi:app"`` or
        ``"app:create_app()"``.
    :param workers: number of (sync) worker processes.
    :param env: variables added to (or, with ``inherit_env=False``, replacing)
        this process's environment.
    :param cwd: working directory; gunicorn imports ``app_spec`` from there.
    :param health_path: polled until it answers 200 in :meth:`start`.
    :param startup_timeout: seconds for gunicorn to become healthy.
    :param extra_args: further gunicorn command line options.
    """

    def __init__(
        self,
        app_spec: str,
        *,
        workers: int = 2,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        health_path: str = "/healthz",
        startup_timeout: float = 30.0,
        extra_args: Sequence[str] = (),
        inherit_env: bool = True,
        port: int | None = None,
    ) -> None:
        self.app_spec = app_spec
        self.workers = workers
        self.env = dict(env or {})
        self.cwd = Path(cwd) if cwd is not None else None
        self.health_path = health_path
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args)
        self.inherit_env = inherit_env
        self.host = HOST
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """PID of the gunicorn master."""
        if self.process is None:
            raise RuntimeError("gunicorn is not running")
        return self.process.pid

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn",
            "--workers", str(self.workers),
            "--bind", f"{self.host}:{self.port}",
            "--graceful-timeout", "5",
            "--access-logfile", "-",
            "--error-logfile", "-",
            *self.extra_args,
            self.app_spec,
        ]  # fmt: skip

    def log_text(self) -> str:
        """Everything gunicorn (and the app) wrote to stdout/stderr so far."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def start(self) -> GunicornServer:
        if self.process is not None:
            return self
        env = dict(os.environ) if self.inherit_env else {}
        env.update(self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        fd, log_name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
        self.log_path = Path(log_name)
        self._log_file = os.fdopen(fd, "wb")
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() kills master + workers
        )
        atexit.register(self.stop)
        try:
            wait_until(
                self._healthy,
                timeout=self.startup_timeout,
                message=lambda: (
                    f"gunicorn {self.app_spec} not healthy at {self.url}{self.health_path}"
                ),
            )
        except (TimeoutError, _GunicornExited) as exc:
            log = self.log_text()
            self.stop()
            raise RuntimeError(f"{exc}\n--- gunicorn log ---\n{log}") from None
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise _GunicornExited(f"gunicorn exited with {self.process.returncode}")
        try:
            with urllib.request.urlopen(self.url + self.health_path, timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def worker_pids(self) -> set[int]:
        """PIDs of the master's current worker processes (read from /proc)."""
        master = self.pid
        pids: set[int] = set()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            # "pid (comm) state ppid ..." - comm may contain spaces and ")".
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == master and fields[0] != "Z":
                pids.add(int(entry.name))
        return pids

    def wait_for_workers(self, count: int | None = None, timeout: float = 15.0) -> set[int]:
        """Wait until ``count`` (default: ``workers``) workers are alive; return them."""
        wanted = self.workers if count is None else count

        def all_up() -> set[int] | None:
            pids = self.worker_pids()
            return pids if len(pids) == wanted else None

        return wait_until(
            all_up,
            timeout=timeout,
            message=lambda: (
                f"expected {wanted} gunicorn workers, have "
                f"{sorted(self.worker_pids())}\n--- gunicorn log ---\n{self.log_text()}"
            ),
        )

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is not None:
            _terminate_group(process, timeout)
            atexit.unregister(self.stop)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)  # read log_text() before stop()
            self.log_path = None


class RedisServer(_Managed):
    """A throw-away ``redis-server`` without persistence.

    ``host`` and ``command_prefix`` put it on another machine (``ip netns exec NAME``, see
    tests/support/netns.py); it then listens on that machine's address only.
    """

    EXECUTABLE = "/usr/bin/redis-server"

    def __init__(self, *, port: int | None = None, startup_timeout: float = 10.0, host: str = HOST,
                 command_prefix: Sequence[str] = ()) -> None:
        self.host = host
        self.command_prefix = list(command_prefix)
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None

    @classmethod
    def executable(cls) -> str | None:
        if os.access(cls.EXECUTABLE, os.X_OK):
            return cls.EXECUTABLE
        return shutil.which("redis-server")

    @classmethod
    def available(cls) -> bool:
        """True if a redis-server binary exists (use with ``pytest.skip``)."""
        return cls.executable() is not None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def ping(self) -> bool:
        """True if the server answers PING (raw RESP, no client library)."""
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> RedisServer:
        if self.process is not None:
            return self
        executable = self.executable()
        if executable is None:
            raise RuntimeError("redis-server not installed (scripts/install-test-deps.sh)")
        self._dir = self._dir or tempfile.mkdtemp(prefix="ideenmarkt-redis-")
        self.process = subprocess.Popen(
            [
                *self.command_prefix,
                executable,
                "--port", str(self.port),
                "--bind", self.host,
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", self._dir,
                # Another machine's address: no protected mode (it would refuse all but loopback).
                *(("--protected-mode", "no") if self.host != HOST else ()),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        atexit.register(self.stop)
        process = self.process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {process.returncode}")
            return self.ping()

        try:
            wait_until(ready, timeout=self.startup_timeout, message="redis-server not ready")
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self) -> RedisServer:
        """Stop and start again on the same port (data is lost)."""
        self._stop_process()
        return self.start()

    def _stop_process(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            _terminate_group(process, timeout=10)
            atexit.unregister(self.stop)

    def stop(self) -> None:
        self._stop_process()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
