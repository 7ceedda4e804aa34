"""Throwaway PostgreSQL 15 cluster for tests, on a free loopback port.

In Python::

    from tests.support.pgcluster import PostgresCluster

    with PostgresCluster() as pg:
        pg.url                          # postgresql+psycopg://ideenmarkt:…@127.0.0.1:PORT/ideenmarkt
        url = pg.create_database("ideenmarkt_gw0")   # per worker / per test
        pg.restart()                    # stop (-m fast) and start again, same port
        pg.shutdown_server(); pg.start_server()      # keep it down in between

From the shell (starts a cluster, runs the command with ``DATABASE_URL`` and
``TEST_DATABASE_URL`` set, always stops the cluster, exits with the command's
status)::

    python -m tests.support.pgcluster run -- pytest -q tests/

How it works: ``initdb`` refuses to run as root, so as root every server
command runs as the ``postgres`` OS user (``runuser -u postgres --``) in a
fresh ``/tmp/ideenmarkt-pg-*`` directory (mode 700, owned by postgres); as any
other user it runs directly. The server listens on 127.0.0.1 only, trusts
local connections (throwaway data!) and runs with fsync, synchronous_commit
and full_page_writes off for speed. ``stop()`` uses ``pg_ctl stop -m
immediate`` (the data is deleted anyway), ``restart()`` ``-m fast`` (keeps
every committed row; ``mode="immediate"`` simulates a crash); both fall back
to SIGKILL on the postmaster. ``stop()`` removes the directory and also runs
at interpreter exit.

Binaries come from ``$PG_BINDIR`` or ``/usr/lib/postgresql/15/bin``.
"""

from __future__ import annotations

import argparse
import atexit
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import FrameType, TracebackType
from urllib.parse import quote

from tests.support import wait_until
from tests.support.servers import free_port

__all__ = ["PostgresCluster", "PostgresError", "main"]

DEFAULT_BINDIR = "/usr/lib/postgresql/15/bin"
HOST = "127.0.0.1"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresError(RuntimeError):
    """A cluster command failed; the message carries its output and the server log."""


