"""Leximin probabilities: uniform case, brute-force comparison, paper instances, input errors."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.stats import chi2

from app.lottery.algorithm import (
    Applicant,
    build_pool,
    draw,
    leximin_distribution,
    quota_violations,
    round_to_table,
    selection_probabilities,
)
from app.lottery.errors import LotteryError
from app.lottery.sortition_csv import read_sortition_files

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "sortition-paper"


def make_applicants(rows: list[tuple[str, ...]], features: tuple[str, ...] = ("gender", "age")) -> list[Applicant]:
    """Applicants p00, p01, ... with the given answers."""
    return [Applicant(f"p{i:02d}", dict(zip(features, row))) for i, row in enumerate(rows)]


def random_instance(seed: int) -> tuple[list[Applicant], dict, int]:
    """A small random instance (7-10 people, 2 features, k = 2-4); may be infeasible."""
    rng = random.Random(seed)
    n, k = rng.randint(7, 10), rng.randint(2, 4)
    options = {"a": ["x", "y", "z"][: rng.randint(2, 3)], "b": ["u", "v"]}
    applicants = [Applicant(f"p{i}", {f: rng.choice(v) for f, v in options.items()}) for i in range(n)]
    quotas = {f: {v: (rng.randint(0, 1), rng.randint(1, k)) for v in vs} for f, vs in options.items()}
    return applicants, quotas, k


def brute_force_leximin(applicants: list[Applicant], quotas: dict, seats: int,
                        households: list[list[str]] | None = None) -> dict[str, float]:
    """Leximin over all feasible panels of people, computed independently.

    Enumerates every quota-satisfying set of people (with ``households``: at most
    one of each group), then runs the textbook
    leximin LP sequence: maximise the minimum over unfixed people, and fix a
    person once an LP shows they cannot exceed that minimum.
    """
    ids = [a.pseudonym for a in applicants]
    answers = {a.pseudonym: a.answers for a in applicants}
    panels = [set(c) for c in itertools.combinations(ids, seats) if not quota_violations(c, answers, quotas)
              and all(len(set(c) & set(group)) <= 1 for group in households or [])]
    incidence = np.array([[1.0 if p in panel else 0.0 for panel in panels] for p in ids])
    n, count = incidence.shape
    fixed: dict[int, float] = {}
    equal_rows, equal_rhs = [np.r_[np.ones(count), 0.0]], [1.0]
    bounds = [(0, None)] * count
    while len(fixed) < n:
        # x = (weights..., z); maximise z.
        upper_rows, upper_rhs = [], []
        for i in range(n):
            row = np.r_[-incidence[i], 0.0 if i in fixed else 1.0]
            upper_rows.append(row)
            upper_rhs.append(-fixed[i] + 1e-10 if i in fixed else 0.0)
        result = linprog(np.r_[np.zeros(count), -1.0], A_ub=upper_rows, b_ub=upper_rhs, A_eq=equal_rows,
                         b_eq=equal_rhs, bounds=bounds + [(0, 1)], method="highs")
        level = result.x[-1]
        newly = []
        for i in set(range(n)) - set(fixed):
            best = linprog(np.r_[-incidence[i], 0.0], A_ub=upper_rows, b_ub=upper_rhs, A_eq=equal_rows,
                           b_eq=equal_rhs, bounds=bounds + [(level - 1e-10, level - 1e-10)], method="highs")
            if -best.fun <= level + 1e-7:
                newly.append(i)
        for i in newly:
            fixed[i] = level
    return {ids[i]: fixed[i] for i in range(n)}


def test_without_quotas_everyone_gets_k_over_n():
    applicants = make_applicants([("f", "young")] * 7 + [("m", "old")] * 5)
    probabilities = selection_probabilities(applicants, {}, 4)
    assert probabilities == {a.pseudonym: pytest.approx(4 / 12, abs=1e-12) for a in applicants}


def test_without_quotas_seeded_draws_match_k_over_n():
    """Chi-square goodness of fit of selection counts over 20,000 seeded draws."""
    n, seats, draws = 12, 4, 20_000
    applicants = [Applicant(f"a{i:02d}", {}) for i in range(n)]
    table = round_to_table(leximin_distribution(applicants, {}, seats), 1000)
    rng = random.Random(1234)
    counts = dict.fromkeys((a.pseudonym for a in applicants), 0)
    for _ in range(draws):
        for pseudonym in draw(table, rng.randint(1, table.size), "c" * 64).selected:
            counts[pseudonym] += 1
    expected = draws * seats / n
    statistic = sum((observed - expected) ** 2 / expected for observed in counts.values())
    assert statistic < chi2.ppf(0.999, n - 1)
    assert all(abs(observed / draws - seats / n) < 0.02 for observed in counts.values())


@pytest.mark.parametrize("seed", range(24))
def test_leximin_matches_brute_force(seed):
    applicants, quotas, seats = random_instance(seed)
    try:
        ours = selection_probabilities(applicants, quotas, seats)
    except LotteryError as error:
        assert error.code == "infeasible"
        answers = {a.pseudonym: a.answers for a in applicants}
        assert not any(not quota_violations(c, answers, quotas)
                       for c in itertools.combinations(answers, seats))
        return
    reference = brute_force_leximin(applicants, quotas, seats)
    assert ours == {p: pytest.approx(q, abs=1e-6) for p, q in reference.items()}
    assert sum(ours.values()) == pytest.approx(seats, abs=1e-6)


def test_identical_applicants_get_identical_probabilities_and_panels_meet_quotas():
    rows = [("f", "young")] * 2 + [("f", "old")] * 5 + [("m", "young")] * 6 + [("m", "old")]
    applicants = make_applicants(rows)
    quotas = {"gender": {"f": (2, 3), "m": (2, 3)}, "age": {"young": (2, 3), "old": (2, 3)}}
    distribution = leximin_distribution(applicants, quotas, 5)
    probabilities = distribution.probabilities
    for key in set(rows):
        same = {round(probabilities[a.pseudonym], 12) for a, row in zip(applicants, rows) if row == key}
        assert len(same) == 1
    assert sum(probabilities.values()) == pytest.approx(5, abs=1e-6)
    assert sum(distribution.weights) == pytest.approx(1, abs=1e-12)
    pool = distribution.pool
    for panel in distribution.panels:
        people = [m for t, count in enumerate(panel) for m in pool.types[t].members[:count]]
        assert quota_violations(people, pool.applicants, quotas, 5) == []
    # The only "m, old" applicant is needed in any panel with 2 old men... leximin lifts the minimum:
    assert distribution.min_probability == pytest.approx(min(probabilities.values()))
    assert distribution.min_probability > 5 / 14 - 0.2


@pytest.mark.parametrize("instance, seats", [("example_small_20", 20), ("example_large_200", 200)])
def test_paper_instances_reach_ten_percent(instance, seats):
    applicants, quotas = read_sortition_files(TESTDATA / f"{instance}-people.csv",
                                              TESTDATA / f"{instance}-categories.csv")
    distribution = leximin_distribution(applicants, quotas, seats)
    assert distribution.min_probability == pytest.approx(0.100, abs=5e-4)
    assert sum(distribution.probabilities.values()) == pytest.approx(seats, abs=1e-6)


def test_empty_list():
    with pytest.raises(LotteryError) as caught:
        selection_probabilities([], {}, 3)
    assert caught.value.code == "empty"


def test_fewer_applicants_than_seats():
    with pytest.raises(LotteryError) as caught:
        selection_probabilities(make_applicants([("f", "young")] * 2), {}, 3)
    assert caught.value.code == "too_few"
    assert caught.value.details == {"applicants": 2, "seats": 3}


def test_answer_that_is_not_an_option():
    applicants = make_applicants([("f", "young"), ("x", "young"), ("m", "old")])
    quotas = {"gender": {"f": (0, 2), "m": (0, 2)}, "age": {"young": (0, 2), "old": (0, 2)}}
    with pytest.raises(LotteryError) as caught:
        selection_probabilities(applicants, quotas, 2)
    assert caught.value.code == "bad_answer"
    assert caught.value.details["pseudonym"] == "p01"
    assert caught.value.details["value"] == "x"
    assert "p01" in str(caught.value) and "gender" in str(caught.value)


def test_missing_answer():
    applicants = [Applicant("a", {"gender": "f"}), Applicant("b", {"gender": "m", "age": "old"})]
    with pytest.raises(LotteryError) as caught:
        build_pool(applicants, {"gender": {"f": (0, 1), "m": (0, 1)}, "age": {"old": (0, 2)}}, 1)
    assert (caught.value.code, caught.value.details["feature"]) == ("bad_answer", "age")


@pytest.mark.parametrize("bounds", [(3, 2), (-1, 2), (1.5, 2), ("a", 2)])
def test_malformed_quota(bounds):
    with pytest.raises(LotteryError) as caught:
        build_pool(make_applicants([("f", "young")] * 3), {"gender": {"f": bounds}}, 1)
    assert caught.value.code == "bad_quota"


def test_duplicate_pseudonym():
    with pytest.raises(LotteryError) as caught:
        build_pool([Applicant("a", {}), Applicant("a", {})], {}, 1)
    assert caught.value.code == "bad_input"


def test_infeasible_quotas_name_the_conflict_and_suggest_a_relaxation():
    # Every woman is young and every man old, so "2 women" and "at most 1 young" conflict.
    applicants = make_applicants([("f", "young")] * 4 + [("m", "old")] * 4)
    quotas = {"gender": {"f": (2, 3), "m": (1, 3)}, "age": {"young": (0, 1), "old": (0, 3)}}
    with pytest.raises(LotteryError) as caught:
        selection_probabilities(applicants, quotas, 3)
    error = caught.value
    assert error.code == "infeasible"
    relaxation = error.details["relaxation"]
    assert len(relaxation) == 1
    change = relaxation[0]
    assert sum(abs(r["to"] - r["from"]) for r in relaxation) == 1
    assert (change["feature"], change["value"]) in {("gender", "f"), ("age", "young")}
    named = {(c["feature"], c["value"]) for c in error.details["conflicts"]}
    assert (change["feature"], change["value"]) in named
    assert "conflict" in str(error).lower() or "Conflicts" in str(error)
    # The suggested relaxation is indeed feasible.
    relaxed = {f: dict(v) for f, v in quotas.items()}
    low, high = relaxed[change["feature"]][change["value"]]
    moved = (change["to"], high) if change["bound"] == "min" else (low, change["to"])
    relaxed[change["feature"]][change["value"]] = moved
    assert sum(selection_probabilities(applicants, relaxed, 3).values()) == pytest.approx(3)


def test_infeasible_when_an_option_has_too_few_applicants():
    applicants = make_applicants([("f", "young")] * 1 + [("m", "old")] * 6)
    quotas = {"gender": {"f": (2, 4), "m": (0, 4)}}
    with pytest.raises(LotteryError) as caught:
        selection_probabilities(applicants, quotas, 4)
    assert caught.value.code == "infeasible"
    assert any(c["feature"] == "gender" and c["value"] == "f" and "only 1" in c["problem"]
               for c in caught.value.details["conflicts"])
    assert caught.value.details["relaxation"] == [
        {"feature": "gender", "value": "f", "bound": "min", "from": 2, "to": 1}]
