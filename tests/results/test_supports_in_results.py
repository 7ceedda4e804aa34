"""Online supports in the results (issue 18): beside the dots, never added into them, counted once
per participant and merge group, on the dashboard, the public pages, the API, the exports and the
council report; the pages' statement counts stay independent of the number of supports."""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db as _db


@pytest.fixture
def supported(app, results_fixture, create_participant):
    """The results fixture with supports of four participants of its process:

    * P1 supports i1 and i2 (merged into i1): one support of i1's group;
    * P2 supports i2: i1 has 2 supports;
    * P3 supports i6 and i8 (both of i6's group, i8 recorded at event A): i6 has 1;
    * P4 supports the hidden i3 and the unpublished i9: never public.
    """
    from app.participation.models import Support

    f = results_fixture
    people = [create_participant(f.process_id).id for _ in range(4)]
    with app.app_context():
        for person, names in zip(people, (("i1", "i2"), ("i2",), ("i6", "i8"), ("i3", "i9"))):
            for name in names:
                _db.session.add(Support(participant_id=person, idea_id=f.ideas[name]))
        _db.session.commit()
    return f


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_services_count_supports_once_per_person_and_group_beside_the_dots(app, supported):
    from app.results.base import prepared
    from app.results.ranking import idea_ranking
    from app.results.records import idea_records
    from app.results.scope import make_scope
    from app.results.totals import channel_totals, dot_totals, stand_totals, tag_totals

    f = supported
    with app.app_context():
        scope = make_scope(f.process_id)
        with prepared(scope) as counted:
            ranking = {i.id: i for i in idea_ranking(counted)}
            totals = dot_totals(counted)
            stands = {s.stand_id: s for s in stand_totals(counted)}
            tags = {t.label: t for t in tag_totals(counted)}
            channels = channel_totals(counted)
            records = {r.id: r for r in idea_records(counted, limit=None)}
        # Not prepared: the same numbers.
        assert {i.id: i.supports for i in idea_ranking(scope)} == {k: v.supports for k, v in ranking.items()}
    i1, i6, i4 = ranking[f.ideas["i1"]], ranking[f.ideas["i6"]], ranking[f.ideas["i4"]]
    assert (i1.supports, i1.total) == (2, 12) and (i6.supports, i6.total) == (1, 8) and i4.supports == 0
    assert (totals.supports, totals.total) == (3, 23)
    assert stands[f.s1].supports == 2 and stands[f.s3].supports == 1 and stands[f.s2].supports == 0
    assert tags["Bürgerportal"].supports == 3 and tags["Homepage"].supports == 0
    assert channels["room"].supports == 3 and channels["room"].dots == 23 and channels["online"].ideas == 0
    # A merged idea's record carries zeros (its supports count for the survivor), as its dots do.
    assert records[f.ideas["i2"]].supports == 0 and records[f.ideas["i1"]].supports == 2
    with app.app_context():  # staff with hidden ideas: the hidden idea's support is counted there
        staff = make_scope(f.process_id, public=False, include_hidden=True)
        hidden = {i.id: i.supports for i in idea_ranking(staff)}
    assert hidden[f.ideas["i3"]] == 1 and hidden[f.ideas["i9"]] == 1


def test_online_ideas_are_counted_by_channel(app, supported, create_online_idea, create_participant):
    from app.participation.models import Support
    from app.results.ranking import idea_ranking
    from app.results.scope import make_scope
    from app.results.totals import channel_totals

    f = supported
    online = create_online_idea(f.s2, "Online eingereichte Idee zur Startseite").id
    person = create_participant(f.process_id).id
    with app.app_context():
        _db.session.add(Support(participant_id=person, idea_id=online))
        _db.session.commit()
        channels = channel_totals(make_scope(f.process_id))
        ranked = {i.id: i for i in idea_ranking(make_scope(f.process_id))}
    assert (channels["online"].ideas, channels["online"].dots, channels["online"].supports) == (1, 0, 1)
    assert ranked[online].channel == "online" and ranked[online].supports == 1


@pytest.mark.parametrize("lang, words", [
    ("de", ("Unterstützungen online", "Saal und online", "Ideen, Punkte und Unterstützungen nach Weg", "Zusammen",
            "Unterstützungen online (keine Punkte)")),
    ("en", ("Supports online", "Room and online", "Ideas, dots and supports by channel", "Together",
            "supports online (not dots)")),
])
def test_dashboard_shows_supports_beside_the_dots(staff_client, supported, lang, words):
    council = staff_client("council")
    council.set_cookie("ideenmarkt_lang", lang)
    html = text(council.get(f"/manage/results/processes/{supported.process_id}"))
    for word in words:
        assert word in html, word
    # i1: dots 5/6/1 = 12, then its 2 supports in their own column.
    assert ('<td class="num">1</td><td class="num"><strong>12</strong></td>'
            '<td class="num supports-col">2</td>') in html
    # Staff see the unpublished event C too (P4's support of i9); the hidden i3 is not listed.
    assert '<span class="figure">4</span>' in html.split('id="supports-figure"')[1][:80]


