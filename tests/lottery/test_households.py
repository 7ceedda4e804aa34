"""The household rule (issue 21 item 1): at most one seat per household, exactly.

The rule is a constraint of the panel polytope (one row per household signature, see
:meth:`app.lottery.algorithm.Pool.panel_rows`), so every algorithm version computes the true
leximin probabilities under it; these tests compare them with brute force over all panels of
people, check that no drawn panel or replacement ever seats two of a household, and that
quotas the rule makes impossible give a clear message.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.lottery.algorithm import (
    Applicant,
    build_pool,
    draw,
    find_replacement,
    household_violations,
    leximin_distribution,
    quota_violations,
    round_to_table,
    PROMISE_VERSIONS,
)
from app.lottery.table import table_promise
from app.lottery.audit import all_passed, build_audit, prepare_lottery, verify_audit
from app.lottery.errors import LotteryError

from .test_algorithm import brute_force_leximin

VERSIONS = ("1.0", "2.1", "2.2", "2.3", "2.4")


def household_instance(seed: int):
    """7-10 people on 2 criteria, some in households of 2-3, k = 2-4; may be infeasible."""
    rng = random.Random(seed)
    n, k = rng.randint(7, 10), rng.randint(2, 4)
    options = {"a": ["x", "y", "z"][: rng.randint(2, 3)], "b": ["u", "v"]}
    applicants = [Applicant(f"p{i}", {f: rng.choice(v) for f, v in options.items()}) for i in range(n)]
    quotas = {f: {v: (rng.randint(0, 1), rng.randint(1, k)) for v in vs} for f, vs in options.items()}
    households = {}
    people = [a.pseudonym for a in applicants]
    rng.shuffle(people)
    position, number = 0, 0
    while position < len(people):
        size = rng.choice([1, 1, 2, 2, 3])
        for p in people[position:position + size]:
            households[p] = None if size == 1 else f"h{number}"
        position += size
        number += 1
    groups = {}
    for p, h in households.items():
        if h is not None:
            groups.setdefault(h, []).append(p)
    return applicants, quotas, k, households, [g for g in groups.values() if len(g) > 1]


def feasible_by_enumeration(applicants, quotas, seats, groups) -> bool:
    answers = {a.pseudonym: a.answers for a in applicants}
    return any(not quota_violations(c, answers, quotas) and not household_violations(c, groups)
               for c in itertools.combinations(answers, seats))


@pytest.mark.parametrize("seed", range(30))
def test_probabilities_match_brute_force_over_all_panels_of_people(seed):
    applicants, quotas, seats, households, groups = household_instance(seed)
    if not feasible_by_enumeration(applicants, quotas, seats, groups):
        for version in VERSIONS:
            with pytest.raises(LotteryError) as caught:
                leximin_distribution(applicants, quotas, seats, version=version, households=households)
            assert caught.value.code == "infeasible"
        return
    reference = brute_force_leximin(applicants, quotas, seats, groups)
    for version in VERSIONS:
        distribution = leximin_distribution(applicants, quotas, seats, version=version, households=households)
        assert distribution.probabilities == {p: pytest.approx(q, abs=1e-6) for p, q in reference.items()}, version
        for panel in distribution.panels:  # type level: no signature over its households
            for count, members in distribution.pool.household_rows:
                assert sum(panel[t] for t in members) <= count


def test_the_rule_changes_the_probabilities_when_it_binds():
    # Two women in one household and one man; one seat each for women and men: the household
    # takes at most one seat, so both women share it (1/2), the man is always in.
    applicants = [Applicant("a", {"g": "f"}), Applicant("b", {"g": "f"}), Applicant("c", {"g": "m"}),
                  Applicant("d", {"g": "f"})]
    quotas = {"g": {"f": (2, 2), "m": (0, 2)}}
    free = leximin_distribution(applicants, quotas, 2).probabilities
    ruled = leximin_distribution(applicants, quotas, 2, households={"a": "H", "b": "H"}).probabilities
    assert free == pytest.approx({"a": 2 / 3, "b": 2 / 3, "c": 0.0, "d": 2 / 3})
    assert ruled == pytest.approx({"a": 0.5, "b": 0.5, "c": 0.0, "d": 1.0})


def test_households_given_as_groups_or_keys_are_the_same_pool():
    applicants = [Applicant(f"p{i}", {"g": "fm"[i % 2]}) for i in range(6)]
    by_key = build_pool(applicants, {"g": {"f": (1, 2), "m": (1, 2)}}, 3, {"p0": "x", "p1": "x", "p2": None})
    by_group = build_pool(applicants, {"g": {"f": (1, 2), "m": (1, 2)}}, 3, [["p1", "p0"]])
    assert by_key == by_group
    assert by_key.households == (("p0", "p1"),)
    with pytest.raises(LotteryError) as caught:
        build_pool(applicants, {}, 3, [["p0", "p1"], ["p1", "p2"]])
    assert caught.value.code == "bad_input"


@st.composite
def household_pools(draw_):
    n = draw_(st.integers(6, 40))
    seats = draw_(st.integers(2, min(8, n // 2)))
    applicants = [Applicant(f"p{i:02d}", {"g": draw_(st.sampled_from("fm")), "a": draw_(st.sampled_from("xyz"))})
                  for i in range(n)]
    keys = draw_(st.lists(st.integers(0, n // 2), min_size=n, max_size=n))
    households = {f"p{i:02d}": (f"h{k}" if k else None) for i, k in enumerate(keys)}
    low = draw_(st.integers(0, seats // 2))
    quotas = {"g": {"f": (low, seats), "m": (low, seats)}}
    return applicants, quotas, seats, households


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(household_pools(), st.sampled_from(VERSIONS), st.integers(1, 1000))
def test_no_drawn_panel_or_replacement_seats_two_of_a_household(instance, version, number):
    applicants, quotas, seats, households = instance
    try:
        distribution = leximin_distribution(applicants, quotas, seats, version=version, households=households)
    except LotteryError as error:
        assert error.code == "infeasible"
        return
    pool = distribution.pool
    table = round_to_table(distribution, 1000, version=version)
    assert all(not household_violations(row, pool.households) for row in table.rows)
    assert all(not quota_violations(row, pool.applicants, quotas, seats) for row in table.rows)
    if version in PROMISE_VERSIONS:  # the table keeps its promise under the rule too
        unequal, outside = table_promise(table.rows, distribution.probabilities,
                                         [g.members for g in pool.types], round(table.bound * 1000 - 1))
        assert not unequal and not outside
    result = draw(table, number, "c" * 64)
    seated = list(result.selected[1:])
    try:
        chosen = find_replacement(seated, result.waiting_list, pool.applicants, quotas, seats, households)
    except LotteryError as error:
        assert error.code == "no_replacement"
        return
    assert not household_violations(seated + [chosen], pool.households)


def test_the_table_treats_a_type_equally_where_every_row_of_one_member_holds_the_others_household():
    """Found by the property test above: p22 (household h4) and p30 (h6) are one type, and in every row
    of p30 someone of h4 sits, so no row can simply pass from p30 to p22 (168 against 166 rows). An
    exchange over two rows through a third person's type balances them (rows keep their quotas)."""
    genders = "ffffffmfmmfffffffffmmmmfffffffmmmffm"
    keys = [0, 0, 0, 0, 1, 2, 2, 6, 0, 1, 4, 6, 0, 0, 0, 0, 0, 1, 5, 0, 0, 3, 4, 1, 2, 2, 3, 3, 5, 5, 6, 0, 0, 3, 4, 1]
    applicants = [Applicant(f"p{i:02d}", {"g": g, "a": "x"}) for i, g in enumerate(genders)]
    households = {f"p{i:02d}": (f"h{k}" if k else None) for i, k in enumerate(keys)}
    quotas = {"g": {"f": (0, 6), "m": (0, 6)}}
    for version in PROMISE_VERSIONS:
        distribution = leximin_distribution(applicants, quotas, 6, version=version, households=households)
        table = round_to_table(distribution, 1000, version=version)
        pool = distribution.pool
        assert all(not household_violations(row, pool.households) for row in table.rows)
        assert all(not quota_violations(row, pool.applicants, quotas, 6) for row in table.rows)
        unequal, outside = table_promise(table.rows, distribution.probabilities,
                                         [g.members for g in pool.types], round(table.bound * 1000 - 1))
        assert not unequal and not outside, version


