"""Aggregations against totals computed by hand (see tests/factories/results.py)."""
from __future__ import annotations

import pytest

from app.events.models import Event
from app.results.base import ResultsError
from app.results.participation import participation, participation_by_option
from app.results.ranking import idea_count, idea_ranking
from app.results.scope import event_scope, make_scope, published_events
from app.results.stakeholders import group_comparison, stakeholder_groups
from app.results.totals import dot_totals, stand_totals, tag_totals, top_tags


def ranking(scope, **kw):
    return [(r.id, r.room, r.board, r.online, r.total) for r in idea_ranking(scope, **kw)]


def test_public_process_ranking_merges_and_hides(db, results_fixture):
    f = results_fixture
    scope = make_scope(f.process_id)
    assert scope.event_ids == (f.event_a, f.event_b)  # the unpublished event C is not public
    i = f.ideas
    assert ranking(scope) == [
        (i["i1"], 5, 6, 1, 12),  # i1 + merged i2
        (i["i6"], 3, 2, 3, 8),   # i6 + merged i7 + i8 (merged across events)
        (i["i4"], 1, 0, 2, 3),
        (i["i5"], 0, 0, 0, 0),
    ]
    ideas = idea_ranking(scope)
    assert [r.rank for r in ideas] == [1, 2, 3, 4]
    assert ideas[0].merged == 1 and ideas[1].merged == 2
    assert [t.label for t in ideas[0].tags] == ["Bürgerportal", "Online-Dienste"]
    assert ideas[0].stand_title == "Bürgerportal" and ideas[0].event_title == "Bürgerwerkstatt Altstadt"
    assert not hasattr(ideas[0], "said_by")
    assert idea_count(scope) == 4
    totals = dot_totals(scope)
    assert (totals.room, totals.board, totals.online, totals.total, totals.ideas) == (9, 8, 6, 23, 4)


def test_staff_scope_with_hidden_and_unpublished(db, results_fixture):
    f = results_fixture
    i = f.ideas
    staff = make_scope(f.process_id, public=False, include_hidden=True)
    assert staff.event_ids == (f.event_a, f.event_b, f.event_c)
    assert [(r[0], r[4]) for r in ranking(staff)] == [
        (i["i1"], 12), (i["i6"], 8), (i["i9"], 5), (i["i3"], 4), (i["i4"], 3), (i["i5"], 0)]
    hidden = [r for r in idea_ranking(staff) if r.id == i["i3"]][0]
    assert hidden.status == "hidden"
    # Staff without include_hidden: unpublished events, but no hidden ideas.
    staff_visible = make_scope(f.process_id, public=False)
    assert i["i3"] not in [r[0] for r in ranking(staff_visible)]
    # include_hidden is ignored for the public.
    public = make_scope(f.process_id, include_hidden=True)
    assert i["i3"] not in [r[0] for r in ranking(public)]


def test_filters(db, results_fixture):
    f = results_fixture
    i = f.ideas
    by_event = make_scope(f.process_id, event_ids=[str(f.event_a)])
    assert [r[0] for r in ranking(by_event)] == [i["i1"], i["i4"], i["i5"]]
    totals = dot_totals(by_event)
    assert (totals.room, totals.board, totals.online) == (6, 6, 3)
    by_stand = make_scope(f.process_id, stand_id=f.s1)
    assert ranking(by_stand) == [(i["i1"], 5, 6, 1, 12)]
    by_tag = make_scope(f.process_id, tag_id=f.tags["portal"])
    assert [r[0] for r in ranking(by_tag)] == [i["i1"], i["i6"]]
    by_group = make_scope(f.process_id, stakeholder_group="Jugendrat")
    assert by_group.event_ids == (f.event_b,)
    assert ranking(by_group) == [(i["i6"], 3, 2, 3, 8)]
    paged = idea_ranking(make_scope(f.process_id), limit=2, offset=2)
    assert [(r.rank, r.id) for r in paged] == [(3, i["i4"]), (4, i["i5"])]
    all_ideas = idea_ranking(make_scope(f.process_id), limit=None)
    assert len(all_ideas) == 4 and [t.label for t in all_ideas[0].tags] == ["Bürgerportal", "Online-Dienste"]


