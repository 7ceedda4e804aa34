"""Stage 1: the allocation is proportional (largest remainder, oversampling, caps), the household
rule holds, the audit verifies (also through `flask lottery verify`), and tampering with a
pseudonym, the plan or the seed makes it fail."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from app.extensions import db as _db
from app.invitations import codes, draw, jobs, services, stage1
from app.invitations.errors import InvitationError
from app.invitations.models import Invitation, RegisterPerson
from tests.support.register_files import csv_bytes, register_rows


def test_largest_remainder_is_exact():
    assert draw.allocate({"a": 100, "b": 50, "c": 10}, 16) == {"a": 10, "b": 5, "c": 1}
    assert draw.allocate({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}  # ties by label
    # A stratum that cannot take its share gives the rest to the others.
    assert draw.allocate({"a": 100, "b": 50, "c": 2}, 30, {"factors_permille": {"c": 5000}}) == \
        {"a": 19, "b": 9, "c": 2}
    # Oversampling doubles a group's weight.
    assert draw.allocate({"a": 100, "b": 100}, 30, {"factors_permille": {"b": 2000}}) == {"a": 10, "b": 20}
    assert draw.allocate({"a": 3, "b": 2}, 50) == {"a": 3, "b": 2}


def _register(n_households=300, per_household=3):
    return [{"pseudonym": f"R-{h:04d}{i}", "household": f"H-{h:04d}", "stratum": ("young", "mid", "old")[(h + i) % 3]}
            for h in range(n_households) for i in range(per_household)]


def test_selection_keeps_the_household_rule_and_the_allocation():
    register = draw.canonical_register(_register())
    allocation = draw.allocate(draw.stratum_sizes(register), 120)
    invited = draw.select(register, allocation, draw.seed_of("c" * 64, "4 8 15 16 23 42"))
    by_pseudonym = {e["pseudonym"]: e for e in register}
    households = Counter(by_pseudonym[p]["household"] for p in invited)
    assert max(households.values()) == 1
    assert Counter(by_pseudonym[p]["stratum"] for p in invited) == Counter(allocation)
    # Without the rule, households may receive several letters (and the same seed gives the same draw).
    free = draw.select(register, allocation, draw.seed_of("c" * 64, "4 8 15 16 23 42"), one_per_household=False)
    assert max(Counter(by_pseudonym[p]["household"] for p in free).values()) > 1
    assert free == draw.select(register, allocation, draw.seed_of("c" * 64, "4 8 15 16 23 42"), False)


def test_each_resident_is_invited_about_as_often_as_the_allocation_says():
    register = draw.canonical_register(_register(60, 1))
    allocation = draw.allocate(draw.stratum_sizes(register), 12)
    counts = Counter()
    for n in range(600):
        counts.update(draw.select(register, allocation, draw.seed_of("a" * 64, str(n))))
    # 12 of 60, 1 per household: p = 0.2, 120 expected per person in 600 draws.
    assert all(70 < counts[e["pseudonym"]] < 170 for e in register)


def _audit(public_value="17 23 5 9 41 2"):
    plan = {"letters": 90, "one_per_household": True, "by_district": False, "age_bands": [],
            "reference_date": "2027-03-01", "response_rate_permille": 80}
    prepared = draw.prepare(_register(), plan, "public: Lottozahlen vom 6. März 2027")
    return draw.record_after(draw.record_before(prepared, {"event": {"id": 1, "title": "Bürgerrat"}}), public_value)


def _ok(audit):
    return all(check.ok for check in draw.verify_audit(json.loads(json.dumps(audit))))


def test_the_audit_verifies_and_tampering_fails():
    audit = _audit()
    assert _ok(audit)
    assert len(audit["invited"]) == 90
    pseudonym = json.loads(json.dumps(audit))
    pseudonym["register"][5]["pseudonym"] = "R-XXXXX"
    assert not _ok(pseudonym)
    stratum = json.loads(json.dumps(audit))
    stratum["register"][5]["stratum"] = "old" if stratum["register"][5]["stratum"] != "old" else "young"
    assert not _ok(stratum)
    plan = json.loads(json.dumps(audit))
    plan["plan"]["letters"] = 91
    assert not _ok(plan)
    seed = json.loads(json.dumps(audit))
    seed["public_value"] = "17 23 5 9 41 3"
    assert not _ok(seed)
    invited = json.loads(json.dumps(audit))
    invited["invited"][0] = next(e["pseudonym"] for e in audit["register"] if e["pseudonym"] not in audit["invited"])
    invited["invited"].sort()
    assert not _ok(invited)
    assert not all(c.ok for c in draw.verify_audit(audit, expected_commitment="0" * 64))


def test_flask_lottery_verify_checks_invitation_audits(app, tmp_path):
    from app.lottery.cli import verify_command

    path = tmp_path / "invitations-audit.json"
    path.write_text(json.dumps(_audit()), encoding="utf-8")
    with app.app_context():
        result = CliRunner().invoke(verify_command, [str(path)])
    assert result.exit_code == 0, result.output
    assert "OK   invited" in result.output
    bad = _audit()
    bad["plan"]["one_per_household"] = False
    path.write_text(json.dumps(bad), encoding="utf-8")
    with app.app_context():
        failed = CliRunner().invoke(verify_command, [str(path)])
    assert failed.exit_code != 0 and "FAIL plan_sha256" in failed.output


def _imported_event(app, register_event, rows=120):
    from app.events.models import Event

    with app.test_request_context():
        event = _db.session.get(Event, register_event)
        extract = services.upload_extract(event, None, "r.csv", csv_bytes(register_rows(rows)))
        services.preview(extract, extract.mapping)
        jobs.confirm_import(extract, None)
        _db.session.commit()
    return register_event


def test_plan_commit_draw_and_codes(app, register_event):
    from app.events.models import Event

    _imported_event(app, register_event)
    with app.test_request_context():
        event = _db.session.get(Event, register_event)
        planned = stage1.save_plan(event, letters=30, by_district=True, age_bands="16-29, 30-44, 45-64, 65+",
                                   response_rate_percent=8, group_settings={"16–29": (4.0, 2.0)},
                                   one_per_household=True, answer_deadline=datetime(2027, 1, 31))
        extract = services.current_extract(event)
        table = stage1.plan_table(extract, planned.plan)
        assert table.letters == 30
        young = [r for r in table.rows if r.stratum.endswith("16–29")]
        assert young and all(r.factor == 2.0 and r.response_rate == 0.04 for r in young)
        assert table.eligible + table.not_eligible == 120
        with pytest.raises(InvitationError) as bad:
            stage1.commit(planned, None, "public", "kurz")
        assert bad.value.code == "bad_number"
        stage1.commit(planned, None, "public", "Lottozahlen der Ziehung am Samstag, 6. März 2027")
        _db.session.commit()
        with pytest.raises(InvitationError) as locked:
            stage1.save_plan(event, letters=31, by_district=True, age_bands="", response_rate_percent=8,
                             group_settings={}, one_per_household=True, answer_deadline=None)
        assert locked.value.code == "wrong_state"
        drawn = stage1.perform(planned, None, "3 12 19 27 33 48")
        _db.session.commit()
        assert all(c.ok for c in draw.verify_audit(json.loads(stage1.audit_json(drawn))))
        invitations = _db.session.execute(sa.select(Invitation)).scalars().all()
        assert len(invitations) == 30
        households = Counter(i.person.household_id for i in invitations)
        assert max(households.values()) == 1
        # Codes: found by the keyed hash, once.
        first = invitations[0]
        code = codes.invitation_code(first.code_nonce)
        assert stage1.find_invitation(codes.format_code(code).lower()).id == first.id
        with pytest.raises(InvitationError):
            stage1.find_invitation("AAAAA-AAAAA")
        # The audit holds pseudonyms, no names.
        text = stage1.audit_json(drawn)
        names = _db.session.execute(sa.select(RegisterPerson.family_name)).scalars().all()
        assert not any(name in text for name in names)


def test_age_bands_from_the_year_or_the_date_of_birth():
    """A register with only the year of birth counts the age reached in the reference date's year; with
    the date of birth, the exact age on the reference date."""
    from datetime import date

    plan = {"by_district": False, "age_bands": [[16, 29], [30, 44], [65, None]], "reference_date": "2027-03-01"}
    assert stage1.stratum_of(plan, "", None, 1997) == "30–44"  # turns 30 in 2027
    assert stage1.stratum_of(plan, "", date(1997, 6, 1), 1997) == "16–29"  # still 29 on 1 March
    assert stage1.stratum_of(plan, "", date(1997, 3, 1), 1997) == "30–44"  # 30 on the day
    assert stage1.stratum_of(plan, "", None, 1962) == "65+"
    assert stage1.stratum_of(plan, "", None, 1975) is None  # 52: in no band
    assert stage1.stratum_of(plan, "", None, None) is None  # no year of birth: not drawn
