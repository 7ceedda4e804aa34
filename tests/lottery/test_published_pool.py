"""Privacy of the published pool (issue 22): the public lottery page says what is published about the
applicants and why, lists the pool's groups of identical answers with their counts from the commitment
on, and points out groups smaller than LOTTERY_SMALL_GROUP."""
from __future__ import annotations

from tests.factories.lottery import commit

CRITERIA = {"gender": {"f": (1, 3), "m": (1, 3)}, "age": {"young": (0, 3), "old": (0, 3)}}


def test_public_page_explains_what_is_published_and_marks_small_groups(app, client, admin, lottery_event):
    people = [{"gender": "f", "age": "old"}] * 5 + [{"gender": "m", "age": "old"}] * 5 + [{"gender": "m",
                                                                                          "age": "young"}]
    ev = lottery_event(seats=3, criteria=CRITERIA, people=people)
    commit(admin, ev.event_id)
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert "Was über die Bewerbungen veröffentlicht wird" in page and "keine Kontaktdaten" in page
    assert 'id="small-groups"' in page and "weniger als 5 Mitglieder" in page
    groups = page.split('id="pool-groups"', 1)[1].split("</details>", 1)[0]
    assert "Bewerbungen nach ihren Antworten: 3 Gruppen" in groups
    assert groups.count('class="small-group"') == 1
    assert '<tr class="small-group"><td>Gender: M; Age: YOUNG <span class="badge badge-warn">kleine Gruppe</span>' \
           '</td><td class="num">1</td>' in groups
    assert "Person 0" not in page and "@example.org" not in page
    # Without small groups there is nothing to point out.
    app.config["LOTTERY_SMALL_GROUP"] = 1
    assert 'id="small-groups"' not in client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)


def test_the_published_audit_file_lists_groups_not_each_persons_answers(app, client, admin, lottery_event):
    """Format 2: the downloaded audit file and the open-data API give each answer vector once, with its
    count and pseudonyms, and no list of every applicant's answers; the page counts every applicant."""
    import json

    people = [{"gender": "f", "age": "old"}] * 4 + [{"gender": "m", "age": "young"}] * 3
    ev = lottery_event(seats=3, criteria=CRITERIA, people=people)
    commit(admin, ev.event_id)
    audit = json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())
    assert "applicants" not in audit and audit["format_version"] == 2
    assert sorted((t["count"], len(t["pseudonyms"])) for t in audit["pool_counts"]["types"]) == [(3, 3), (4, 4)]
    api = client.get(f"/api/v1/events/{ev.event_id}/lottery").get_json()
    assert "applicants" not in api["audit"] and api["audit"]["pool_counts"] == audit["pool_counts"]
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="applicant-total">7<' in page
    assert "keine Liste der Antworten jeder einzelnen Person" in page