class PostgresCluster:
    """A private PostgreSQL server with role and database ``ideenmarkt``.

    :param user: role (and default database) created for the application.
    :param password: its password; random if not given. With trust
        authentication it is not checked, but it is part of :attr:`url` so
        the application's URL handling is exercised.
    :param bindir: directory with ``initdb``, ``pg_ctl`` and ``postgres``.
    :param extra_options: further ``-c name=value`` server settings.
    :param host: the address the server listens on and :attr:`url` names (another machine's,
        see tests/support/netns.py); clients from ``hba`` networks need the password.
    :param command_prefix: run every server command through it (``ip netns exec NAME``).
    :param hba: networks (``10.231.7.0/24``) allowed to connect with the password (scram).
    """

    def __init__(
        self,
        *,
        user: str = "ideenmarkt",
        password: str | None = None,
        bindir: str | None = None,
        extra_options: Sequence[str] = (),
        start_timeout: float = 60.0,
        host: str = HOST,
        command_prefix: Sequence[str] = (),
        hba: Sequence[str] = (),
    ) -> None:
        if not _IDENTIFIER.match(user):
            raise ValueError(f"unsafe role name {user!r}")
        self.user = user
        self.password = password or secrets.token_urlsafe(16)
        self.bindir = Path(bindir or os.environ.get("PG_BINDIR") or DEFAULT_BINDIR)
        self.extra_options = list(extra_options)
        self.start_timeout = start_timeout
        self.host = host
        self.command_prefix = list(command_prefix)
        self.hba = list(hba)
        self.port: int | None = None
        self.base_dir: Path | None = None
        self._running = False

    # -- paths and URLs ---------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._base() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._base() / "sock"

    @property
    def log_path(self) -> Path:
        return self._base() / "postgres.log"

    def _base(self) -> Path:
        if self.base_dir is None:
            raise RuntimeError("cluster not started")
        return self.base_dir

    def url_for(self, dbname: str, *, driver: str | None = "psycopg") -> str:
        """URL of ``dbname`` as the application role.

        :param driver: SQLAlchemy driver suffix; ``None`` gives a plain libpq
            URL (``postgresql://…``) for ``psycopg.connect``.
        """
        if self.port is None:
            raise RuntimeError("cluster not started")
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        auth = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"{scheme}://{auth}@{self.host}:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``ideenmarkt`` database."""
        return self.url_for(self.user)

    @property
    def dsn(self) -> str:
        """libpq URL of the ``ideenmarkt`` database (for ``psycopg.connect``)."""
        return self.url_for(self.user, driver=None)

    # -- lifecycle -------------------------------------------------------

    def start(self) -> PostgresCluster:
        """initdb, start the server, create role and database. Idempotent."""
        if self._running:
            return self
        self._check_binaries()
        try:
            self._make_dirs()
            self._initdb()
            for attempt in range(3):
                self.port = free_port()
                try:
                    self.start_server()
                    break
                except PostgresError as exc:
                    # Someone took the port between free_port() and bind: retry.
                    if attempt == 2 or "already in use" not in str(exc):
                        raise
            self._create_role_and_database()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (``-m immediate``) and delete all its files. Idempotent."""
        try:
            self.shutdown_server(mode="immediate")
        finally:
            if self.base_dir is not None:
                shutil.rmtree(self.base_dir, ignore_errors=True)
                self.base_dir = None
                self.port = None
            atexit.unregister(self.stop)

    def restart(self, *, mode: str = "fast") -> None:
        """Stop and start again on the same port, keeping the data.

        Open connections break, as they would if production's server went
        away; pools must reconnect. See :meth:`shutdown_server` for ``mode``.
        """
        self.shutdown_server(mode=mode)
        self.start_server()

    def shutdown_server(self, *, mode: str = "fast") -> None:
        """Stop the server but keep the data (see :meth:`start_server`).

        :param mode: ``pg_ctl stop -m`` mode. ``"fast"`` disconnects all
            sessions and keeps every committed transaction. ``"immediate"`` is
            a crash: with ``synchronous_commit=off`` the last ~0.2 s of
            commits may be lost.
        """
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"unknown shutdown mode {mode!r}")
        if not self._running or self.base_dir is None:
            return
        self._running = False
        result = self._run_pg(
            [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data_dir),
             "-m", mode, "-w", "-t", "30"],
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            self._kill_postmaster()

    def start_server(self) -> None:
        """Start the (initialised) server on :attr:`port` and wait until it accepts."""
        if self._running:
            return
        options = [
            "-p", str(self.port),
            "-k", str(self.socket_dir),
            "-c", f"listen_addresses={self.host}",
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "max_connections=300",
            *(part for option in self.extra_options for part in ("-c", option)),
        ]  # fmt: skip
        atexit.register(self.stop)
        result = self._run_pg(
            [str(self.bindir / "pg_ctl"), "start", "-D", str(self.data_dir),
             "-l", str(self.log_path), "-w", "-t", str(int(self.start_timeout)),
             "-o", shlex.join(options)],
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            self._kill_postmaster()
            raise PostgresError(
                f"pg_ctl start failed ({result.returncode}):\n{result.stdout}\n"
                f"--- server log ---\n{self.log_text()}"
            )
        self._running = True
        wait_until(
            self._accepts_connections,
            timeout=self.start_timeout,
            message=lambda: (
                f"PostgreSQL on port {self.port} not accepting connections\n"
                f"--- server log ---\n{self.log_text()}"
            ),
        )

    @property
    def running(self) -> bool:
        return self._running

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------

    def create_database(self, name: str, *, template: str = "template1") -> str:
        """Create database ``name`` owned by the application role; return its URL.

        :raises ValueError: for names that are not plain lowercase identifiers.
        """
        for identifier in (name, template):
            if not _IDENTIFIER.match(identifier):
                raise ValueError(f"unsafe database name {identifier!r}")
        self.execute_admin(f'CREATE DATABASE "{name}" OWNER "{self.user}" TEMPLATE "{template}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, disconnecting its sessions."""
        if not _IDENTIFIER.match(name):
            raise ValueError(f"unsafe database name {name!r}")
        self.execute_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute_admin(self, sql: str, dbname: str = "postgres") -> None:
        """Run one statement as superuser over the Unix socket (autocommit)."""
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user="postgres",
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(sql.encode())

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except (OSError, RuntimeError):
            return ""

    # -- internals ---------------------------------------------------------

    @staticmethod
    def _as_root() -> bool:
        return os.geteuid() == 0

    def _check_binaries(self) -> None:
        for name in ("initdb", "pg_ctl", "postgres"):
            if not os.access(self.bindir / name, os.X_OK):
                raise PostgresError(f"{self.bindir / name} not found (set PG_BINDIR?)")
        if self._as_root():
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresError(
                    "running as root but there is no 'postgres' OS user to run initdb as"
                ) from None

    def _make_dirs(self) -> None:
        self.base_dir = Path(tempfile.mkdtemp(prefix="ideenmarkt-pg-"))  # mode 700
        for sub in (self.data_dir, self.socket_dir):
            sub.mkdir(mode=0o700)
        if self._as_root():
            entry = pwd.getpwnam("postgres")
            for path in (self.base_dir, self.data_dir, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        self._run_pg(
            [str(self.bindir / "initdb"), "-D", str(self.data_dir),
             "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
             "--no-sync", "--no-instructions"],
        )  # fmt: skip
        if self.hba:
            with (self.data_dir / "pg_hba.conf").open("a") as hba:
                hba.writelines(f"host all all {network} scram-sha-256\n" for network in self.hba)

    def _create_role_and_database(self) -> None:
        password = self.password.replace("'", "''")
        self.execute_admin(f"CREATE ROLE \"{self.user}\" LOGIN CREATEDB PASSWORD '{password}'")
        self.execute_admin(f'CREATE DATABASE "{self.user}" OWNER "{self.user}"')

    def _run_pg(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        if self._as_root():
            argv = ["runuser", "-u", "postgres", "--", *argv]
        argv = [*self.command_prefix, *argv]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        result = subprocess.run(
            argv,
            cwd=self._base(),  # postgres may not be allowed into the caller's cwd
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise PostgresError(
                f"{shlex.join(argv)} failed ({result.returncode}):\n{result.stdout}"
            )
        return result

    def _postmaster_pid(self) -> int | None:
        try:
            first_line = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first_line)
        except (OSError, ValueError, RuntimeError):
            return None

    def _kill_postmaster(self) -> None:
        """Last resort: SIGKILL the postmaster and wait until it is gone."""
        pid = self._postmaster_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_until(lambda: not _pid_alive(pid), timeout=10, message=f"postmaster {pid} alive")

    def _accepts_connections(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.dsn, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            # The role does not exist yet during start(); the socket answered.
            return _connect_as_superuser(self)


def _connect_as_superuser(cluster: PostgresCluster) -> bool:
    import psycopg

    try:  # over the Unix socket: trusted whatever address the server listens on
        with psycopg.connect(
            host=str(cluster.socket_dir), port=cluster.port, user="postgres", dbname="postgres",
            connect_timeout=2,
        ):
            return True
    except psycopg.OperationalError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# -- command line ----------------------------------------------------------


def _in_terminal_foreground() -> bool:
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError):
        return False


def _run_command(command: Sequence[str]) -> int:
    cluster = PostgresCluster()
    child: subprocess.Popen[bytes] | None = None
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if child is None or child.poll() is not None:
            raise SystemExit(128 + signum)  # runs the finally: cluster.stop()
        # Let the command clean up; the cluster stops after it exits. Ctrl-C on
        # a terminal already reached the whole foreground group: don't repeat it.
        if not (signum == signal.SIGINT and _in_terminal_foreground()):
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        cluster.start()
        env = dict(os.environ, DATABASE_URL=cluster.url, TEST_DATABASE_URL=cluster.url)
        print(f"pgcluster: PostgreSQL on port {cluster.port}: {cluster.url}", file=sys.stderr)
        try:
            child = subprocess.Popen(list(command), env=env)
        except OSError as exc:
            print(f"pgcluster: cannot run {command[0]!r}: {exc}", file=sys.stderr)
            return 127
        returncode = child.wait()
        return 128 - returncode if returncode < 0 else returncode
    finally:
        cluster.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.pgcluster",
        description="Run a command against a throwaway PostgreSQL 15 cluster.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser(
        "run", help="start a cluster, run CMD with DATABASE_URL/TEST_DATABASE_URL, stop it"
    )
    run.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]")
    args = parser.parse_args(argv)
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        parser.error("run needs a command: run -- CMD [ARGS...]")
    return _run_command(command)


if __name__ == "__main__":
    sys.exit(main())
