"""Rounding to a table of M panels, the draw, waiting list and replacements."""

from __future__ import annotations

import math
import random

import pytest

from app.lottery.algorithm import (
    Applicant,
    draw,
    find_replacement,
    leximin_distribution,
    quota_violations,
    round_to_table,
    rounding_report,
    server_random_number,
    universal_rounding_bound,
    waiting_list_order,
)
from app.lottery.audit import table_sha256
from app.lottery.errors import LotteryError


def census_pool(n: int, seats: int, seed: int = 7) -> tuple[list[Applicant], dict]:
    """A pool skewed against census-proportional quotas on three criteria (as in the bench)."""
    rng = random.Random(seed)
    census = {"gender": {"f": 0.5, "m": 0.48, "d": 0.02},
              "age": {"16-29": 0.2, "30-44": 0.25, "45-64": 0.33, "65+": 0.22},
              "district": {f"d{i}": s for i, s in enumerate([0.25, 0.2, 0.18, 0.15, 0.12, 0.1], 1)}}
    skew = {"gender": [0.45, 0.53, 0.02], "age": [0.12, 0.22, 0.4, 0.26],
            "district": [0.3, 0.22, 0.16, 0.14, 0.1, 0.08]}
    applicants = [Applicant(f"a{i:05d}", {f: rng.choices(list(census[f]), weights=skew[f])[0] for f in census})
                  for i in range(n)]
    quotas = {f: {v: (math.floor(s * seats), math.ceil(s * seats)) for v, s in shares.items()}
              for f, shares in census.items()}
    return applicants, quotas


SMALL = ([Applicant(f"p{i}", {"g": g, "a": a}) for i, (g, a) in enumerate(
    [("f", "y"), ("f", "y"), ("f", "o"), ("m", "y"), ("m", "o"), ("m", "o"), ("m", "o"), ("d", "o")])],
    {"g": {"f": (1, 2), "m": (1, 2), "d": (0, 1)}, "a": {"y": (1, 2), "o": (1, 2)}}, 3)


@pytest.mark.parametrize("table_size", [1, 7, 100, 1000])
def test_rounding_stays_within_the_promised_bound_small(table_size):
    applicants, quotas, seats = SMALL
    distribution = leximin_distribution(applicants, quotas, seats)
    table = round_to_table(distribution, table_size)
    report = rounding_report(distribution.probabilities, table)
    assert table.size == table_size
    assert report.max_deviation <= report.bound
    assert report.bound <= universal_rounding_bound(len(distribution.pool.types), table_size)
    answers = {a.pseudonym: a.answers for a in applicants}
    assert all(quota_violations(row, answers, quotas, seats) == [] for row in table.rows)


def test_rounding_on_a_census_pool_is_close_and_every_row_meets_the_quotas():
    applicants, quotas = census_pool(1000, 15)
    distribution = leximin_distribution(applicants, quotas, 15)
    table = round_to_table(distribution, 1000)
    report = rounding_report(distribution.probabilities, table)
    # The LP solution is basic: at most T + 1 panels, which the universal bound relies on.
    assert len(distribution.panels) <= len(distribution.pool.types) + 1
    assert report.max_deviation <= report.bound <= universal_rounding_bound(len(distribution.pool.types))
    assert report.max_deviation < 3 / 1000
    answers = {a.pseudonym: a.answers for a in applicants}
    assert all(quota_violations(row, answers, quotas, 15) == [] for row in table.rows)
    assert sum(report.rounded.values()) == pytest.approx(15)


def test_table_is_reproducible_and_independent_of_input_order():
    applicants, quotas = census_pool(300, 15, seed=3)
    first = round_to_table(leximin_distribution(applicants, quotas, 15))
    shuffled = list(applicants)
    random.Random(9).shuffle(shuffled)
    second = round_to_table(leximin_distribution(shuffled, quotas, 15))
    assert table_sha256(first.rows) == table_sha256(second.rows)


def test_draw_picks_the_row_and_orders_everyone_else():
    applicants, quotas, seats = SMALL
    table = round_to_table(leximin_distribution(applicants, quotas, seats), 10)
    result = draw(table, 4, "ab" * 32)
    assert result.selected == tuple(sorted(table.rows[3]))
    assert sorted(result.waiting_list + result.selected) == sorted(a.pseudonym for a in applicants)
    assert result.waiting_list == tuple(waiting_list_order(result.waiting_list, "ab" * 32, 4))
    assert draw(table, 4, "ab" * 32) == result
    # Another number gives another waiting-list order for the same people (with near certainty).
    assert waiting_list_order(result.waiting_list, "ab" * 32, 5) != list(result.waiting_list)