def test_the_public_page_explains_how_to_check_commitment_public_value_and_groups(app, client, admin,
                                                                                   lottery_event, tmp_path):
    """Issue 22: the page says in plain German how to check the commitment (with the command and the
    verifier to download), the public value and the group counts, and links the Leichte Sprache."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from app.accessibility.easy_language import section

    people = [{"gender": "f", "age": "old"}] * 4 + [{"gender": "m", "age": "young"}] * 3
    ev = lottery_event(seats=3, criteria=CRITERIA, people=people)
    commit(admin, ev.event_id)
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    steps = page.split('id="check-steps"', 1)[1].split("</ol>", 1)[0]
    with app.app_context():
        from app.lottery.models import LotteryDraw
        from app.extensions import db

        committed = db.session.query(LotteryDraw).one().commitment
    assert f"python3 verify_lottery.py lottery-event-{ev.event_id}.json --commitment {committed}" in steps
    assert f"/api/v1/events/{ev.event_id}/lottery" in steps and "Notieren Sie vor der Ziehung die Festlegung" in steps
    assert 'id="check-public-value"' in steps and "öffentlichen Wert" in steps and "Lottozahlen" in steps
    assert 'id="check-pool"' in steps and "so viele Pseudonyme nennt, wie ihre Zahl angibt" in steps
    assert 'id="check-fairness"' in steps and "LP-Dualzertifikat" in steps
    assert 'href="/leichte-sprache#pruefen"' in page
    # The verifier offered is the single file of the repository, and it checks the downloaded file.
    verifier = client.get("/lottery/verify_lottery.py")
    script = Path(__file__).resolve().parents[2] / "scripts" / "verify_lottery.py"
    assert verifier.status_code == 200 and verifier.get_data() == script.read_bytes()
    (tmp_path / "verify_lottery.py").write_bytes(verifier.get_data())
    audit = client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data()
    (tmp_path / "audit.json").write_bytes(audit)
    result = subprocess.run([sys.executable, "-I", "verify_lottery.py", "audit.json", "--commitment", committed],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0 and "OK   pool_counts" in result.stdout, result.stdout
    assert "OK   certificate: " in result.stdout and "NOT CHECKED" not in result.stdout, result.stdout
    assert json.loads(audit)["commitment"] == committed
    # Leichte Sprache: the public value and the groups, in short sentences.
    easy = " ".join(section("pruefen").sentences)
    assert "öffentlichen Wert" in easy and "Lotto·zahlen" in easy and "Gruppen" in easy
    assert "Die Antworten von einzelnen Personen stehen nicht auf der Seite." in easy
    assert "Ist die Auslosung so fair wie möglich?" in easy and "Nachweis" in easy
    assert all(len(sentence.split()) <= 20 for sentence in section("pruefen").sentences)


def test_a_draw_stored_in_format_1_is_published_per_type_and_still_verifies(app, client, admin, lottery_event):
    """Draws committed before format 2 keep their stored record; the page and the download give it
    per type, and it verifies against the commitment published then."""
    import json

    from app.extensions import db
    from app.lottery.audit import all_passed, verify_audit
    from app.lottery.models import LotteryDraw
    from tests.lottery.tampering import as_format_1

    people = [{"gender": "f", "age": "old"}] * 4 + [{"gender": "m", "age": "young"}] * 3
    ev = lottery_event(seats=3, criteria=CRITERIA, people=people)
    commit(admin, ev.event_id)
    with app.app_context():
        stored = db.session.query(LotteryDraw).one()
        stored.record_json = json.dumps(as_format_1(stored.record))
        db.session.commit()
        committed = stored.commitment
    audit = json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())
    assert "applicants" not in audit and audit["format_version"] == 2
    assert all_passed(verify_audit(audit, expected_commitment=committed, recompute=False))
    assert 'id="applicant-total">7<' in client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)


def test_the_public_page_lists_each_groups_pseudonyms_as_the_audit_file_does(app, client, admin, lottery_event):
    """Issue 22: the page lists the pseudonyms of every group of identical answers, the same as the audit
    file, so an applicant finds their pseudonym in the right group without downloading the file."""
    import json
    import re

    people = [{"gender": "f", "age": "old"}] * 4 + [{"gender": "m", "age": "young"}] * 3
    ev = lottery_event(seats=3, criteria=CRITERIA, people=people)
    commit(admin, ev.event_id)
    audit = json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())
    expected = sorted(sorted(t["pseudonyms"]) for t in audit["pool_counts"]["types"])
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    groups = page.split('id="pool-groups"', 1)[1].split("</details>", 1)[0]
    assert "Pseudonyme der Gruppe" in groups
    rows = re.findall(r'<td class="group-pseudonyms">(.*?)</td>', groups)
    assert sorted(sorted(re.findall(r"<code>([^<]+)</code>", row)) for row in rows) == expected
    english = client.get(f"/events/{ev.event_id}/lottery", headers={"Accept-Language": "en"})
    assert "Pseudonyms in the group" in english.get_data(as_text=True)