def test_public_pages_show_supports(client, supported):
    f = supported
    event = text(client.get(f"/events/{f.event_a}/results"))
    assert "Unterstützungen online" in event
    assert '<td class="num"><strong>12</strong></td><td class="num supports-col">2</td>' in event
    process = text(client.get(f"/processes/{f.process_id}/results"))
    assert '<span class="figure">3</span>' in process.split('id="supports-figure"')[1][:80]
    assert '<td class="num"><strong>8</strong></td><td class="num supports-col">1</td>' in process
    # The live state of the outcome page carries the same.
    state = client.get(f"/events/{f.event_a}/results.json").get_json()
    assert '<td class="num supports-col">2</td>' in state["sections"]["ranking"]["html"]


def test_api_results_and_ideas_carry_supports_and_channel(client, supported):
    f = supported
    data = client.get(f"/api/v1/events/{f.event_a}/results").get_json()
    assert data["supports"] == 2 and data["dots"]["total"] == 15  # i6's group is event B's
    ranking = {i["id"]: i for i in data["ranking"]}
    assert ranking[f.ideas["i1"]]["supports"] == 2 and ranking[f.ideas["i1"]]["channel"] == "room"
    assert ranking[f.ideas["i1"]]["dots"]["total"] == 12
    assert {s["id"]: s["supports"] for s in data["stands"]} == {f.s1: 2, f.s2: 0}
    ideas = {i["id"]: i for i in client.get(f"/api/v1/events/{f.event_a}/ideas").get_json()["items"]}
    assert ideas[f.ideas["i2"]]["supports"] == 0 and ideas[f.ideas["i1"]]["supports"] == 2
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("Idea", "RankedIdea", "StandTotal", "TagTotal", "Results"):
        assert "supports" in schema[name]["required"], name
    for name in ("Idea", "RankedIdea"):
        assert schema[name]["properties"]["channel"]["enum"] == ["room", "online"]


def test_exports_carry_supports(app, staff_client, supported):
    from openpyxl import load_workbook

    f = supported
    council = staff_client("council")
    base = f"/manage/results/processes/{f.process_id}/ideas"
    raw = council.job_file(f"{base}.csv").get_data().decode("utf-8-sig")
    rows = {int(r["Idee Nr."]): r for r in csv.DictReader(io.StringIO(raw), delimiter=";")}
    assert rows[f.ideas["i1"]]["Unterstützungen online (keine Punkte)"] == "2"
    assert rows[f.ideas["i1"]]["Punkte gesamt"] == "12"
    assert rows[f.ideas["i2"]]["Unterstützungen online (keine Punkte)"] == "0"
    data = json.loads(council.job_file(f"{base}.json").get_data(as_text=True))
    assert {i["id"]: i["supports"] for i in data["ideas"]}[f.ideas["i6"]] == 1
    workbook = load_workbook(io.BytesIO(council.job_file(f"{base}.xlsx").get_data()))
    stands = list(workbook["Marktstände"].iter_rows(values_only=True))
    assert stands[0][-1] == "Unterstützungen online (keine Punkte)"
    assert [row[-1] for row in stands[1:]][:2] == [2, 0]


def test_council_report_shows_supports_beside_the_dots(app, smtp, staff_client, create_participant):
    from app.participation.models import Support
    from tests.factories.api import build_world

    with app.test_request_context():
        world = build_world()
    people = [create_participant(world.process_id).id for _ in range(2)]
    with app.app_context():
        _db.session.add_all([Support(participant_id=p, idea_id=world.top_id) for p in people]
                            + [Support(participant_id=people[0], idea_id=world.duplicate_id)])
        _db.session.commit()
    response = staff_client("council").job_file(f"/manage/results/processes/{world.process_id}/report.pdf")
    assert response.status_code == 200
    report = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
    assert "Saal und online" in report and "Zusammen" in report
    assert "Unterstützungen online: 2" in report  # the stand line of the top idea's stand: counted once each


def test_page_queries_do_not_grow_with_the_supports(app, client, staff_client, supported, create_participant,
                                                   count_queries):
    """A hundred more supporters change no page's number of statements."""
    from app.participation.models import Support

    f = supported
    with app.app_context():
        engine = _db.engine
    council = staff_client("council")
    paths = [(client, f"/events/{f.event_a}/results"), (client, f"/processes/{f.process_id}/results"),
             (client, f"/api/v1/events/{f.event_a}/results"), (council, f"/manage/results/processes/{f.process_id}")]

    def counts() -> list[int]:
        found = []
        for who, path in paths:
            assert who.get(path).status_code == 200
            with count_queries(engine) as counter:
                assert who.get(path).status_code == 200
            found.append(counter.n)
        return found

    before = counts()
    people = [create_participant(f.process_id).id for _ in range(100)]
    with app.app_context():
        _db.session.execute(sa.insert(Support), [{"participant_id": p, "idea_id": f.ideas["i4"]} for p in people])
        _db.session.commit()
    assert counts() == before
