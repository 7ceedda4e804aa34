"""The LP dual certificates of the leximin stages (issue 22): published with the audit, checked by
``flask lottery verify`` (no recomputation needed) and by the single-file verifier (arithmetic only).
See app/lottery/certificates.py for what is proven."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from app.lottery.algorithm import Applicant, leximin_distribution
from app.lottery.audit import verify_audit
from app.lottery.certificates import check_certificate, compute_certificate
from app.lottery.errors import LotteryError
from app.lottery.schema import schema_problems
from app.lottery.sortition_csv import read_sortition_files
from tests.lottery.tampering import certificate_cases, drawn, fractional_panel, integer_stages, with_certificate

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "sortition-paper"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_lottery.py"
CASES = certificate_cases()


@pytest.mark.parametrize("name, audit, expected, passes", CASES, ids=[c[0] for c in CASES])
def test_a_tampered_certificate_fails_only_the_certificate_check(name, audit, expected, passes, tmp_path):
    failed = {c.name for c in verify_audit(audit, recompute=False) if not c.ok}
    assert failed == (set() if passes else {"certificate"})
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), "utf-8")
    result = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)
    script_failed = {line.split()[1].rstrip(":") for line in result.stdout.splitlines() if line.startswith("FAIL")}
    assert script_failed == failed and result.returncode == (0 if passes else 1), result.stdout


def test_a_distribution_that_is_not_leximin_has_no_certificate_that_passes():
    """Probabilities of a consistent but unfair distribution (the leximin over one panel only,
    published as if optimal): the primal side holds, the dual bound of the first stage does not."""
    from app.lottery.algorithm import build_pool, check_feasible, leximin_over_panels
    from tests.lottery.tampering import MIXED, MIXED_QUOTAS, SEATS

    pool = build_pool(MIXED, MIXED_QUOTAS, SEATS)
    unfair = leximin_over_panels(pool, [check_feasible(pool)])
    optimal = leximin_distribution(pool)
    assert unfair.min_probability < optimal.min_probability - 0.1
    ok, detail = check_certificate(compute_certificate(unfair), pool, unfair.probabilities)
    assert not ok and "the dual bound" in detail and "exceeds the stage value" in detail, detail


def test_the_certificate_is_in_the_audit_and_its_schema():
    audit = drawn()
    certificate = audit["leximin_certificate"]
    assert certificate["stages"] and certificate["distribution"]
    assert not schema_problems(audit)
    broken = copy.deepcopy(audit)
    broken["leximin_certificate"]["stages"][0]["kind"] = "guessed"
    assert schema_problems(broken)


def _random_pools(count: int):
    for seed in range(count):
        rng = random.Random(seed)
        n, k = rng.randint(7, 12), rng.randint(2, 4)
        options = {"a": ["x", "y", "z"][: rng.randint(2, 3)], "b": ["u", "v"], "c": ["1", "2"]}
        applicants = [Applicant(f"p{i:02d}", {f: rng.choice(v) for f, v in options.items()}) for i in range(n)]
        quotas = {f: {v: (rng.randint(0, 1), rng.randint(1, k)) for v in vs} for f, vs in options.items()}
        households = [["p00", "p01"], ["p02", "p03", "p04"]] if seed % 2 else None
        try:
            yield leximin_distribution(applicants, quotas, k, households=households)
        except LotteryError:
            continue


def test_certificates_verify_on_generated_pools_and_need_integer_stages_where_the_relaxation_is_loose():
    kinds = set()
    for distribution in _random_pools(60):
        certificate = compute_certificate(distribution)
        kinds |= {stage["kind"] for stage in certificate["stages"]}
        ok, detail = check_certificate(json.loads(json.dumps(certificate)), distribution.pool,
                                       distribution.probabilities)
        assert ok, detail
        # The stage values are the leximin levels: the lowest is the minimum probability.
        assert abs(certificate["stages"][0]["value"] - distribution.min_probability) < 1e-9
    assert kinds == {"relaxed", "integer"}


def test_an_integer_stage_is_proven_by_the_integer_program():
    distribution, certificate = next((d, c) for d in _random_pools(60)
                                     for c in [compute_certificate(d)]
                                     if any(s["kind"] == "integer" for s in c["stages"]))
    stage = next(s for s in certificate["stages"] if s["kind"] == "integer")
    stage["max_panel_value"] -= 0.05  # claims a tighter bound than any panel allows
    stage["bound"] -= 0.05
    ok, detail = check_certificate(certificate, distribution.pool, distribution.probabilities)
    assert not ok


@pytest.mark.parametrize("name, seats", [("example_small_20", 20), ("example_large_200", 200)])
def test_certificates_verify_on_the_papers_public_instances(name, seats):
    applicants, quotas = read_sortition_files(TESTDATA / f"{name}-people.csv", TESTDATA / f"{name}-categories.csv")
    distribution = leximin_distribution(applicants, quotas, seats)
    certificate = compute_certificate(distribution)
    ok, detail = check_certificate(json.loads(json.dumps(certificate)), distribution.pool,
                                   distribution.probabilities)
    assert ok, detail


def test_the_single_file_verifier_says_what_it_cannot_check_of_integer_stages(tmp_path):
    audit = integer_stages()
    kinds = [stage["kind"] for stage in audit["leximin_certificate"]["stages"]]
    assert "integer" in kinds and "relaxed" in kinds
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), "utf-8")
    result = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)
    assert result.returncode == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("OK   certificate:"))
    assert f"NOT CHECKED for {kinds.count('integer')} integer stage(s)" in line and "integer program" in line
    # flask lottery verify proves them with HiGHS.
    check = next(c for c in verify_audit(audit, recompute=False) if c.name == "certificate")
    assert check.ok and "integer stage(s) proven with the panel integer program" in check.detail


def test_a_panel_with_half_a_seat_is_no_panel(tmp_path):
    audit = with_certificate(fractional_panel)
    assert {c.name for c in verify_audit(audit, recompute=False) if not c.ok} == {"schema", "certificate"}
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), "utf-8")
    result = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)
    assert result.returncode == 1 and "FAIL certificate: a panel of the distribution is not whole" in result.stdout
