"""``flask lottery probabilities`` and ``flask lottery verify`` through click's runner."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from app.lottery.algorithm import Applicant
from app.lottery.audit import build_audit, prepare_lottery
from tests.support.lottery_cli import run

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "sortition-paper"


def test_probabilities_of_the_paper_instance_to_a_file(tmp_path):
    out = tmp_path / "probabilities.csv"
    result = run("probabilities", "--people", str(TESTDATA / "example_small_20-people.csv"),
                 "--categories", str(TESTDATA / "example_small_20-categories.csv"), "--seats", "20",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "id,probability"
    rows = list(csv.DictReader(io.StringIO(text)))
    with open(TESTDATA / "example_small_20-people.csv", encoding="utf-8") as people:
        assert [r["id"] for r in rows] == [r["id"] for r in csv.DictReader(people)]
    probabilities = [float(r["probability"]) for r in rows]
    assert min(probabilities) == pytest.approx(0.1, abs=1e-6)
    assert sum(probabilities) == pytest.approx(20, abs=1e-6)
    assert all(0 <= p <= 1 for p in probabilities)


def test_probabilities_to_stdout(tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("id;gender\nr1;f\nr2;f\nr3;m\nr4;m\n", encoding="utf-8")
    categories = tmp_path / "categories.csv"
    categories.write_text("feature;value;min;max\ngender;f;1;1\ngender;m;1;1\n", encoding="utf-8")
    result = run("probabilities", "--people", str(people), "--categories", str(categories), "--seats", "2")
    assert result.exit_code == 0, result.output
    assert result.output == "id,probability\nr1,0.5\nr2,0.5\nr3,0.5\nr4,0.5\n"


def test_probabilities_fail_clearly_on_infeasible_quotas(tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("id,gender\nr1,f\nr2,m\nr3,m\n", encoding="utf-8")
    categories = tmp_path / "categories.csv"
    categories.write_text("feature,value,min,max\ngender,f,2,2\ngender,m,0,2\n", encoding="utf-8")
    result = run("probabilities", "--people", str(people), "--categories", str(categories), "--seats", "2")
    assert result.exit_code == 1
    assert "[infeasible]" in result.output and "Criterion “gender”, option “f”" in result.output


def test_probabilities_fail_clearly_on_malformed_files(tmp_path):
    people = tmp_path / "people.csv"
    people.write_bytes(b"\x00\x01\x02garbage")
    result = run("probabilities", "--people", str(people), "--categories",
                 str(TESTDATA / "example_small_20-categories.csv"), "--seats", "2")
    assert result.exit_code == 1
    assert "[csv_format]" in result.output and "people file" in result.output


def test_probabilities_of_an_excel_file_with_a_named_id_column(tmp_path):
    people = tmp_path / "people.csv"
    people.write_bytes("sep=;\nnationbuilder_id;Alter\nn1;jünger\nn2;älter\n".encode("cp1252"))
    categories = tmp_path / "categories.csv"
    categories.write_bytes("feature;value;min;max\nAlter;ju\u0308nger;1;1\nAlter;älter;0;1\n".encode("utf-8"))
    result = run("probabilities", "--people", str(people), "--categories", str(categories), "--seats", "1",
                 "--id-column", "nationbuilder_id")
    assert result.exit_code == 0, result.output
    assert result.stdout == "id,probability\nn1,1\nn2,0\n"
    assert "Windows-1252" in result.stderr


@pytest.fixture()
def audit_file(tmp_path):
    applicants = [Applicant(f"x{i}", {"g": "f" if i % 3 else "m"}) for i in range(9)]
    prepared = prepare_lottery(applicants, {"g": {"f": (1, 3), "m": (1, 2)}}, 3, table_size=20)
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(build_audit(prepared, 7)), encoding="utf-8")
    return path


def test_verify_genuine_audit(audit_file):
    result = run("verify", str(audit_file), "--recompute-table")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert "OK   commitment" in result.output and "All checks passed." in result.output


@pytest.mark.parametrize("tamper", ["applicant", "answer", "number", "table_row"])
def test_verify_tampered_audit_exits_non_zero(audit_file, tamper):
    audit = json.loads(audit_file.read_text(encoding="utf-8"))
    if tamper == "applicant":
        audit["pool_counts"]["types"][0]["pseudonyms"][0] = "x99"
    elif tamper == "answer":
        kind = audit["pool_counts"]["types"][1]
        kind["answers"]["g"] = "m" if kind["answers"]["g"] == "f" else "f"
    elif tamper == "number":
        audit["number"] = audit["number"] + 1
    else:
        audit["table"][0] = next(row for row in audit["table"] if row != audit["table"][0])
    audit_file.write_text(json.dumps(audit), encoding="utf-8")
    result = run("verify", str(audit_file))
    assert result.exit_code == 1
    assert "FAIL" in result.output and "[audit_mismatch]" in result.output


def test_verify_unreadable_file(tmp_path):
    path = tmp_path / "audit.json"
    path.write_text("{not json", encoding="utf-8")
    result = run("verify", str(path))
    assert result.exit_code == 1 and "[audit_format]" in result.output
    result = run("verify", str(tmp_path / "missing.json"))
    assert result.exit_code != 0


def test_table_from_files(tmp_path):
    out, panels = tmp_path / "table.csv", tmp_path / "panels.csv"
    result = run("table", "--people", str(TESTDATA / "example_small_20-people.csv"),
                 "--categories", str(TESTDATA / "example_small_20-categories.csv"), "--seats", "20",
                 "--out", str(out), "--panels", str(panels))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    size = len(panels.read_text(encoding="utf-8").splitlines())
    assert size in (1000, 2000, 5000, 10000)
    for row in rows:
        probability, count = float(row["probability"]), int(row["rows"])
        assert abs(count - size * probability) < 1 + 1e-6 * size  # the bound: less than one row off
        assert float(row["share"]) == pytest.approx(count / size)
    appearances = Counter(p for line in panels.read_text(encoding="utf-8").splitlines() for p in line.split(",")[1:])
    assert {r["id"]: int(r["rows"]) for r in rows} == {p: appearances[p] for p in (r["id"] for r in rows)}
