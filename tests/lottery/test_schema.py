"""The JSON Schema of the audit file (issue 22): every genuine record is valid, the validator catches
what the schema forbids, the schema uses only what the validator implements, and it is served."""
from __future__ import annotations

import copy
import json

import pytest

from app.lottery.audit import verify_audit
from app.lottery.schema import ANNOTATIONS, KEYWORDS, audit_schema, schema_problems
from tests.lottery.tampering import cases

CASES = cases()


@pytest.mark.parametrize("name, audit, expected, passes", CASES, ids=[c[0] for c in CASES])
def test_every_record_of_the_tamper_cases_is_valid(name, audit, expected, passes):
    # Tampering that keeps the format is caught by the checks, not by the schema.
    assert schema_problems(audit) == []


def test_schema_violations_are_named_and_fail_verify():
    genuine = copy.deepcopy(next(a for n, a, _, _ in CASES if n == "genuine"))
    bad = copy.deepcopy(genuine)
    bad["dice"] = "17"
    bad["commitment"] = bad["commitment"].upper()
    bad["quotas"][0]["note"] = "x"
    bad["replacements"] = [{"declined": ["q01"], "admitted": "q02",
                            "evidence": {"q01": {"reason": "bored", "at": "2026-01-01T00:00:00"}}}]
    problems = schema_problems(bad)
    assert "$.dice: does not match ^[0-9]{4}$" in problems
    assert any(p.startswith("$.commitment: does not match") for p in problems)
    assert "$.quotas[0]: unexpected 'note'" in problems
    assert any(p.startswith("$.replacements[0].evidence.q01.reason") for p in problems)
    assert "schema" in {c.name for c in verify_audit(bad, recompute=False) if not c.ok}
    no_waiting = copy.deepcopy(genuine)
    del no_waiting["waiting_list"]
    assert "$: 'number' needs 'waiting_list'" in schema_problems(no_waiting)
    assert schema_problems(dict(genuine, probabilities={"q00": 1.5})) == ["$.probabilities.q00: 1.5 is above 1.000001"]


def test_each_format_version_publishes_the_pool_its_own_way():
    """Version 2: pool_counts with pseudonyms per type and no applicants; version 1: applicants."""
    from tests.lottery.tampering import as_format_1

    genuine = copy.deepcopy(next(a for n, a, _, _ in CASES if n == "genuine"))
    old = as_format_1(genuine)
    assert schema_problems(old) == []
    assert "$: 'applicants' missing" in schema_problems({k: v for k, v in old.items() if k != "applicants"})
    both = dict(genuine, applicants=old["applicants"])
    assert any("must not match" in p for p in schema_problems(both))
    assert "schema" in {c.name for c in verify_audit(both, recompute=False) if not c.ok}
    assert "$: 'pool_counts' missing" in schema_problems({k: v for k, v in genuine.items() if k != "pool_counts"})
    bare = copy.deepcopy(genuine)
    del bare["pool_counts"]["types"][0]["pseudonyms"]
    assert "$.pool_counts.types[0]: 'pseudonyms' missing" in schema_problems(bare)
    assert {c.name for c in verify_audit(bare, recompute=False) if not c.ok} == {"format"}


def test_schema_uses_only_implemented_keywords():
    def walk(node):
        if isinstance(node, dict):
            yield from node
            for key, value in node.items():
                if key in ("properties", "$defs", "dependentRequired"):
                    for item in value.values():
                        yield from walk(item)
                elif isinstance(value, dict):
                    yield from walk(value)
                elif key == "allOf":
                    for item in value:
                        yield from walk(item)
    assert {"allOf", "if", "then", "not"} <= set(walk(audit_schema()))
    assert set(walk(audit_schema())) <= KEYWORDS | ANNOTATIONS
    assert audit_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_is_served_and_a_downloaded_audit_is_valid(app, client, admin, lottery_event):
    from tests.factories.lottery import commit, draw

    response = client.get("/lottery/audit-schema.json")
    assert response.status_code == 200 and response.mimetype == "application/schema+json"
    assert json.loads(response.get_data()) == audit_schema()
    ev = lottery_event(seats=2, count=5)
    commit(admin, ev.event_id)
    assert schema_problems(json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())) == []
    draw(admin, ev.event_id, "0003")
    assert schema_problems(json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())) == []