@pytest.mark.parametrize("number", [0, 11, -1, True, "3", 2.0])
def test_draw_rejects_numbers_outside_the_table(number):
    applicants, quotas, seats = SMALL
    table = round_to_table(leximin_distribution(applicants, quotas, seats), 10)
    with pytest.raises(LotteryError) as caught:
        draw(table, number, "0" * 64)
    assert caught.value.code == "bad_number"


def test_server_random_number_is_in_range():
    numbers = {server_random_number(5) for _ in range(200)}
    assert numbers <= {1, 2, 3, 4, 5} and len(numbers) > 1


QUOTAS = {"gender": {"f": (2, 2), "m": (2, 2)}, "age": {"young": (1, 3), "old": (1, 3)}}
PEOPLE = {
    "s1": {"gender": "f", "age": "young"}, "s2": {"gender": "m", "age": "old"}, "s3": {"gender": "m", "age": "young"},
    "s4": {"gender": "f", "age": "old"},  # declines
    "w1": {"gender": "m", "age": "old"}, "w2": {"gender": "f", "age": "young"}, "w3": {"gender": "f", "age": "old"},
}


def test_replacement_skips_a_waiting_person_who_would_break_a_quota():
    # s4 (a woman) declined: w1 is first but a third man breaks gender m max 2; w2 is a woman but
    # would leave nobody old among the women... old is still s2, so w2 fits.
    seated = {"s1", "s2", "s3"}
    chosen = find_replacement(seated, ["w1", "w2", "w3"], PEOPLE, QUOTAS, 4)
    assert chosen == "w2"
    assert quota_violations(seated | {chosen}, PEOPLE, QUOTAS, 4) == []


def test_replacement_respects_a_minimum_the_decliner_filled():
    # s2, the only old person, declined and w2 took another seat: the next seat must go to
    # someone old; w2 is skipped as already seated, w3 is old.
    quotas = {"gender": {"f": (1, 3), "m": (1, 3)}, "age": {"young": (0, 3), "old": (1, 3)}}
    seated = {"s1", "s3", "s4"} - {"s4"} | {"w2"}
    assert find_replacement(seated, ["w2", "w3", "w1"], PEOPLE, quotas, 4) == "w3"


def test_nobody_fits_names_the_blocking_quota():
    with pytest.raises(LotteryError) as caught:
        find_replacement({"s1", "s2", "s3"}, ["w1"], PEOPLE, QUOTAS, 4)
    error = caught.value
    assert error.code == "no_replacement"
    assert error.details["blocking"][0]["feature"] == "gender"
    assert {(b["feature"], b["value"]) for b in error.details["blocking"]} >= {("gender", "m")}
    assert "criterion “gender”, option “m”" in str(error)


def test_two_free_seats_keep_the_quotas_reachable():
    # Both women declined; w1 (a man) fits no max-rule problem but would make
    # 3 men, so the first admissible is w2, and the next fill must be w3.
    seated = {"s2", "s3"}
    first = find_replacement(seated, ["w1", "w2", "w3"], PEOPLE, QUOTAS, 4)
    assert first == "w2"
    second = find_replacement(seated | {first}, ["w1", "w3"], PEOPLE, QUOTAS, 4)
    assert second == "w3"
    assert quota_violations(seated | {first, second}, PEOPLE, QUOTAS, 4) == []


def test_first_waiting_person_who_would_make_the_last_seat_unfillable_is_skipped():
    people = {"a": {"gender": "f", "age": "young"}, "b": {"gender": "m", "age": "young"},
              "c": {"gender": "f", "age": "old"}}
    quotas = {"gender": {"f": (1, 1), "m": (1, 1)}, "age": {"young": (1, 1), "old": (1, 1)}}
    # Two seats free: admitting a would need an old man, and nobody waiting is one.
    assert find_replacement(set(), ["a", "b", "c"], people, quotas, 2) == "b"
    with pytest.raises(LotteryError) as caught:
        find_replacement(set(), ["a", "b"], people, quotas, 2)
    assert caught.value.code == "no_replacement"
    assert ("age", "old") in {(b["feature"], b["value"]) for b in caught.value.details["blocking"]}


def test_replacement_needs_a_free_seat():
    with pytest.raises(LotteryError) as caught:
        find_replacement({"s1", "s2", "s3", "s4"}, ["w1"], PEOPLE, QUOTAS, 4)
    assert caught.value.code == "bad_input"