def test_event_scope(db, results_fixture):
    f = results_fixture
    event_a = db.session.get(Event, f.event_a)
    event_c = db.session.get(Event, f.event_c)
    assert [r.id for r in idea_ranking(event_scope(event_a))] == [
        f.ideas["i1"], f.ideas["i4"], f.ideas["i5"]]
    assert idea_ranking(event_scope(event_c)) == []  # not published
    assert dot_totals(event_scope(event_c)).total == 0
    assert stand_totals(event_scope(event_c)) == []
    staff_c = event_scope(event_c, public=False)
    assert [(r.id, r.total) for r in idea_ranking(staff_c)] == [(f.ideas["i9"], 5)]


@pytest.mark.parametrize("kwargs, code", [
    ({"event_ids": ["x"]}, "bad_filter"),
    ({"event_ids": ["0"]}, "bad_filter"),
    ({"event_ids": ["99999"]}, "unknown_event"),
    ({"stand_id": "1e3"}, "bad_filter"),
    ({"stand_id": "99999"}, "unknown_stand"),
    ({"tag_id": "\x00"}, "bad_filter"),
    ({"tag_id": "9" * 40}, "bad_filter"),
    ({"tag_id": 99999}, "unknown_tag"),
    ({"stakeholder_group": "Niemand"}, "unknown_group"),
    ({"stakeholder_group": ["Jugendrat"]}, "bad_filter"),
    ({"stakeholder_group": "x" * 500}, "bad_filter"),
])
def test_bad_filters(db, results_fixture, kwargs, code):
    with pytest.raises(ResultsError) as info:
        make_scope(results_fixture.process_id, **kwargs)
    assert info.value.code == code


def test_unpublished_event_and_its_stand_are_unknown_to_the_public(db, results_fixture):
    f = results_fixture
    with pytest.raises(ResultsError) as info:
        make_scope(f.process_id, event_ids=[f.event_c])
    assert info.value.code == "unknown_event"
    with pytest.raises(ResultsError) as info:
        make_scope(f.process_id, stand_id=f.s4)
    assert info.value.code == "unknown_stand"
    assert make_scope(f.process_id, public=False, stand_id=f.s4).stand_id == f.s4


def test_stand_totals(db, results_fixture):
    f = results_fixture
    rows = stand_totals(make_scope(f.process_id))
    assert [(r.stand_id, r.ideas, r.hidden, r.merged, r.room, r.board, r.online, r.total) for r in rows] == [
        (f.s1, 1, 1, 2, 5, 6, 1, 12),  # i8 is merged away from S1 into S3's i6
        (f.s2, 2, 0, 0, 1, 0, 2, 3),
        (f.s3, 1, 0, 1, 3, 2, 3, 8),
    ]
    assert rows[0].title == "Bürgerportal" and rows[0].event_title == "Bürgerwerkstatt Altstadt"
    only = stand_totals(make_scope(f.process_id, stand_id=f.s2))
    assert [r.stand_id for r in only] == [f.s2]
    hidden = stand_totals(make_scope(f.process_id, public=False, include_hidden=True))
    assert (hidden[0].ideas, hidden[0].room) == (2, 9)


def test_tag_totals_and_top_tags(db, results_fixture):
    f = results_fixture
    scope = make_scope(f.process_id)
    rows = tag_totals(scope)
    assert [(r.label, r.ideas, r.room, r.board, r.online, r.total) for r in rows] == [
        ("Bürgerportal", 2, 8, 8, 4, 20),
        ("Online-Dienste", 1, 5, 6, 1, 12),
        ("Homepage", 1, 1, 0, 2, 3),
    ]
    assert [r.label for r in top_tags(scope, limit=2)] == ["Bürgerportal", "Online-Dienste"]
    youth = tag_totals(make_scope(f.process_id, stakeholder_group="Jugendrat"))
    assert [(r.label, r.total) for r in youth] == [("Bürgerportal", 8)]


