"""Several machines on one: Linux network namespaces joined by a bridge (tests, bench/load.py).

README "Deployment on several machines" as a test can run it::

    from tests.support.netns import Machines, netns_unavailable

    with Machines(app_hosts=2) as machines:      # needs root (CI runs as root)
        machines.lb_url                          # http://10.231.N.10  the load balancer (nginx)
        machines.apps[0].url                     # http://10.231.N.11:8080  app host 1's own nginx
        machines.pg.url, machines.redis.url      # the database host, the Redis host
        machines.stop_host(0)                    # kill every process of app host 1, cut its cable

:class:`Network` makes the private network ``10.231.N.0/24`` (``N`` free, from the process id):
a bridge in a namespace of its own (``imt<pid>-sw``) and, per host, a namespace
(``imt<pid>-app1``, ...) whose ``eth0`` is one end of a veth pair plugged into the bridge. The
test's own namespace gets one veth into the bridge too (addresses ``.1`` and ``.2``), so the
test process reaches every host; nothing is routed anywhere else, the real network is never
touched. Each app host also gets its own host name (a UTS namespace): job workers tell their
machines apart by it.

:class:`Machines` starts on it what the README describes:

* ``db``    (``.20``) PostgreSQL 15 (tests/support/pgcluster.py), password login from the network;
* ``redis`` (``.30``) redis-server: rate limits, the job queue (Huey), nchan's channels;
* ``app1``, ``app2`` (``.11``, ``.12``) each the stack of scripts/serve-prod.sh: nginx with
  the config of ``flask deploy nginx-config`` (nchan on Redis), gunicorn, a job worker;
* ``lb``    (``.10``) nginx as the load balancer: round robin over the app hosts' nginx,
  failing over when a host does not answer (:data:`LB_CONFIG`).

Everything is stopped by :meth:`Machines.stop` (also at interpreter exit), even after a
failure: every process left in one of the namespaces is killed by its id (``ip netns
pids``), then the namespaces are deleted, which removes their veth pairs. Namespaces of
an earlier run whose process is gone (killed test run) are removed at the next start.
"""
from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tests.support import wait_until
from tests.support.pgcluster import _pid_alive as _alive

