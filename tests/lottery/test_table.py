"""The table that keeps the promise (issue 22, item 1): dependent rounding on generated pools."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from app.lottery.algorithm import Applicant, leximin_distribution, quota_violations, round_to_table
from app.lottery.certificates import check_certificate, compute_certificate
from app.lottery.table import TABLE_SIZES, choose_table_size, dependent_rounding, table_promise


def generated_pool(size: int, seats: int, options: tuple[int, ...], seed: int):
    """Skewed answers to several criteria with census-like quotas (±10 %): many small types."""
    rnd = random.Random(seed)
    features = {f"c{j}": [f"o{i}" for i in range(count)] for j, count in enumerate(options)}
    weights = {f: [rnd.random() + 0.2 for _ in values] for f, values in features.items()}
    applicants = [Applicant(f"p{i:05d}", {f: rnd.choices(values, weights[f])[0] for f, values in features.items()})
                  for i in range(size)]
    quotas = {}
    for f, values in features.items():
        total = sum(weights[f])
        quotas[f] = {v: (int(seats * w / total * 0.9), int(seats * w / total * 1.1) + 1)
                     for v, w in zip(values, weights[f])}
    return applicants, quotas


POOLS = [(60, 10, (2, 3), 1), (200, 12, (2, 4, 3), 2), (300, 20, (2, 4, 3, 5), 5), (2000, 30, (2, 3, 4, 3), 3),
         # 10,000 people (issue 22): 72 types on four criteria, and one seat in 5,000 (M = 10,000); a few
         # seconds each, as the cost grows with the types and the table, not with the people.
         pytest.param(10_000, 100, (2, 3, 4, 3), 7, marks=pytest.mark.slow, id="10000-100-4criteria"),
         pytest.param(10_000, 2, (2, 3), 13, marks=pytest.mark.slow, id="10000-2-large-table"),
         # 50,000 people (issue 22's example: 100 seats, 4 criteria); about a second, the bench runs
         # larger type counts (bench/lottery.py --promise, results in bench/README.md).
         pytest.param(50_000, 100, (2, 3, 4, 3), 17, marks=pytest.mark.slow, id="50000-100-4criteria")]


@pytest.mark.parametrize("size, seats, options, seed", POOLS)
def test_table_keeps_the_promise(size, seats, options, seed):
    applicants, quotas = generated_pool(size, seats, options, seed)
    distribution = leximin_distribution(applicants, quotas, seats)
    table_size = choose_table_size(distribution)
    table, slack = dependent_rounding(distribution, table_size)
    probabilities = distribution.probabilities
    groups = [group.members for group in distribution.pool.types]
    assert slack == 0 and len(table.rows) == table_size
    unequal, outside = table_promise(table.rows, probabilities, groups, slack)
    assert unequal == [] and outside == []
    appearances = Counter(p for row in table.rows for p in row)
    for pseudonym, p in probabilities.items():
        # Nobody with a chance of a row's worth is left out; nobody's share is a row or more off.
        assert appearances[pseudonym] >= int(table_size * p + 1e-7)
        assert abs(appearances[pseudonym] / table_size - p) < 1 / table_size + 1e-9
    answers = {a.pseudonym: a.answers for a in applicants}
    assert all(not quota_violations(row, answers, quotas, seats) for row in table.rows)
    # The version 2.1 default goes through the same rounding.
    assert round_to_table(distribution, table_size).rows == table.rows
    # The leximin stages' LP dual certificates verify against the table's rows too.
    ok, detail = check_certificate(compute_certificate(distribution), distribution.pool, probabilities, table.rows)
    assert ok, detail


def test_table_size_fits_the_pool():
    # 1 seat among 3,000 people: everyone's chance is 1/3000, so 1,000 rows would leave 2,000 out.
    applicants = [Applicant(f"p{i:04d}", {}) for i in range(3000)]
    distribution = leximin_distribution(applicants, {}, 1)
    assert choose_table_size(distribution) == 5000
    table, slack = dependent_rounding(distribution, 5000)
    appearances = Counter(p for row in table.rows for p in row)
    assert min(appearances[a.pseudonym] for a in applicants) == 1 and slack == 0
    assert all(10_000 % size == 0 for size in TABLE_SIZES)  # four ten-sided dice pick a row uniformly
    small = leximin_distribution([Applicant(f"p{i}", {}) for i in range(20)], {}, 5)
    assert choose_table_size(small) == 1000


@pytest.mark.parametrize("size, seats, options, seed", [(300, 20, (2, 4, 3, 5), 5), (2000, 30, (2, 3, 4, 3), 3)])
def test_version_2_4_splits_the_rest_into_the_distributions_own_panels(size, seats, options, seed, monkeypatch):
    """2.4 (issue 21) splits the table's rest into the distribution's panels where they fit (else a panel
    moved into the split's bounds by exchanging seats) before any solve: fewer solves than 2.3, the same
    promise, and 2.3's table stays byte for byte what it was."""
    from app.lottery import table as table_module

    applicants, quotas = generated_pool(size, seats, options, seed)
    distribution = leximin_distribution(applicants, quotas, seats, version="2.4")
    assert distribution == leximin_distribution(applicants, quotas, seats, version="2.3")  # same panels
    solves = Counter()
    original = table_module._Splitter._solve

    def counted(self, *args, **kwargs):
        solves[bool(len(self.candidates))] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(table_module._Splitter, "_solve", counted)
    table_size = choose_table_size(distribution)
    new = round_to_table(distribution, table_size, version="2.4")
    old = round_to_table(distribution, table_size, version="2.3")
    assert 0 < solves[True] < solves[False]
    assert old.rows == dependent_rounding(distribution, table_size, True, False)[0].rows
    assert new.rows == dependent_rounding(distribution, table_size)[0].rows  # the default is 2.4
    slack = max(0, int(round(new.bound * table_size)) - 1)
    assert slack == 0
    groups = [group.members for group in distribution.pool.types]
    assert table_promise(new.rows, distribution.probabilities, groups, slack) == ([], [])
    answers = {a.pseudonym: a.answers for a in applicants}
    assert all(not quota_violations(row, answers, quotas, seats) for row in new.rows)
