"""Privacy of the published pool (issue 22): the public lottery page says what is published about the
applicants and why, lists the pool's groups of identical answers with their counts from the commitment
on, and points out groups smaller than LOTTERY_SMALL_GROUP."""
from __future__ import annotations

from tests.lottery.test_integration import commit

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