def test_quotas_impossible_under_the_rule_say_so_in_german_and_english(app):
    # Three women needed, but two of the four women share a household.
    applicants = [Applicant("a", {"g": "f"}), Applicant("b", {"g": "f"}), Applicant("c", {"g": "f"}),
                  Applicant("d", {"g": "m"}), Applicant("e", {"g": "m"})]
    households = {"a": "H", "b": "H"}
    quotas = {"g": {"f": (3, 3), "m": (0, 3)}}
    leximin_distribution(applicants, quotas, 3)  # without the rule it works
    with pytest.raises(LotteryError) as caught:
        leximin_distribution(applicants, quotas, 3, households=households)
    error = caught.value
    assert error.code == "infeasible"
    assert error.details["conflicts"][0]["kind"] == "households"
    with app.test_request_context():
        with force_locale("en"):
            english = str(error.message)
        with force_locale("de"):
            german = str(error.message)
    assert "At most one seat per household" in english
    assert "Höchstens ein Platz pro Haushalt" in german
    assert "two seats" in english and "zwei Plätze" in german


def household_audit():
    applicants = [Applicant(f"p{i:02d}", {"g": "fm"[i % 2], "a": "xyz"[i % 3]}) for i in range(18)]
    households = {f"p{i:02d}": f"h{i // 3}" for i in range(12)}
    quotas = {"g": {"f": (2, 3), "m": (2, 3)}, "a": {"x": (1, 2), "y": (1, 2), "z": (1, 2)}}
    prepared = prepare_lottery(applicants, quotas, 5, households=households)
    seated = prepared.table.rows[6]
    declined = seated[0]
    waiting = draw(prepared.table, 7, prepared.commitment).waiting_list
    admitted = find_replacement([p for p in seated if p != declined], waiting, prepared.pool.applicants, quotas, 5,
                                households)
    evidence = {declined: {"reason": "declined", "at": "2026-12-03T10:00:00"}}
    return prepared, build_audit(prepared, 7, [{"declined": [declined], "admitted": admitted,
                                                "at": "2026-12-03T10:05:00", "evidence": evidence}])


