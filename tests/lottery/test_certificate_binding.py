"""The commitment binds the LP dual certificate (issue 22): ``certificate_sha256`` is part of the
commitment, so a certificate swapped after the commitment fails ``flask lottery verify`` and the
single-file verifier alike (the tamper cases are in tests/lottery/tampering.py, whose verdicts both
verifiers are compared on in test_verify_tamper.py); records committed before it was bound still
verify and say so; a time-limited run has no certificate, and the verifiers and the page say so."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

from app.lottery.audit import (canonical_json, certificate_sha256, commitment_of_record, record_before_draw,
                               sha256_hex, verify_audit)
from tests.factories.lottery import commit
from tests.lottery.tampering import DATA, _prepared, binding_cases, drawn, time_limited
from tests.support.lottery_cli import run

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_lottery.py"
BY_NAME = {name: (audit, expected) for name, audit, expected, _ in binding_cases()}
CRITERIA = {"gender": {"f": (1, 3), "m": (1, 3)}, "age": {"young": (0, 3), "old": (0, 3)}}


def failed(name: str) -> set[str]:
    audit, expected = BY_NAME[name]
    return {c.name for c in verify_audit(audit, expected_commitment=expected, recompute=False) if not c.ok}


def script(audit: dict, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), encoding="utf-8")
    return subprocess.run([sys.executable, "-I", str(SCRIPT), str(path), *args], capture_output=True, text=True,
                          timeout=60)


def test_the_commitment_holds_the_hash_of_the_certificate_computed_before_it():
    prepared = _prepared("mixed")
    record = json.loads(json.dumps(record_before_draw(prepared)))
    certificate = record["leximin_certificate"]
    assert prepared.certificate is not None and certificate == prepared.certificate
    assert record["certificate_sha256"] == sha256_hex(canonical_json(certificate)) == certificate_sha256(certificate)
    assert commitment_of_record(record, record["applicants_sha256"], record["table_sha256"]) == record["commitment"]
    # Another certificate hash gives another commitment: the commitment covers the certificate.
    assert commitment_of_record(record, record["applicants_sha256"], record["table_sha256"], "0" * 64) \
        != record["commitment"]
    assert commitment_of_record(record, record["applicants_sha256"], record["table_sha256"], None) \
        != record["commitment"]


def test_what_each_change_of_the_certificate_after_the_commitment_breaks():
    assert failed("binding: genuine, against its published commitment") == set()
    # One number changed (the recorded bound, which the arithmetic does not even use) or another
    # certificate that is valid in itself: only the binding catches them.
    assert failed("binding: one number of the certificate changed after the commitment") \
        == {"certificate_sha256", "commitment"}
    assert failed("binding: another valid certificate swapped in") == {"certificate_sha256", "commitment"}
    assert failed("binding: a number of the certificate made NaN") == {"certificate_sha256", "commitment"}
    assert failed("binding: another valid certificate, rehashed and recommitted, against the published "
                  "commitment") == {"published_commitment"}
    assert failed("binding: the certificate removed") == {"certificate_sha256", "commitment"}
    assert failed("binding: the certificate and its hash removed") == {"commitment"}
    assert failed("binding: a certificate added to a time-limited record") >= {"certificate_sha256", "commitment"}


def test_both_verifiers_say_clearly_that_the_certificate_is_not_the_committed_one(tmp_path):
    audit, _ = BY_NAME["binding: another valid certificate swapped in"]
    check = next(c for c in verify_audit(audit, recompute=False) if c.name == "certificate_sha256")
    assert not check.ok and "not the one fixed by the commitment" in check.detail
    next_ok = next(c for c in verify_audit(audit, recompute=False) if c.name == "certificate")
    assert next_ok.ok  # valid in itself
    result = script(audit, tmp_path)
    assert result.returncode == 1
    assert "FAIL certificate_sha256: the LP dual certificate is not the one fixed by the commitment" in result.stdout
    path = tmp_path / "audit.json"
    cli = run("verify", str(path))
    assert cli.exit_code == 1 and "FAIL certificate_sha256: the LP dual certificate is not the one fixed by the " \
                                   "commitment" in cli.output and "[audit_mismatch]" in cli.output


def test_a_record_committed_before_the_binding_verifies_and_says_the_certificate_is_not_bound(tmp_path):
    path = DATA / "audit_v2_3_certificate_unbound.json"
    audit = json.loads(path.read_text("utf-8"))
    assert "certificate_sha256" not in audit and audit["leximin_certificate"]["stages"]
    cli = run("verify", str(path), "--commitment", audit["commitment"])  # with the leximin recomputed
    assert cli.exit_code == 0, cli.output
    assert "OK   certificate_sha256: not bound" in cli.output and "could have been replaced" in cli.output
    result = script(audit, tmp_path, "--commitment", audit["commitment"])
    assert result.returncode == 0, result.stdout
    assert "OK   certificate_sha256: not bound" in result.stdout and "NOT BOUND the LP dual certificate" \
        in result.stdout
    # A bound record says nothing of the kind.
    bound = script(drawn(), tmp_path)
    assert bound.returncode == 0 and "not bound" not in bound.stdout.lower()
    assert "the commitment covers the certificate" in bound.stdout


def test_a_time_limited_run_has_no_certificate_and_both_verifiers_say_so(tmp_path):
    audit = time_limited()
    assert "leximin_certificate" not in audit and audit["certificate_sha256"] is None
    checks = {c.name: c for c in verify_audit(audit, recompute=False)}
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert "time limit of 1 s" in checks["certificate"].detail and "no proof to check" in checks["certificate"].detail
    assert "no certificate published, as the commitment records" in checks["certificate_sha256"].detail
    result = script(audit, tmp_path)
    assert result.returncode == 0, result.stdout
    assert "NOT PROVEN leximin optimality" in result.stdout and "NOT CHECKED" not in result.stdout
    assert "time limit of 1 s" in result.stdout
    # The same for a time-limited record committed before the binding.
    old = json.loads((DATA / "audit_v2_3_time_limited_unbound.json").read_text("utf-8"))
    result = script(old, tmp_path)
    assert result.returncode == 0 and "NOT PROVEN leximin optimality" in result.stdout, result.stdout


def test_the_public_page_says_what_the_commitment_fixes_and_when_there_is_no_proof(app, client, admin,
                                                                                   lottery_event):
    from app.extensions import db
    from app.lottery.models import LotteryDraw

    people = [{"gender": "f", "age": "old"}] * 4 + [{"gender": "m", "age": "young"}] * 3
    ev = lottery_event(seats=3, criteria=CRITERIA, people=people)
    commit(admin, ev.event_id)
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    with app.app_context():
        record = db.session.query(LotteryDraw).one().record
    assert f'id="certificate-sha256"><code class="hash">{record["certificate_sha256"]}</code>' in page
    assert "Nachweis der Fairness (SHA-256)" in page
    assert "den Nachweis, dass die Wahrscheinlichkeiten so fair wie möglich sind" in page
    assert "Die Festlegung legt auch diesen Nachweis fest" in page and 'id="no-certificate"' not in page
    # A record committed before the binding: the page does not promise it.
    with app.app_context():
        stored = db.session.query(LotteryDraw).one()
        old = copy.deepcopy(stored.record)
        del old["certificate_sha256"]
        stored.record_json = json.dumps(old)
        db.session.commit()
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="certificate-unbound"' in page and "nicht ausschließen, dass er danach ausgetauscht wurde" in page
    assert "Nachweis der Fairness (SHA-256)" not in page and "den Nachweis, dass" not in page


def test_the_public_page_of_a_time_limited_run_says_there_is_no_proof(app, client, admin, lottery_event):
    people = [{"gender": "f", "age": "old"}] * 4 + [{"gender": "m", "age": "young"}] * 3
    ev = lottery_event(seats=3, criteria=CRITERIA, people=people)
    app.config["LOTTERY_TIME_LIMIT"] = 1e-9
    commit(admin, ev.event_id)
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    fairness = page.split('id="check-fairness"', 1)[1].split("</li>", 1)[0]
    assert 'id="no-certificate"' in fairness and "ihr Zeitlimit erreicht" in fairness
    assert "die Prüfdatei enthält dafür keinen Nachweis" in fairness and "LP-Dualzertifikat" not in fairness
    assert "Nachweis der Fairness (SHA-256)" not in page
    audit = json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())
    assert audit["certificate_sha256"] is None and "time_limited" in audit


def test_a_certificate_with_a_number_that_is_not_finite_is_left_out_and_the_commitment_says_so(monkeypatch):
    from app.lottery import audit as audit_module
    from tests.lottery.tampering import MIXED, MIXED_QUOTAS, SEATS

    monkeypatch.setattr(audit_module, "compute_certificate", lambda distribution: {"stages": [float("inf")]})
    prepared = audit_module.prepare_lottery(MIXED, MIXED_QUOTAS, SEATS, number_source="public: dice")
    record = json.loads(json.dumps(record_before_draw(prepared)))
    assert prepared.certificate is None and record["certificate_sha256"] is None
    assert "leximin_certificate" not in record
    checks = {c.name: c for c in verify_audit(record, recompute=False)}
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert "computing it failed at the commitment" in checks["certificate"].detail
