"""Commitment, audit record and verification: genuine records pass, any tampering fails."""

from __future__ import annotations

import json

import pytest

from app.lottery.algorithm import Applicant, find_replacement
from app.lottery.audit import (
    all_passed,
    build_audit,
    canonical_json,
    load_audit,
    prepare_lottery,
    verify_audit,
)
from app.lottery.errors import LotteryError

QUOTAS = {"gender": {"f": (2, 3), "m": (2, 3)}, "age": {"young": (1, 3), "old": (1, 4)}}
ROWS = [("f", "young"), ("f", "old"), ("f", "old"), ("m", "young"), ("m", "young"), ("m", "old"),
        ("f", "young"), ("m", "old"), ("f", "old"), ("m", "young"), ("f", "old")]
APPLICANTS = [Applicant(f"q{i:02d}", {"gender": g, "age": a}) for i, (g, a) in enumerate(ROWS)]


@pytest.fixture(scope="module")
def prepared():
    return prepare_lottery(APPLICANTS, QUOTAS, 5, table_size=50, number_source="public: lotto ball, council meeting")


@pytest.fixture()
def audit(prepared):
    # A JSON round trip, as a verifier would read it from the published file.
    return json.loads(json.dumps(build_audit(prepared, 17, dice="0017")))


def failed(audit) -> set[str]:
    return {check.name for check in verify_audit(audit) if not check.ok}


def test_genuine_audit_verifies(audit):
    checks = verify_audit(audit, recompute_table=True)
    assert all_passed(checks), [c for c in checks if not c.ok]
    assert {c.name for c in checks} >= {"applicants_sha256", "table_sha256", "commitment", "table_panels",
                                         "selection", "waiting_list", "probabilities", "rounding",
                                         "table_recomputed"}


def test_commitment_is_fixed_by_the_inputs(prepared):
    again = prepare_lottery(list(reversed(APPLICANTS)), QUOTAS, 5, table_size=50,
                            number_source="public: lotto ball, council meeting")
    assert again.commitment == prepared.commitment
    other_source = prepare_lottery(APPLICANTS, QUOTAS, 5, table_size=50, number_source="server: secrets.randbelow")
    assert other_source.commitment != prepared.commitment
    assert len(prepared.commitment) == 64


def test_audit_is_canonical_json_serialisable(audit):
    assert json.loads(canonical_json(audit)) == audit


def test_changed_applicant_fails(audit):
    audit["pool_counts"]["types"][0]["pseudonyms"][0] = "intruder"
    assert {"applicants_sha256", "commitment"} <= failed(audit)


def test_added_applicant_fails(audit):
    kind = audit["pool_counts"]["types"][0]
    kind["pseudonyms"].append("zz")
    kind["count"] += 1
    assert "commitment" in failed(audit)


def test_changed_answer_fails(audit):
    person = audit["pool_counts"]["types"][0]
    person["answers"]["gender"] = "m" if person["answers"]["gender"] == "f" else "f"
    assert {"applicants_sha256", "commitment"} <= failed(audit)


def test_changed_number_fails(audit):
    audit["number"] = audit["number"] % audit["table_size"] + 1
    assert "waiting_list" in failed(audit)


def test_number_out_of_range_fails(audit):
    audit["number"] = audit["table_size"] + 1
    assert "number" in failed(audit)


def test_changed_table_row_fails(audit):
    row = audit["table"][5]
    outsider = next(p for p in audit["probabilities"] if p not in row)
    row[0] = outsider
    row.sort()
    assert {"table_sha256", "commitment"} <= failed(audit)


def test_consistently_forged_table_still_fails_the_commitment(audit):
    """Swapping the selected row and re-hashing it cannot match the published commitment."""
    from app.lottery.audit import table_sha256

    number = audit["number"]
    other = next(r for r in audit["table"] if r != audit["table"][number - 1])
    audit["table"][number - 1] = list(other)
    audit["table_sha256"] = table_sha256(audit["table"])
    audit["selected"] = sorted(other)
    assert "commitment" in failed(audit)


def test_changed_selection_fails(audit):
    audit["selected"][0] = audit["waiting_list"][0]
    assert "selection" in failed(audit)


def test_reordered_waiting_list_fails(audit):
    audit["waiting_list"][0], audit["waiting_list"][1] = audit["waiting_list"][1], audit["waiting_list"][0]
    assert failed(audit) == {"waiting_list"}
    detail = next(c.detail for c in verify_audit(audit) if c.name == "waiting_list")
    assert detail == "differs from position 1 on"


def test_changed_probability_fails(audit):
    first = next(iter(audit["probabilities"]))
    audit["probabilities"][first] += 0.01
    # the recomputation, and without it the LP dual certificate (its distribution gives the old value)
    assert failed(audit) == {"probabilities", "recorded_probabilities", "certificate"}


def test_missing_field_fails_as_format(audit):
    del audit["table"]
    checks = verify_audit(audit)
    assert [(c.name, c.ok) for c in checks] == [("format", False)]


def test_replacements_are_replayed(prepared):
    audit = build_audit(prepared, 17, dice="0017")
    answers = {a.pseudonym: a.answers for a in APPLICANTS}
    declined = audit["selected"][0]
    seated = set(audit["selected"]) - {declined}
    admitted = find_replacement(seated, audit["waiting_list"], answers, QUOTAS, 5)
    evidence = {declined: {"reason": "declined", "at": "2026-03-02T10:00:00"}}
    good = build_audit(prepared, 17, [{"declined": [declined], "admitted": admitted, "at": "2026-03-02T10:05:00",
                                       "evidence": evidence}], dice="0017")
    assert all_passed(verify_audit(good))
    wrong = next(p for p in audit["waiting_list"] if p != admitted)
    bad = build_audit(prepared, 17, [{"declined": [declined], "admitted": wrong, "evidence": evidence}],
                      dice="0017")
    assert {c.name for c in verify_audit(bad) if not c.ok} == {"replacements"}


def test_unreadable_audit_file(tmp_path):
    path = tmp_path / "audit.json"
    path.write_bytes(b"\x00\xff not json")
    with pytest.raises(LotteryError) as caught:
        load_audit(path)
    assert caught.value.code == "audit_format"
    path.write_text("[1, 2]")
    with pytest.raises(LotteryError):
        load_audit(path)