PREFIX = "imt"
_OURS = re.compile(rf"^{PREFIX}(\d+)-")
ROOT = Path(__file__).resolve().parents[2]


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def netns_unavailable() -> str | None:
    """Why network namespaces cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    for tool in ("ip", "unshare", "hostname"):
        if not shutil.which(tool):
            return f"`{tool}` is not installed (iproute2, util-linux)"
    probe = f"{PREFIX}{os.getpid()}-probe"
    result = _ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        return f"`ip netns add` does not work here: {result.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def remove_stale() -> None:
    """Remove the namespaces (and their processes) of earlier runs whose process is gone."""
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        match = _OURS.match(name)
        if match and not _alive(int(match.group(1))):
            _kill_namespace(name)
            _ip("netns", "del", name, check=False)
    for line in _ip("-o", "link", "show", check=False).stdout.splitlines():
        match = re.match(rf"^\d+: ({PREFIX}(\d+)r)[@:]", line)
        if match and not _alive(int(match.group(2))):
            _ip("link", "del", match.group(1), check=False)


def _namespace_pids(name: str) -> list[int]:
    result = _ip("netns", "pids", name, check=False)
    return [int(pid) for pid in result.stdout.split() if pid.isdigit()]


def _kill_namespace(name: str, timeout: float = 10) -> None:
    """SIGKILL every process in namespace ``name`` (ours: started in it) and wait until gone."""
    pids = _namespace_pids(name)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


class Network:
    """A private network ``10.231.N.0/24`` of namespaces on a bridge (see the module docstring)."""

    def __init__(self) -> None:
        self.tag = f"{PREFIX}{os.getpid()}"
        self.subnet: int | None = None
        self.hosts: dict[str, str] = {}
        self.started = False

    # -- addresses and names ------------------------------------------------

    def address(self, last: int) -> str:
        return f"10.231.{self.subnet}.{last}"

    @property
    def cidr(self) -> str:
        return f"10.231.{self.subnet}.0/24"

    @property
    def client(self) -> str:
        """The test process's address (its own namespace)."""
        return self.address(1)

    @property
    def second_client(self) -> str:
        """A second address of the test process (bind to it: another visitor)."""
        return self.address(2)

    def namespace(self, host: str) -> str:
        return f"{self.tag}-{host}"

    def prefix(self, host: str, hostname: str | None = None) -> list[str]:
        """The command prefix that runs a program on ``host`` (with its own host name if given)."""
        argv = ["ip", "netns", "exec", self.namespace(host)]
        if hostname:
            argv += ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', hostname]
        return argv

    def _free_subnet(self) -> int:
        used = set(re.findall(r"inet 10\.231\.(\d+)\.", _ip("-o", "-4", "addr", "show").stdout))
        start = os.getpid() % 200
        for step in range(200):
            candidate = 20 + (start + step) % 200
            if str(candidate) not in used:
                return candidate
        raise RuntimeError("no free 10.231.N.0/24 network")

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> Network:
        remove_stale()
        atexit.register(self.stop)
        self.started = True
        self.subnet = self._free_subnet()
        switch = self.namespace("sw")
        _ip("netns", "add", switch)
        _ip("-n", switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", switch, "link", "set", "br0", "up")
        # The test's own end: a veth whose other end is plugged into the bridge.
        root_end = f"{self.tag}r"
        _ip("link", "add", root_end, "type", "veth", "peer", "name", "up0", "netns", switch)
        _ip("-n", switch, "link", "set", "up0", "master", "br0", "up")
        for last in (1, 2):
            _ip("addr", "add", f"{self.address(last)}/24", "dev", root_end)
        _ip("link", "set", root_end, "up")
        return self

    def add_host(self, host: str, last: int) -> str:
        """A machine ``host`` with address ``.last`` on the bridge; returns the address."""
        namespace, switch = self.namespace(host), self.namespace("sw")
        _ip("netns", "add", namespace)
        _ip("-n", namespace, "link", "set", "lo", "up")
        _ip("-n", switch, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        _ip("-n", switch, "link", "set", host, "master", "br0", "up")
        _ip("-n", namespace, "addr", "add", f"{self.address(last)}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        self.hosts[host] = self.address(last)
        return self.hosts[host]

    def kill(self, host: str) -> None:
        """Kill every process running on ``host`` (SIGKILL, as a machine that loses power)."""
        _kill_namespace(self.namespace(host))

    def cut(self, host: str) -> None:
        """Pull ``host``'s network cable: delete its veth pair."""
        _ip("-n", self.namespace("sw"), "link", "del", host, check=False)

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        for host in [*self.hosts, "sw"]:
            _kill_namespace(self.namespace(host))
            _ip("netns", "del", self.namespace(host), check=False)
        _ip("link", "del", f"{self.tag}r", check=False)
        self.hosts.clear()
        atexit.unregister(self.stop)


#: The load balancer in front of the app hosts (the city's own nginx or any proxy): round robin,
#: a host that refuses or does not answer within 2 s is skipped for 10 s. Requests that are
#: not idempotent (POST) go to the next host only when they were never sent (nginx's default),
#: so nothing is done twice. The app hosts believe its X-Forwarded-For (TRUSTED_PROXIES).
LB_CONFIG = """\
user www-data;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format lb '[$time_local] "$request_method" $status $request_time $upstream_addr';
    access_log {run}/nginx-access.log lb;
    client_body_temp_path {run}/tmp/client_body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    client_max_body_size 64m;
    upstream app_hosts {{
{servers}
        keepalive 32;
    }}
    server {{
        listen {listen};
        location / {{
            proxy_pass http://app_hosts;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout http_502 http_503 http_504;
        }}
        # Live streams (nchan on the app hosts) pass through at once, held open.
        location /live/ {{
            proxy_pass http://app_hosts;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            proxy_connect_timeout 2s;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


class Machines:
    """A load balancer, ``app_hosts`` app hosts, a database host and a Redis host (module docstring).

    :param env: settings for every app host (``IDEENMARKT_...``), on top of the defaults here.
    :param workers, threads: gunicorn per app host. ``job_workers``: job worker processes per host.
    """

    LB, DB, REDIS, FIRST_APP = 10, 20, 30, 11

    def __init__(self, *, app_hosts: int = 2, workers: int = 1, threads: int = 8, job_workers: int = 1,
                 env: dict[str, str] | None = None) -> None:
        self.net = Network()
        self.app_hosts, self.workers, self.threads, self.job_workers = app_hosts, workers, threads, job_workers
        self.env = dict(env or {})
        self.pg = self.redis = None
        self.apps: list = []
        self.lb_run: Path | None = None
        self.database_url = ""
        self.started = False

    @property
    def lb_address(self) -> str:
        return self.net.address(self.LB)

    @property
    def lb_url(self) -> str:
        return f"http://{self.lb_address}"

    def hostname(self, index: int) -> str:
        return f"ideenmarkt-app{index + 1}"

    def start(self) -> Machines:
        from tests.support.pgcluster import PostgresCluster
        from tests.support.prodstack import ProductionStack
        from tests.support.servers import RedisServer

        atexit.register(self.stop)
        self.started = True
        try:
            net = self.net.start()
            net.add_host("lb", self.LB)
            net.add_host("db", self.DB)
            net.add_host("redis", self.REDIS)
            for index in range(self.app_hosts):
                net.add_host(f"app{index + 1}", self.FIRST_APP + index)
            self.pg = PostgresCluster(host=net.address(self.DB), command_prefix=net.prefix("db"), hba=[net.cidr])
            self.pg.start()
            self.database_url = self.pg.url
            self.redis = RedisServer(host=net.address(self.REDIS), port=6379, command_prefix=net.prefix("redis"))
            self.redis.start()
            self._migrate()
            env = {
                "SECRET_KEY": "several-machines-secret-" + secrets.token_hex(16),
                "BASE_URL": self.lb_url,
                # Each host's own nginx, and the load balancer in front of them.
                "TRUSTED_PROXIES": f"127.0.0.1,::1,{self.lb_address}",
                "JOB_WORKERS": str(self.job_workers),
                **self.env,
            }
            self.apps = [ProductionStack(self.database_url, redis_url=self.redis.url, workers=self.workers,
                                         threads=self.threads, env=env, host=net.address(self.FIRST_APP + index),
                                         command_prefix=net.prefix(f"app{index + 1}", self.hostname(index)))
                         for index in range(self.app_hosts)]
            errors: list[BaseException] = []

            def start_app(stack) -> None:
                try:
                    stack.start()
                except BaseException as exc:  # noqa: BLE001 - raised below, in the caller's thread
                    errors.append(exc)

            threads = [threading.Thread(target=start_app, args=(stack,)) for stack in self.apps]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if errors:
                raise errors[0]
            self._start_lb()
        except BaseException:
            self.stop()
            raise
        return self

    def _migrate(self) -> None:
        """``flask db upgrade`` once, before the app hosts start (their own upgrade is then a no-op)."""
        env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": self.database_url,
               "IDEENMARKT_ENV": "production", "SECRET_KEY": "migration-only-" + "k" * 24,
               "BASE_URL": self.lb_url}
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "db", "upgrade"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"flask db upgrade failed:\n{result.stdout}\n{result.stderr}")

    def _start_lb(self) -> None:
        self.lb_run = Path(tempfile.mkdtemp(prefix="ideenmarkt-lb-"))
        self.lb_run.chmod(0o755)
        (self.lb_run / "tmp").mkdir()
        shutil.chown(self.lb_run / "tmp", "www-data")
        servers = "\n".join(f"        server {stack.host}:{stack.port} max_fails=1 fail_timeout=10s;"
                            for stack in self.apps)
        config = self.lb_run / "nginx.conf"
        config.write_text(LB_CONFIG.format(run=self.lb_run, servers=servers, listen=f"{self.lb_address}:80"))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        result = subprocess.run([*self.net.prefix("lb"), nginx, "-p", str(self.lb_run), "-c", str(config)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"the load balancer's nginx did not start: {result.stderr}")
        import urllib.request

        wait_until(lambda: urllib.request.urlopen(self.lb_url + "/healthz", timeout=5).status == 200, timeout=30,
                   ignore=(OSError,), message="the load balancer does not answer /healthz")

    def stop_host(self, index: int) -> None:
        """App host ``index`` fails: every process on it killed, then its network cut."""
        name = f"app{index + 1}"
        self.net.kill(name)
        self.net.cut(name)

    def lb_log(self) -> str:
        path = (self.lb_run or Path("/nonexistent")) / "nginx-access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        # Throwaway machines: no graceful shutdown (it would take half a minute), kill them all first.
        for host in list(self.net.hosts):
            self.net.kill(host)
        for stack in self.apps:
            try:
                stack.stop()
            except Exception:  # noqa: BLE001 - the namespaces' processes are killed below anyway
                pass
        for server in (self.redis, self.pg):
            if server is not None:
                try:
                    server.stop()
                except Exception:  # noqa: BLE001
                    pass
        self.net.stop()
        if self.lb_run is not None:
            shutil.rmtree(self.lb_run, ignore_errors=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> Machines:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
