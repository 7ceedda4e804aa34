"""``verify`` catches rigging (issue 22, items 2, 5 and 6): a rigged table with a consistent
commitment, skips and declines without evidence, a changed dice reading, a wrong published
commitment; records before the draw verify."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.lottery.audit import all_passed, verify_audit
from tests.lottery.tampering import cases, rigged_table
from tests.support.lottery_cli import run

CASES = cases()


@pytest.mark.parametrize("name, audit, expected, passes", CASES, ids=[c[0] for c in CASES])
def test_verdicts(name, audit, expected, passes):
    checks = verify_audit(audit, expected_commitment=expected)
    assert all_passed(checks) is passes, [c for c in checks if not c.ok]


def test_rigged_table_fails_on_the_bound_from_the_table_not_on_its_hashes():
    checks = {c.name: c for c in verify_audit(rigged_table())}
    assert checks["commitment"].ok and checks["table_sha256"].ok and checks["table_panels"].ok
    assert checks["equal_treatment"].ok  # unique types: only the bound can catch it
    assert not checks["rounding"].ok and "u07 in 115 rows, expected 20.00" in checks["rounding"].detail


def test_what_each_tamper_breaks():
    by_name = {name: audit for name, audit, _, _ in CASES}
    failed = lambda name, expected=None: {c.name for c in verify_audit(by_name[name], expected_commitment=expected)
                                          if not c.ok}
    assert failed("skip without evidence") == {"replacements"}
    assert failed("skip recorded as a decline") == {"replacements"}
    assert failed("decline without evidence") == {"replacements"}
    assert failed("changed dice reading") == {"number"}
    assert failed("genuine", "0" * 64) == {"published_commitment"}
    assert failed("record before the draw, an answer changed") >= {"applicants_sha256", "commitment"}
    assert failed("format 1: an answer changed") >= {"applicants_sha256", "commitment"}
    assert failed("a type's count changed") == {"pool_counts"}
    assert "applicants" in failed("a pseudonym listed under two types")
    assert failed("a pseudonym left out of its type") >= {"applicants_sha256", "commitment"}
    assert failed("drawn, a pseudonym moved to another type") >= {"applicants_sha256", "commitment"}


def test_the_published_pool_lists_types_not_each_persons_answers():
    """Issue 22, privacy of the published pool: format 2 has no per-person answers; each answer
    vector appears once, with its count and its pseudonyms, and the same applicant hash follows."""
    from app.lottery.audit import applicants_sha256
    from tests.lottery.tampering import MIXED, drawn

    audit = drawn()
    assert audit["format_version"] == 2 and "applicants" not in audit
    types = audit["pool_counts"]["types"]
    vectors = [json.dumps(t["answers"], sort_keys=True) for t in types]
    assert len(vectors) == len(set(vectors)) == 4
    assert all(t["count"] == len(t["pseudonyms"]) for t in types)
    assert sorted(p for t in types for p in t["pseudonyms"]) == sorted(a.pseudonym for a in MIXED)
    assert audit["applicants_sha256"] == applicants_sha256(MIXED, ["age", "gender"])
    assert not any(isinstance(v, dict) and "pseudonym" in v for v in json.loads(json.dumps(audit)).values())


def test_cli_verdicts(tmp_path):
    for index, (name, audit, expected, passes) in enumerate(CASES):
        path = tmp_path / f"case{index}.json"
        path.write_text(json.dumps(audit), encoding="utf-8")
        result = run("verify", str(path), *(["--commitment", expected] if expected else []))
        assert (result.exit_code == 0) is passes, (name, result.output)
        if not passes:
            assert "[audit_mismatch]" in result.output
        elif "number" not in audit:
            assert "record before the draw" in result.output


# --- the single-file verifier (scripts/verify_lottery.py, standard library only) -----------------

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_lottery.py"


def test_the_single_file_verifier_uses_no_project_code():
    source = SCRIPT.read_text(encoding="utf-8")
    imported = {line.split()[1].split(".")[0] for line in source.splitlines()
                if line.startswith(("import ", "from "))}
    assert imported <= {"__future__", "argparse", "hashlib", "json", "sys", "collections"}


def test_the_single_file_verifier_knows_every_promise_version():
    # its own copy (it imports no project code): a new version must reach it too (2.4, issue 21)
    from app.lottery.algorithm import PROMISE_VERSIONS

    line = next(line for line in SCRIPT.read_text(encoding="utf-8").splitlines()
                if line.startswith("PROMISE_VERSIONS = "))
    assert eval(line.split("=", 1)[1].split("#")[0]) == PROMISE_VERSIONS


@pytest.mark.parametrize("name, audit, expected, passes", CASES, ids=[c[0] for c in CASES])
def test_single_file_verifier_gives_the_same_verdicts(name, audit, expected, passes, tmp_path):
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), encoding="utf-8")
    result = subprocess.run([sys.executable, "-I", str(SCRIPT), str(path),
                             *(["--commitment", expected] if expected else [])],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert (result.returncode == 0) is passes, (name, result.stdout, result.stderr)
    flask_failed = {c.name for c in verify_audit(audit, expected_commitment=expected, recompute=False) if not c.ok}
    script_failed = {line.split()[1].rstrip(":") for line in result.stdout.splitlines() if line.startswith("FAIL")}
    assert script_failed == flask_failed


def test_single_file_verifier_on_a_version_1_draw_and_unreadable_files(tmp_path):
    audit = Path(__file__).resolve().parent / "data" / "audit_v1.json"
    result = subprocess.run([sys.executable, "-I", str(SCRIPT), str(audit)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{no json", encoding="utf-8")
    result = subprocess.run([sys.executable, "-I", str(SCRIPT), str(bad)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "cannot read" in result.stderr


# --- a public value combined with the dice or the server (issue 22, randomness rules) ------------

def test_what_each_combined_tamper_breaks():
    by_name = {name: audit for name, audit, _, _ in CASES}
    failed = lambda name: {c.name for c in verify_audit(by_name[name], recompute=False) if not c.ok}
    assert failed("combined: another public value") == {"number"}
    assert failed("combined: another dice reading") == {"number"}
    assert failed("combined: another seed") == {"number"}
    assert failed("combined: another server value") == {"number"}
    assert "commitment" in failed("combined: another server value with its hash")
    assert failed("combined: the public value renamed after the commitment") == {"commitment"}
    # The schema needs the public value with its seed, and verify says what is missing.
    assert failed("combined: no public value recorded") >= {"number"}
    assert "selection" in failed("combined: a number the seed does not give")


def test_the_seed_is_sha256_of_commitment_dice_and_public_value():
    import hashlib

    from app.lottery.audit import DICE_PUBLIC_RULE, canonical_json
    from tests.lottery.tampering import LOTTO, LOTTO_VALUE, drawn_combined

    audit = drawn_combined()
    assert audit["number_rule"] == DICE_PUBLIC_RULE and audit["public_value_source"] == LOTTO
    seed = hashlib.sha256(canonical_json({"commitment": audit["commitment"], "dice": "0372",
                                          "public_value": LOTTO_VALUE})).hexdigest()
    assert audit["seed"] == seed and audit["number"] == int(seed, 16) % audit["table_size"] + 1
    # White space as typed does not matter; the record holds the value as the rule writes it.
    assert drawn_combined(public_value="  3  7 12\t25 33 41 ")["number"] == audit["number"]


def test_the_public_value_is_in_the_commitment():
    from tests.lottery.tampering import drawn, drawn_combined

    plain, combined = drawn(), drawn_combined()
    assert plain["commitment"] != combined["commitment"]
    assert "public_value_source" not in plain


def test_a_combined_draw_needs_the_public_value():
    from app.lottery.audit import combined_draw, record_before_draw
    from app.lottery.errors import LotteryError
    from tests.lottery.tampering import _prepared

    record = record_before_draw(_prepared("mixed+public"))
    for value, dice in (("", "0372"), ("   ", "0372"), ("3 7", "37x"), ("3 7", "12345")):
        with pytest.raises(LotteryError) as caught:
            combined_draw(record, value, dice=dice)
        assert caught.value.code == "bad_number"


def test_the_audit_counts_per_type_and_quota_option():
    """Issue 22, privacy of the pool: counts per answer vector and per quota option, checked by verify."""
    from tests.lottery.tampering import drawn

    audit = drawn()
    counts = audit["pool_counts"]
    assert sum(t["count"] for t in counts["types"]) == len(audit["probabilities"])
    cells = {(c["feature"], c["value"]): c for c in counts["cells"]}
    assert cells[("gender", "f")]["pool"] == 6 and cells[("gender", "f")]["min"] == 2
    failed = {c.name for c in verify_audit(next(a for n, a, _, _ in CASES
                                                 if n == "published counts per quota option changed"),
                                           recompute=False) if not c.ok}
    assert failed == {"pool_counts"}
