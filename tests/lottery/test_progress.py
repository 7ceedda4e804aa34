"""The optional progress callback of the lottery algorithm reports stages and the current
minimum and never changes a result (both versions, and the prepared table and commitment)."""
from __future__ import annotations

import pytest

from app.lottery.algorithm import leximin_distribution
from app.lottery.audit import prepare_lottery

from .test_relaxed import feasible_pools, random_pool


@pytest.mark.parametrize("version", ["1.0", "2.0", "2.2"])
def test_progress_reports_without_changing_the_distribution(version):
    for pool in feasible_pools(3, 3):
        reports = []
        quiet = leximin_distribution(pool, version=version)
        loud = leximin_distribution(pool, version=version,
                                    progress=lambda *args: reports.append(args))
        assert loud == quiet
        if len(pool.types) > 1:
            stages = [stage for stage, _, _ in reports]
            assert "fairness" in stages
            assert all(0.0 <= fraction <= 1.0 for _, fraction, _ in reports)
            minima = [m for _, _, m in reports if m is not None]
            assert minima and min(minima) == pytest.approx(quiet.min_probability, abs=1e-6)


def test_progress_leaves_the_commitment_alone():
    seed = 0
    while True:
        applicants, quotas, seats = random_pool(seed)
        seed += 1
        try:
            quiet = prepare_lottery(applicants, quotas, seats, 100, "server: test")
        except Exception:  # noqa: BLE001 - an infeasible random pool; take the next
            continue
        break
    stages = []
    loud = prepare_lottery(applicants, quotas, seats, 100, "server: test", progress=lambda s, f, m: stages.append(s))
    assert (loud.table_hash, loud.commitment) == (quiet.table_hash, quiet.commitment)
    assert stages[-1] == "rounding"