def test_group_comparison_by_tag_and_stand(db, results_fixture):
    f = results_fixture
    scope = make_scope(f.process_id)
    comparison = group_comparison(scope)
    assert [(g.group, g.events, g.ideas, g.dots) for g in comparison.groups] == [
        ("Einwohner", 1, 3, 15), ("Jugendrat", 1, 1, 8)]
    assert comparison.themes == ["Bürgerportal", "Online-Dienste", "Homepage"]
    cell = comparison.cell("Bürgerportal", "Einwohner")
    assert (cell.ideas, cell.dots) == (1, 12)
    assert cell.idea_share == pytest.approx(1 / 3) and cell.dot_share == pytest.approx(0.8)
    youth = comparison.cell("Bürgerportal", "Jugendrat")
    assert (youth.ideas, youth.dots, youth.idea_share, youth.dot_share) == (1, 8, 1.0, 1.0)
    assert comparison.cell("Homepage", "Jugendrat").dots == 0
    assert comparison.cell("Homepage", "Einwohner").dot_share == pytest.approx(0.2)

    stands = group_comparison(scope, dimension="stand")
    assert stands.themes == ["Bürgerportal", "Homepage"]
    assert stands.cell("Homepage", "Einwohner").ideas == 2
    assert stands.cell("Bürgerportal", "Jugendrat").dots == 8
    with pytest.raises(ValueError):
        group_comparison(scope, dimension="name")
    assert stakeholder_groups(f.process_id) == ["Einwohner", "Jugendrat"]


def test_participation(db, results_fixture):
    f = results_fixture
    figures = participation([f.event_a, f.event_b, f.event_c])
    a = figures[f.event_a]
    assert (a.seats, a.applications, a.valid, a.selected, a.seat_confirmed) == (15, 7, 6, 4, 2)
    assert (a.checked_in, a.walk_ins, a.room_voters, a.online_voters, a.voters) == (2, 1, 2, 1, 3)
    b = figures[f.event_b]
    assert (b.applications, b.checked_in, b.walk_ins, b.room_voters, b.online_voters) == (0, 1, 1, 1, 1)
    assert participation([]) == {}


def test_participation_by_option(db, results_fixture):
    f = results_fixture
    rows = participation_by_option(f.event_a)
    assert [(r.option_label, r.valid, r.selected, r.seat_confirmed, r.checked_in) for r in rows] == [
        ("18–29", 3, 2, 1, 1),
        ("30 und älter", 3, 2, 1, 0),
    ]
    assert rows[0].criterion_label == "Altersgruppe" and rows[0].population_share == pytest.approx(0.2)
    assert participation_by_option(f.event_b) == []


def test_superseded_draw_does_not_count(db, results_fixture):
    import sqlalchemy as sa

    from app.lottery.models import LotteryDraw

    db.session.execute(sa.update(LotteryDraw).values(state="superseded"))
    figures = participation([results_fixture.event_a])[results_fixture.event_a]
    # Without the draw only the statuses say who had a seat: confirmed 2 + declined 1.
    assert figures.selected == 3


def test_unpublishing_hides_everything(db, results_fixture):
    f = results_fixture
    db.session.get(Event, f.event_a).status = "held"
    db.session.get(Event, f.event_b).status = "held"
    db.session.flush()
    scope = make_scope(f.process_id)
    assert scope.event_ids == ()
    assert idea_ranking(scope) == [] and idea_count(scope) == 0
    assert tag_totals(scope) == [] and stand_totals(scope) == []
    assert group_comparison(scope).groups == []
    assert published_events(f.process_id) == []
