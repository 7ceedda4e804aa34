"""The time limit of the leximin computation (issue 21 item 2, ``LOTTERY_TIME_LIMIT``): it stops with the
best distribution over the panels found so far, clearly marked, recorded and committed; never a hang.
No test asserts on time: a limit of a nanosecond is always reached, none never."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from app.lottery.algorithm import Applicant, leximin_distribution, quota_violations, round_to_table
from app.lottery.audit import all_passed, build_audit, prepare_lottery, verify_audit

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_lottery.py"


def pool():
    rng = random.Random(3)
    applicants = [Applicant(f"p{i:03d}", {f: rng.choice("abcd") for f in "uvwxy"}) for i in range(120)]
    quotas = {f: {v: (2, 6) for v in "abcd"} for f in "uvwxy"}
    return applicants, quotas, 12


@pytest.mark.parametrize("version", ["1.0", "2.1", "2.2"])
def test_a_reached_limit_gives_a_valid_marked_distribution_below_the_bound(version):
    applicants, quotas, seats = pool()
    exact = leximin_distribution(applicants, quotas, seats, version=version)
    assert exact.limited is None
    limited = leximin_distribution(applicants, quotas, seats, version=version, time_limit=1e-9)
    assert limited.limited is not None and limited.limited["seconds"] == 1e-9
    assert limited.limited["minimum"] == limited.min_probability <= exact.min_probability + 1e-9
    if limited.limited["upper_bound"] is not None:
        assert exact.min_probability <= limited.limited["upper_bound"] + 1e-7
    assert sum(limited.weights) == pytest.approx(1.0)
    assert sum(limited.probabilities.values()) == pytest.approx(seats, abs=1e-6)
    table = round_to_table(limited, 1000, version=version)
    assert all(not quota_violations(row, limited.pool.applicants, quotas, seats) for row in table.rows)


def test_the_commitment_records_the_limit_and_verify_says_so(tmp_path):
    applicants, quotas, seats = pool()
    prepared = prepare_lottery(applicants, quotas, seats, time_limit=1e-9)
    audit = build_audit(prepared, 5)
    assert audit["time_limited"]["seconds"] == 1
    assert audit["time_limited"]["minimum"] == pytest.approx(min(audit["probabilities"].values()))
    checks = verify_audit(json.loads(json.dumps(audit)))
    assert all_passed(checks), [c for c in checks if not c.ok]
    assert "time limit" in next(c for c in checks if c.name == "probabilities").detail
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), encoding="utf-8")
    assert subprocess.run([sys.executable, "-I", str(SCRIPT), str(path)], capture_output=True,
                          timeout=60).returncode == 0
    hidden = json.loads(json.dumps(audit))
    del hidden["time_limited"]  # passing a limited draw off as exact breaks the commitment
    assert "commitment" in {c.name for c in verify_audit(hidden, recompute=False) if not c.ok}


def test_without_a_limit_nothing_is_recorded():
    applicants, quotas, seats = pool()
    audit = build_audit(prepare_lottery(applicants, quotas, seats), 5)
    assert "time_limited" not in audit


def test_the_preview_marks_a_reached_limit(app, lottery_event):
    from app.lottery.preview import preview, preview_from_json, preview_to_json

    rng = random.Random(5)
    people = [{"gender": rng.choice("fm"), "age": rng.choice(["young", "old"])} for _ in range(30)]
    ev = lottery_event(seats=6, criteria={"gender": {"f": (2, 4), "m": (2, 4)},
                                          "age": {"young": (1, 5), "old": (1, 5)}}, people=people)
    app.config["LOTTERY_TIME_LIMIT"] = 1e-9
    with app.app_context():
        result = preview(ev.event)
        stored = preview_from_json(json.loads(json.dumps(preview_to_json(result))))
    assert result.limited is not None and stored.limited == result.limited
