"""Algorithm versions 2.2 and 2.3 (app/lottery/fast.py): the probabilities of the reference (version
2.1, the code before 2.2, and the exact column generation of 1.0), exactly, on seeded random pools;
valid panels; the same result every run; draws committed with 2.1 still verify byte for byte."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from app.lottery.algorithm import Applicant, build_pool, check_feasible, leximin_distribution
from app.lottery.audit import all_passed, verify_audit
from app.lottery.errors import LotteryError

from .test_algorithm import brute_force_leximin, random_instance
from .test_relaxed import assert_panels_meet_quotas, feasible_pools

DATA = Path(__file__).parent / "data"


def medium_pool(seed: int):
    """A skewed self-selected pool with census quotas (floor - 1 to ceil + 1 of the share): 40-150 people,
    3-4 criteria of 2-4 options, 5-15 seats; None if no panel meets the quotas."""
    rng = random.Random(f"fast:{seed}")
    criteria = rng.randint(3, 4)
    options = {f"c{j}": [f"o{i}" for i in range(rng.randint(2, 4))] for j in range(criteria)}
    size, seats = rng.randint(40, 150), rng.randint(5, 15)
    census = {f: [rng.random() + 0.3 for _ in values] for f, values in options.items()}
    skew = {f: [w * (rng.random() + 0.5) for w in weights] for f, weights in census.items()}
    applicants = [Applicant(f"p{i:03d}", {f: rng.choices(values, weights=skew[f])[0]
                                          for f, values in options.items()}) for i in range(size)]
    quotas = {}
    for f, values in options.items():
        total = sum(census[f])
        quotas[f] = {v: (max(0, int(seats * w / total) - 1), -int(-seats * w / total) + 1)
                     for v, w in zip(values, census[f])}
    try:
        pool = build_pool(applicants, quotas, seats)
        check_feasible(pool)
    except LotteryError:
        return None
    return pool


def assert_same_probabilities(new, reference) -> None:
    difference = np.abs(np.subtract(new.type_probabilities, reference.type_probabilities))
    assert float(np.max(difference)) <= 1e-6
    assert abs(new.min_probability - reference.min_probability) <= 1e-6
    people = new.probabilities
    assert people.keys() == reference.probabilities.keys()
    assert all(abs(people[p] - q) <= 1e-6 for p, q in reference.probabilities.items())


FAST = ("2.2", "2.3", "2.4")


@pytest.mark.parametrize("version", FAST)
@pytest.mark.parametrize("features", [2, 3, 4])
def test_small_pools_match_the_reference_and_the_exact_column_generation(features, version):
    for pool in feasible_pools(8, features):
        new = leximin_distribution(pool, version=version)
        assert_same_probabilities(new, leximin_distribution(pool, version="2.1"))
        assert_same_probabilities(new, leximin_distribution(pool, version="1.0"))
        assert_panels_meet_quotas(new)
        assert len(new.panels) <= len(pool.types) + 1


@pytest.mark.parametrize("version", FAST)
@pytest.mark.parametrize("seed", range(10))
def test_medium_census_pools_match_the_reference(seed, version):
    pool = medium_pool(seed)
    if pool is None:
        pytest.skip("no panel meets these random quotas")
    new = leximin_distribution(pool, version=version)
    assert_same_probabilities(new, leximin_distribution(pool, version="2.1"))
    assert_panels_meet_quotas(new)
    assert leximin_distribution(pool, version=version) == new  # deterministic


def unique_pool(seed: int):
    """Nearly everyone their own type (issue 21's unique7, small): 150 people, 6 criteria of 2-4 options,
    census quotas (floor - 1 to ceil + 1 of the share), 12 seats; None if no panel meets them."""
    rng = random.Random(f"unique:{seed}")
    options = {f"c{j}": [f"o{i}" for i in range(rng.randint(2, 4))] for j in range(6)}
    seats = 12
    census = {f: [rng.random() + 0.3 for _ in values] for f, values in options.items()}
    applicants = [Applicant(f"p{i:03d}", {f: rng.choices(values, weights=census[f])[0]
                                          for f, values in options.items()}) for i in range(150)]
    quotas = {f: {v: (max(0, int(seats * w / sum(census[f])) - 1), -int(-seats * w / sum(census[f])) + 1)
                  for v, w in zip(values, census[f])} for f, values in options.items()}
    try:
        pool = build_pool(applicants, quotas, seats)
        check_feasible(pool)
    except LotteryError:
        return None
    return pool


@pytest.mark.parametrize("seed", range(3))
def test_version_2_3_moves_panels_by_exchanges_and_keeps_the_probabilities(seed, monkeypatch):
    """2.3 peels faces by exchanging seats of the previous panel (app/lottery/fast.py SwapPricer); on a
    pool of nearly unique people that is how most faces get their panel, and the probabilities stay 2.2's."""
    from app.lottery import fast

    pool = unique_pool(seed)
    if pool is None:
        pytest.skip("no panel meets these random quotas")
    assert len(pool.types) > 100
    pricers = []
    original = fast.SwapPricer.__init__

    def keep(self, *args):
        original(self, *args)
        pricers.append(self)

    monkeypatch.setattr(fast.SwapPricer, "__init__", keep)
    new = leximin_distribution(pool, version="2.3")
    assert pricers and pricers[0].stats["swap"] > 0
    assert_same_probabilities(new, leximin_distribution(pool, version="2.2"))
    assert_panels_meet_quotas(new)
    assert leximin_distribution(pool, version="2.3") == new  # deterministic


@pytest.mark.parametrize("version", FAST)
@pytest.mark.parametrize("seed", range(12))
def test_tiny_pools_match_brute_force(seed, version):
    applicants, quotas, seats = random_instance(seed)
    try:
        new = leximin_distribution(applicants, quotas, seats, version=version)
    except LotteryError as error:
        assert error.code == "infeasible"
        return
    reference = brute_force_leximin(applicants, quotas, seats)
    assert all(abs(new.probabilities[p] - q) <= 1e-6 for p, q in reference.items())


def test_draw_committed_with_version_2_1_still_verifies_byte_for_byte():
    """tests/lottery/data/audit_v2_1.json was written by the version 2.1 code (before 2.2 existed)."""
    audit = json.loads((DATA / "audit_v2_1.json").read_text(encoding="utf-8"))
    assert audit["algorithm"]["version"] == "2.1"
    checks = verify_audit(audit, recompute_table=True)
    assert all_passed(checks), [c for c in checks if not c.ok]
    assert {c.name for c in checks} >= {"commitment", "probabilities", "table_recomputed"}
