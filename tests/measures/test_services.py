"""Services: the status flow and its history, linking ideas, reasons, the public data, notifications."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.core import mail as outbox
from app.core.models import OutboxMail
from app.events.models import Application, Process
from app.extensions import db
from app.ideas import services as ideas
from app.ideas.models import Idea
from app.measures import notify
from app.measures.base import MeasureError, today
from app.measures.lifecycle import change_status, create_measure
from app.measures.links import link_ideas, measure_ids_for_ideas, not_taken_reasons, set_not_taken, unlink_idea
from app.measures.models import Measure, MeasureIdea, MeasureStatusChange
from app.measures.outcome import outcome, process_measures
from tests.support.smtp import find_links


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
        db.session.rollback()


def _idea(idea_id: int) -> Idea:
    return db.session.get(Idea, idea_id)


def _measure(process_id: int, title: str = "Online-Terminvergabe", **kwargs) -> Measure:
    return create_measure(db.session.get(Process, process_id), title=title, chapter="Bürgerportal",
                          **kwargs)


# -- status flow ----------------------------------------------------------------------------------


def test_status_flow_writes_history(measures_world, ctx):
    w = measures_world()
    measure = _measure(w.process_id, on=date(2019, 5, 15), comment="Aus dem Bürger-Workshop")
    assert measure.status == "proposed" and measure.progress == 0
    change_status(measure, "adopted", on=date(2019, 7, 22), comment="Vom Gemeinderat beschlossen")
    change_status(measure, "in_progress", on=date(2019, 9, 1), progress=30)
    change_status(measure, "done", comment="Fertig")
    db.session.commit()
    measure = db.session.get(Measure, measure.id)
    assert measure.status == "done" and measure.progress == 100 and measure.status_date == today()
    history = [(h.from_status, h.to_status, h.changed_on, h.comment) for h in measure.history]
    assert history == [
        (None, "proposed", date(2019, 5, 15), "Aus dem Bürger-Workshop"),
        ("proposed", "adopted", date(2019, 7, 22), "Vom Gemeinderat beschlossen"),
        ("adopted", "in_progress", date(2019, 9, 1), ""),
        ("in_progress", "done", today(), "Fertig"),
    ]


@pytest.mark.parametrize("start, target, code", [
    ("proposed", "done", "transition_not_allowed"),
    ("proposed", "in_progress", "transition_not_allowed"),
    ("proposed", "proposed", "status_same"),
    ("proposed", "bogus", "status_unknown"),
    ("rejected", "done", "transition_not_allowed"),
])
def test_transitions_are_checked(measures_world, ctx, start, target, code):
    w = measures_world()
    measure = _measure(w.process_id, status=start)
    with pytest.raises(MeasureError) as caught:
        change_status(measure, target)
    assert caught.value.code == code
    assert db.session.execute(sa.select(sa.func.count()).select_from(MeasureStatusChange)).scalar_one() == 1


def test_reopen_and_reconsider(measures_world, ctx):
    w = measures_world()
    done = _measure(w.process_id, title="A", status="done")
    assert done.progress == 100
    change_status(done, "in_progress")
    rejected = _measure(w.process_id, title="B", status="rejected")
    change_status(rejected, "proposed")
    assert (done.status, rejected.status) == ("in_progress", "proposed")


def test_dates_are_checked(measures_world, ctx):
    w = measures_world()
    measure = _measure(w.process_id, on=date(2019, 7, 1))
    with pytest.raises(MeasureError) as caught:
        change_status(measure, "adopted", on=today() + timedelta(days=1))
    assert caught.value.code == "date_in_future"
    with pytest.raises(MeasureError) as caught:
        change_status(measure, "adopted", on=date(2019, 6, 30))
    assert caught.value.code == "date_before_current"


def test_concurrent_change_is_refused(measures_world, app, ctx):
    """A second admin working from a stale page cannot apply a transition from the old status."""
    w = measures_world()
    measure = _measure(w.process_id)
    db.session.commit()
    db.session.execute(sa.update(Measure).where(Measure.id == measure.id).values(status="adopted")
                       .execution_options(synchronize_session=False))
    with pytest.raises(MeasureError) as caught:
        change_status(measure, "rejected")  # measure.status is still "proposed" in memory
    assert caught.value.code == "conflict"


@pytest.mark.parametrize("fields, code", [
    ({"title": "  "}, "title_required"),
    ({"title": "x" * 301}, "title_too_long"),
    ({"title": "Ok", "progress": 101}, "progress_invalid"),
    ({"title": "Ok", "progress": "viel"}, "progress_invalid"),
    ({"title": "Ok", "chapter": "c" * 201}, "chapter_too_long"),
])
def test_bad_measure_input(measures_world, ctx, fields, code):
    w = measures_world()
    with pytest.raises(MeasureError) as caught:
        create_measure(w.process, **fields)
    assert caught.value.code == code


def test_titles_are_unique_per_process_ignoring_case(measures_world, ctx):
    w = measures_world()
    _measure(w.process_id, title="Servicekonto")
    with pytest.raises(MeasureError) as caught:
        _measure(w.process_id, title="SERVICEKONTO")
    assert caught.value.code == "title_taken"


def test_nul_bytes_are_dropped(measures_world, ctx):
    w = measures_world()
    measure = _measure(w.process_id, title="Service\x00konto", description="a\x00b")
    assert measure.title == "Servicekonto" and measure.description == "ab"


# -- linking -------------------------------------------------------------------------------------


def test_link_and_unlink_keep_the_idea_status(measures_world, ctx):
    w = measures_world()
    first, second = w.idea_ids[0], w.idea_ids[4]
    measure = _measure(w.process_id)
    other = _measure(w.process_id, title="Servicekonto")
    linked = link_ideas(measure, [_idea(first), _idea(second)])
    assert {i.id for i in linked} == {first, second}
    assert link_ideas(measure, [_idea(first)]) == []  # already linked: skipped
    link_ideas(other, [_idea(first)])
    db.session.commit()
    assert (_idea(first).status, _idea(second).status) == ("adopted", "adopted")
    assert measure_ids_for_ideas([first, second, w.idea_ids[1]]) == {
        first: sorted([measure.id, other.id]), second: [measure.id], w.idea_ids[1]: []}

    assert unlink_idea(measure, _idea(first)) is True
    assert _idea(first).status == "adopted"  # still in the other measure
    unlink_idea(other, _idea(first))
    assert _idea(first).status == "new"
    assert unlink_idea(other, _idea(first)) is False
    actions = [row.action for row in ideas_log(first)]
    assert actions.count("link") == 2 and actions.count("unlink") == 2


def ideas_log(idea_id):
    from app.ideas.models import IdeaLog

    return db.session.execute(sa.select(IdeaLog).where(IdeaLog.idea_id == idea_id).order_by(IdeaLog.id)).scalars().all()


def test_unique_pair_constraint(measures_world, ctx):
    w = measures_world()
    measure = _measure(w.process_id)
    db.session.add(MeasureIdea(measure_id=measure.id, idea_id=w.idea_ids[0]))
    db.session.flush()
    db.session.add(MeasureIdea(measure_id=measure.id, idea_id=w.idea_ids[0]))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_hidden_merged_and_foreign_ideas_cannot_be_linked(measures_world, ctx):
    w = measures_world()
    other_world = measures_world()
    measure = _measure(w.process_id)
    hidden, source, target = _idea(w.idea_ids[1]), _idea(w.idea_ids[2]), _idea(w.idea_ids[3])
    ideas.hide_idea(hidden, "Doppelt", user=None)
    ideas.merge_ideas(target, [source], user=None)
    for idea, code in ((hidden, "idea_hidden"), (source, "idea_merged"),
                       (_idea(other_world.idea_ids[0]), "other_process")):
        with pytest.raises(MeasureError) as caught:
            link_ideas(measure, [_idea(w.idea_ids[0]), idea])
        assert caught.value.code == code
    assert db.session.execute(sa.select(sa.func.count()).select_from(MeasureIdea)).scalar_one() == 0


def test_merge_and_unhide_keep_adopted_consistent(measures_world, ctx):
    w = measures_world()
    measure = _measure(w.process_id)
    source, survivor = _idea(w.idea_ids[0]), _idea(w.idea_ids[1])  # merges stay within one event
    link_ideas(measure, [source])
    ideas.merge_ideas(survivor, [source], user=None)
    assert (source.status, survivor.status) == ("merged", "adopted")  # the survivor carries the link on
    assert measure_ids_for_ideas([survivor.id]) == {survivor.id: [measure.id]}
    ideas.unmerge_idea(source, user=None)
    assert (source.status, survivor.status) == ("adopted", "new")

    ideas.hide_idea(source, "Versehen", user=None)
    ideas.unhide_idea(source, user=None)
    assert source.status == "adopted"


def test_not_taken_reason(measures_world, ctx):
    w = measures_world()
    idea = _idea(w.idea_ids[3])
    with pytest.raises(MeasureError) as caught:
        set_not_taken(idea, "   ")
    assert caught.value.code == "reason_required"
    set_not_taken(idea, "Bietet der Landkreis schon an.")
    set_not_taken(idea, "Bietet der Landkreis schon online an.")  # replaces
    assert not_taken_reasons([idea.id]) == {idea.id: "Bietet der Landkreis schon online an."}
    measure = _measure(w.process_id)
    link_ideas(measure, [idea])  # taken after all: the reason goes
    assert not_taken_reasons([idea.id]) == {}
    with pytest.raises(MeasureError) as caught:
        set_not_taken(idea, "Doch nicht")
    assert caught.value.code == "idea_linked"


# -- public data -----------------------------------------------------------------------------------


def test_outcome_shows_survivors_never_hidden_ideas(measures_world, ctx):
    w = measures_world()
    measure = _measure(w.process_id)
    a, b, hidden, source, survivor = (_idea(i) for i in (w.idea_ids[0], w.idea_ids[1], w.idea_ids[2],
                                                         w.idea_ids[4], w.idea_ids[5]))  # 4 and 5: one event
    link_ideas(measure, [a, b, hidden, source])
    ideas.hide_idea(hidden, "Beleidigend", user=None)
    ideas.merge_ideas(survivor, [source], user=None)
    set_not_taken(_idea(w.idea_ids[6]), "Zu teuer")
    db.session.commit()
    data = outcome(w.process)
    [entry] = data.measures
    shown = {i.id for i in entry.ideas}
    assert shown == {a.id, b.id, survivor.id}
    assert [i.id for i in data.not_taken] == [w.idea_ids[6]] and data.not_taken[0].reason == "Zu teuer"
    assert {i.id: i.measures for i in data.taken}[survivor.id] == [(measure.id, measure.title)]
    assert process_measures(w.process_id)[0]["idea_ids"] == [i.id for i in entry.ideas]


def test_outcome_counts_dots_through_the_results_aggregation(measures_world, ctx):
    from app.voting.models import BoardCount

    w = measures_world()
    measure = _measure(w.process_id)
    link_ideas(measure, [_idea(w.idea_ids[0])])
    db.session.add(BoardCount(event_id=w.event_ids[0], idea_id=w.idea_ids[0], count=7))
    db.session.commit()
    [entry] = outcome(w.process).measures
    assert entry.ideas[0].dots == 7


# -- notifications -----------------------------------------------------------------------------------


PEOPLE = [
    {"event": 0, "email": "ada@example.org", "language": "de"},
    {"event": 1, "email": "ada@example.org", "language": "de"},  # the same person at both workshops
    {"event": 1, "email": "ben@example.org", "language": "en", "name": "Ben Private"},
    {"event": 0, "email": "nein@example.org", "notify": False},
    {"event": 0, "email": "weg@example.org", "status": "withdrawn"},
    {"event": 0, "email": "unbestaetigt@example.org", "status": "unconfirmed"},
    {"event": 0, "email": None, "name": None},  # erased after the retention period
]


def test_status_change_mails_each_opted_in_person_once(measures_world, app, smtp, ctx):
    w = measures_world(applicants=PEOPLE)
    measure = _measure(w.process_id, title="Online-Terminvergabe <b>")
    link_ideas(measure, [_idea(w.idea_ids[0]), _idea(w.idea_ids[1]), _idea(w.idea_ids[4])])
    db.session.commit()
    change_status(measure, "adopted", comment="Vom Gemeinderat beschlossen")
    db.session.commit()
    recipients = sorted(db.session.execute(sa.select(OutboxMail.recipient)).scalars())
    assert recipients == ["ada@example.org", "ben@example.org"]
    assert outbox.send_pending().sent == 2
    mails = {m["To"]: m for m in smtp.wait_for(count=2)}
    german, english = mails["ada@example.org"], mails["ben@example.org"]
    assert "beschlossen" in german["Subject"] and "Online-Terminvergabe <b>" in german["Subject"]
    assert "adopted by the council" in english["Subject"]
    text = english.get_body(("plain",)).get_content()
    assert "Vom Gemeinderat beschlossen" in text and "Jugend-Workshop" in text
    html = english.get_body(("html",)).get_content()
    assert "Online-Terminvergabe &lt;b&gt;" in html
    for message in mails.values():
        body = message.get_body(("plain",)).get_content()
        for private in ("Ben Private", "ada@example.org" if message is english else "ben@example.org",
                        "Erika Geheim", "Teilnehmerin"):
            assert private not in body


def test_only_events_with_linked_ideas_are_mailed(measures_world, ctx):
    w = measures_world(applicants=[{"event": 0, "email": "a@example.org"}, {"event": 1, "email": "b@example.org"}])
    measure = _measure(w.process_id)
    link_ideas(measure, [_idea(w.idea_ids[0])])
    change_status(measure, "adopted")
    assert list(db.session.execute(sa.select(OutboxMail.recipient)).scalars()) == ["a@example.org"]
    change_status(_measure(w.process_id, title="Ohne Ideen"), "rejected")
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 1


def test_people_whose_idea_was_merged_into_a_linked_one_are_mailed(measures_world, ctx):
    w = measures_world(applicants=[{"event": 1, "email": "jugend@example.org"}])
    measure = _measure(w.process_id)
    # Both of the youth workshop: merges stay within one event.
    survivor, source = _idea(w.idea_ids[4]), _idea(w.idea_ids[5])
    ideas.merge_ideas(survivor, [source], user=None)
    link_ideas(measure, [survivor])
    change_status(measure, "adopted")
    assert list(db.session.execute(sa.select(OutboxMail.recipient)).scalars()) == ["jugend@example.org"]


def test_opt_out_link_works_without_login(measures_world, app, smtp, client, ctx):
    w = measures_world(applicants=[{"event": 0, "email": "a@example.org"}, {"event": 1, "email": "a@example.org"}])
    measure = _measure(w.process_id)
    link_ideas(measure, [_idea(w.idea_ids[0]), _idea(w.idea_ids[4])])
    change_status(measure, "adopted")
    db.session.commit()
    outbox.send_pending()
    [message] = smtp.wait_for(lambda m: m["To"] == "a@example.org")
    link = next(url for url in find_links(message) if "/measure-mails/" in url)
    path = link[len(app.config["BASE_URL"]):]
    page = client.get(path)
    assert page.status_code == 200 and "E-Mails abbestellen" in page.get_data(as_text=True)
    assert all(a.notify_measures for a in db.session.execute(sa.select(Application)).scalars())  # GET changes nothing
    assert client.post(path).status_code == 400  # CSRF
    done = client.submit(path)
    assert done.status_code == 200 and "keine weiteren" in done.get_data(as_text=True)
    db.session.expire_all()
    assert not any(a.notify_measures for a in db.session.execute(sa.select(Application)).scalars())
    change_status(db.session.get(Measure, measure.id), "in_progress")
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 1
    assert client.get(path[:-3] + "xyz").status_code == 404  # a forged token


def test_optout_tokens_are_signed(measures_world, ctx):
    w = measures_world(applicants=[{"email": "a@example.org"}])
    token = notify.optout_token(w.application_ids)
    assert [a.id for a in notify.applications_for_token(token)] == w.application_ids
    for bad in ("", "x" * 3000, token + "a", "WzFd.invalid", "\x00"):
        assert notify.applications_for_token(bad) == []


def test_outcome_shows_ideas_only_of_events_with_published_results(measures_world, ctx):

    w = measures_world()
    measure = _measure(w.process_id)
    link_ideas(measure, [_idea(w.idea_ids[0]), _idea(w.idea_ids[4])])
    w.events[1].status = "held"
    db.session.commit()
    [entry] = outcome(w.process).measures
    assert [i.id for i in entry.ideas] == [w.idea_ids[0]]


def test_erased_applications_are_not_mailed_and_the_opt_in_is_in_the_own_data(measures_world, ctx):
    from app.privacy import services as privacy

    w = measures_world(applicants=[{"event": 0, "email": "a@example.org"}, {"event": 0, "email": "b@example.org"}])
    first, second = (db.session.get(Application, i) for i in w.application_ids)
    assert privacy.own_data(first)["application"]["notify_about_measures"] is True
    privacy.anonymise(second)
    assert second.notify_measures is False
    measure = _measure(w.process_id)
    link_ideas(measure, [_idea(w.idea_ids[0])])
    change_status(measure, "adopted")
    assert list(db.session.execute(sa.select(OutboxMail.recipient)).scalars()) == ["a@example.org"]
