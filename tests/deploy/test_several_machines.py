"""Several app machines (issue 20 item 2; README "Deployment on several machines").

Network namespaces make the machines (tests/support/netns.py): a load balancer (nginx), two app
hosts (each the stack of scripts/serve-prod.sh: nginx with the generated config and nchan,
gunicorn, a job worker, its own host name), a PostgreSQL host and a Redis host, each with its
own address on a private bridge. A short workshop goes through the load balancer (residents
apply, moderators capture ideas, participants place dots) while a wall is open on each app
host; a third of the way in, app host 1 fails: its job worker is in the middle of a lottery
preview, then every process on it is killed and its veth cut (bench/load.py, ``HostFailure``).
Then: every accepted application, idea and dot is stored exactly once; the wall on host 2 got
every accepted idea; wrong ticket codes from one address were limited across both hosts and
the load balancer (the counter is in Redis); host 2 finished host 1's job with the same result.

The same run with its numbers: ``python bench/load.py --scenario machines`` (bench/README.md).
It brings its own PostgreSQL, so it runs once, on the SQLite pass of ``make test``.
"""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from tests.support.databases import ON_POSTGRES
from tests.support.netns import Machines, netns_unavailable
from tests.support.pgcluster import DEFAULT_BINDIR
from tests.support.prodstack import nginx_available
from tests.support.servers import RedisServer

NCHAN = "/usr/lib/nginx/modules/ngx_nchan_module.so"
WHY_NOT = None if ON_POSTGRES else netns_unavailable()

pytestmark = [
    pytest.mark.slow,
    # Five machines start (a dozen app processes) before the first test: more than the suite's
    # 600 s per test on a 2-core machine shared with other suites.
    pytest.mark.timeout(1200),
    pytest.mark.skipif(ON_POSTGRES, reason="runs once, on the SQLite pass: it brings its own PostgreSQL host"),
    pytest.mark.skipif(WHY_NOT is not None, reason=f"several machines need network namespaces: {WHY_NOT}"),
    pytest.mark.skipif(not nginx_available(), reason="nginx is not installed (scripts/install-test-deps.sh)"),
    pytest.mark.skipif(not os.path.exists(NCHAN), reason="libnginx-mod-nchan is not installed"),
    pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed"),
    pytest.mark.skipif(not os.access(os.path.join(os.environ.get("PG_BINDIR") or DEFAULT_BINDIR, "initdb"), os.X_OK),
                       reason="PostgreSQL 15 is not installed"),
]

#: A short workshop: a few dozen people, a small lottery pool (its job waits for a lock, see HostFailure).
LOAD = SimpleNamespace(residents=20, moderators=3, ideas=8, pace=0.1, participants=12, dots=4, concurrency=6,
                       workers=1, threads=8, lottery_pool=60)


@pytest.fixture(scope="module")
def run():
    from bench import load

    with Machines(workers=LOAD.workers, threads=LOAD.threads, env=load.machines_env(LOAD)) as machines:
        yield machines, load.run_machines(LOAD, machines)


def test_losing_an_app_host_loses_nothing_accepted(run):
    machines, result = run
    load, failure = result["load"], result["failure"]
    assert load.applied and load.captured and any(accepted for accepted, _ in load.votes.values())
    # Both app hosts served through the load balancer (host 1 until it failed).
    first, second = (f"{stack.host}:{stack.port}" for stack in machines.apps)
    assert result["upstreams"][first] > 0 and result["upstreams"][second] > 0, result["upstreams"]
    # People were still at it after host 1 failed (the load balancer sent them to host 2).
    assert sum(failure.accepted_now()) > sum(failure.accepted_at_failure), result["notes"]
    # The checks of bench/load.py: applications, ideas and dots exactly once; the surviving
    # host's wall got every accepted idea; the job and the rate limit below.
    assert result["problems"] == [], "\n".join(result["problems"] + result["notes"])
    assert set(load.captured.values()) <= result["walls"][1].seen


def test_the_job_of_the_failed_host_is_finished_by_the_other(run):
    from bench.load import _job

    machines, result = run
    failure = result["failure"]
    assert failure.claimed_by.startswith(machines.hostname(0) + ":") and failure.stopped_at == "running"
    job = _job(result["failure"].data, failure.job_id)
    assert job.status == "done" and job.worker.startswith(machines.hostname(1) + ":") and job.attempts == 2


def test_the_rate_limit_holds_across_hosts_and_the_failure(run):
    from bench.load import GUESSES_ALLOWED

    machines, result = run
    guesses = result["failure"].guesses
    # Wrong codes went to host 1, host 2 and the load balancer before host 1 failed, then to host 2
    # and the load balancer: one allowance for the address, wherever it was counted.
    assert {host for host, _ in guesses[:5]} == {f"{s.host}:{s.port}" for s in machines.apps} | {
        f"{machines.lb_address}:80"}
    assert [status for _, status in guesses] == [404] * GUESSES_ALLOWED + [429] * (len(guesses) - GUESSES_ALLOWED)
    import redis

    keys = list(redis.Redis.from_url(machines.redis.url).scan_iter(match="*voting-code*"))
    assert keys, "the limit's counter is not in Redis"
