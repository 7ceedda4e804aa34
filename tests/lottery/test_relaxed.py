"""Algorithm version 2.0 (relaxed leximin over types, then decomposition into panels).

It must give the same probabilities as the exact staged column generation of
version 1.0 (and as brute force on tiny pools), every panel must meet every
quota, its draws must verify, and draws committed with version 1.0 must still
verify (byte for byte) with the code that now defaults to 2.0.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from app.lottery import relaxed
from app.lottery.algorithm import (
    ALGORITHM_VERSION,
    ALGORITHM_VERSIONS,
    Applicant,
    build_pool,
    leximin_distribution,
    quota_violations,
    round_to_table,
    universal_rounding_bound,
)
from app.lottery.audit import all_passed, build_audit, prepare_lottery, verify_audit
from app.lottery.errors import LotteryError

from .test_algorithm import brute_force_leximin, random_instance

DATA = Path(__file__).parent / "data"


def random_pool(seed: int, features: int = 3) -> tuple[list[Applicant], dict, int]:
    """A small random pool with random quotas on 2-4 criteria (may be infeasible)."""
    rng = random.Random(f"relaxed:{seed}")
    options = {f"c{j}": [f"o{i}" for i in range(rng.randint(2, 4))] for j in range(features)}
    size, seats = rng.randint(12, 40), rng.randint(3, 8)
    weights = {f: [rng.random() + 0.2 for _ in values] for f, values in options.items()}
    applicants = [Applicant(f"p{i:03d}", {f: rng.choices(values, weights=weights[f])[0]
                                          for f, values in options.items()}) for i in range(size)]
    quotas = {}
    for f, values in options.items():
        quotas[f] = {}
        for v in values:
            low = rng.randint(0, max(0, seats // len(values)))
            quotas[f][v] = (low, min(seats, low + rng.randint(0, seats // 2 + 1)))
    return applicants, quotas, seats


def feasible_pools(count: int, features: int):
    found, seed = [], 0
    while len(found) < count:
        applicants, quotas, seats = random_pool(seed, features)
        seed += 1
        try:
            pool = build_pool(applicants, quotas, seats)
            leximin_distribution(pool, version="1.0")
        except LotteryError:
            continue
        found.append(pool)
    return found


def assert_panels_meet_quotas(distribution) -> None:
    pool = distribution.pool
    assert abs(sum(distribution.weights) - 1.0) < 1e-9
    for counts in distribution.panels:
        assert sum(counts) == pool.seats
        assert all(0 <= c <= g.size for c, g in zip(counts, pool.types))
        for _, _, low, high, members in pool.quota_rows():
            assert low <= sum(counts[t] for t in members) <= high


def test_default_version_is_2():
    assert ALGORITHM_VERSION == "2.4"
    assert ALGORITHM_VERSIONS == ("1.0", "2.0", "2.1", "2.2", "2.3", "2.4")


@pytest.mark.parametrize("features", [2, 3, 4])
def test_probabilities_equal_the_exact_column_generation(features):
    for pool in feasible_pools(12, features):
        exact = leximin_distribution(pool, version="1.0")
        fast = leximin_distribution(pool, version="2.0")
        assert np.max(np.abs(np.subtract(exact.type_probabilities, fast.type_probabilities))) <= 1e-6
        assert_panels_meet_quotas(fast)
        # A basic solution: at most T + 1 panels, so the rounding bound stays under its cap.
        assert len(fast.panels) <= len(pool.types) + 1


@pytest.mark.parametrize("seed", range(20))
def test_probabilities_equal_brute_force_on_tiny_pools(seed):
    applicants, quotas, seats = random_instance(seed)
    try:
        fast = leximin_distribution(applicants, quotas, seats)
    except LotteryError as exc:
        assert exc.code == "infeasible"
        return
    expected = brute_force_leximin(applicants, quotas, seats)
    for pseudonym, probability in fast.probabilities.items():
        assert probability == pytest.approx(expected[pseudonym], abs=1e-6)


def test_relaxed_optimum_outside_the_panel_hull_falls_back_to_exact(monkeypatch):
    """If the decomposition cannot reach the relaxed optimum, the exact column generation decides."""
    pool = feasible_pools(1, 3)[0]
    calls = []
    original = relaxed.algorithm._leximin_column_generation

    def spy(pool_, start, progress=None):
        calls.append(len(start))
        return original(pool_, start, progress)

    monkeypatch.setattr(relaxed, "DECOMPOSITION_TOLERANCE", -1.0)  # no decomposition is ever good enough
    monkeypatch.setattr(relaxed.algorithm, "_leximin_column_generation", spy)
    fast = leximin_distribution(pool)
    assert calls and calls[0] >= 1  # started from the panels found so far
    exact = leximin_distribution(pool, version="1.0")
    assert np.max(np.abs(np.subtract(exact.type_probabilities, fast.type_probabilities))) <= 1e-6
    assert_panels_meet_quotas(fast)


def test_every_table_row_meets_every_quota():
    for pool in feasible_pools(4, 4):
        table = round_to_table(leximin_distribution(pool), 200)
        assert table.bound <= universal_rounding_bound(len(pool.types), 200)
        for row in table.rows:
            assert quota_violations(row, pool.applicants, pool.quotas, pool.seats) == []


def test_systematic_panels_meet_quotas_and_sum_to_the_seats():
    for pool in feasible_pools(4, 4):
        sizes = [g.size for g in pool.types]
        rows = [(low, high, members) for _, _, low, high, members in pool.quota_rows()]
        targets = relaxed.relaxed_leximin(sizes, pool.seats, rows)
        for counts in relaxed.systematic_panels(pool, targets):
            assert sum(counts) == pool.seats
            for low, high, members in rows:
                assert low <= sum(counts[t] for t in members) <= high


def test_draw_of_version_2_verifies_and_recomputes_the_same_table():
    pool = feasible_pools(1, 4)[0]
    applicants = [Applicant(p, dict(a)) for p, a in pool.applicants.items()]
    prepared = prepare_lottery(applicants, pool.quotas, pool.seats, table_size=100, number_source="server: test")
    audit = json.loads(json.dumps(build_audit(prepared, 31)))
    assert audit["algorithm"]["version"] == ALGORITHM_VERSION
    checks = verify_audit(audit, recompute_table=True)
    assert all_passed(checks), [c for c in checks if not c.ok]


def test_draw_committed_with_version_1_still_verifies_byte_for_byte():
    """tests/lottery/data/audit_v1.json was written by the version 1.0 code (before 2.0 existed)."""
    audit = json.loads((DATA / "audit_v1.json").read_text(encoding="utf-8"))
    assert audit["algorithm"]["version"] == "1.0"
    checks = verify_audit(audit, recompute_table=True)
    assert all_passed(checks), [c for c in checks if not c.ok]
    assert {c.name for c in checks} >= {"commitment", "probabilities", "rounding", "table_recomputed"}


def test_claiming_another_version_breaks_the_commitment():
    audit = json.loads((DATA / "audit_v1.json").read_text(encoding="utf-8"))
    audit["algorithm"]["version"] = "2.0"
    failed = {c.name for c in verify_audit(audit) if not c.ok}
    assert "commitment" in failed


def test_unknown_version_is_a_clear_error():
    pool = feasible_pools(1, 2)[0]
    with pytest.raises(LotteryError) as caught:
        leximin_distribution(pool, version="9.9")
    assert caught.value.code == "bad_input"
    audit = json.loads((DATA / "audit_v1.json").read_text(encoding="utf-8"))
    audit["algorithm"]["version"] = "9.9"
    checks = {c.name: c for c in verify_audit(audit)}
    assert not checks["probabilities"].ok and "cannot recompute" in checks["probabilities"].detail