def test_the_audit_records_the_households_and_verify_reproduces_the_draw():
    prepared, audit = household_audit()
    assert audit["households"] == [[f"p{i:02d}" for i in range(j, j + 3)] for j in range(0, 12, 3)]
    assert "h0" not in json.dumps(audit)  # household keys stay on the server
    checks = verify_audit(json.loads(json.dumps(audit)), recompute_table=True)
    assert all_passed(checks), [c for c in checks if not c.ok]


def test_changing_the_recorded_households_breaks_the_commitment_and_the_recomputation():
    _, audit = household_audit()
    tampered = json.loads(json.dumps(audit))
    tampered["households"] = tampered["households"][1:]
    failed = {c.name for c in verify_audit(tampered) if not c.ok}
    assert "commitment" in failed
    dropped = json.loads(json.dumps(audit))
    del dropped["households"]
    assert "commitment" in {c.name for c in verify_audit(dropped) if not c.ok}


def test_a_table_row_with_two_of_a_household_fails_verification():
    _, audit = household_audit()
    tampered = json.loads(json.dumps(audit))
    alone = {p for row in audit["table"] for p in row} - {p for group in audit["households"] for p in group}
    tampered["households"].append(next([p for p in row if p in alone][:2] for row in audit["table"]
                                       if len(alone & set(row)) >= 2))
    assert "table_panels" in {c.name for c in verify_audit(tampered, recompute=False) if not c.ok}


SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_lottery.py"


def single_file_verdict(audit, tmp_path) -> tuple[int, set[str]]:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), encoding="utf-8")
    result = subprocess.run([sys.executable, "-I", str(SCRIPT), str(path)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    return result.returncode, {line.split()[1].rstrip(":") for line in result.stdout.splitlines()
                               if line.startswith("FAIL")}


def test_the_single_file_verifier_checks_the_households_as_flask_lottery_verify_does(tmp_path):
    _, audit = household_audit()
    assert single_file_verdict(audit, tmp_path) == (0, set())
    dropped = json.loads(json.dumps(audit))
    dropped["households"] = dropped["households"][1:]
    code, failed = single_file_verdict(dropped, tmp_path)
    assert code == 1 and failed == {c.name for c in verify_audit(dropped, recompute=False) if not c.ok}
    assert "commitment" in failed
    doubled = json.loads(json.dumps(audit))
    alone = {p for row in audit["table"] for p in row} - {p for group in audit["households"] for p in group}
    pair = next([p for p in row if p in alone][:2] for row in audit["table"] if len(alone & set(row)) >= 2)
    doubled["households"].append(pair)  # two people on one row made one household afterwards
    code, failed = single_file_verdict(doubled, tmp_path)
    assert "table_panels" in failed
    assert failed == {c.name for c in verify_audit(doubled, recompute=False) if not c.ok}
