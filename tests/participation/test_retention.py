"""The retention rule of online participants (issue 18, app/participation/retention.py): the daily
``flask privacy purge`` deletes participants who never confirmed after 7 days, and erases the
name and address of everyone else of a process once its retention is over (its events' and online
phases' ends plus the events' "keep personal data for" days); supports keep counting, ideas stay,
links stop working; a dry run changes nothing."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from app.extensions import db as _db


def _world(app, online_process, participant_link, create_participant, create_online_idea):
    """A process with its "after" phase open: A (confirmed, with an idea, a support of B's idea, a
    follow and a mail in the outbox), B (confirmed, the idea A supports), an unconfirmed sign-up
    from 8 days ago and one from 2 days ago."""
    from app.core.mail import queue_mail
    from app.core.models import utcnow
    from app.participation.models import Follow, Participant, Support

    ids = online_process(moderation="post", after_open=True)
    a, a_token = participant_link(ids.process_id, display_name="Anna Rad", show_name_publicly=True,
                                     email="anna@example.org")
    a_id = a.id
    b_id = create_participant(ids.process_id, display_name="Bernd", email="bernd@example.org").id
    old = create_participant(ids.process_id, confirmed=False, email="old@example.org").id
    new = create_participant(ids.process_id, confirmed=False, email="new@example.org").id
    a_idea = create_online_idea(ids.stand_ids[0], "Mehr Fahrradständer am Bahnhof", participant_id=a_id).id
    b_idea = create_online_idea(ids.stand_ids[0], "Busspur in der Hauptstraße", participant_id=b_id).id
    with app.app_context():
        _db.session.get(Participant, old).created_at = utcnow() - timedelta(days=8)
        _db.session.get(Participant, new).created_at = utcnow() - timedelta(days=2)
        _db.session.add_all([Support(participant_id=a_id, idea_id=b_idea), Follow(participant_id=a_id, idea_id=b_idea)])
        queue_mail("anna@example.org", "Ihr Beteiligungslink", "Ihr Link")
        queue_mail("old@example.org", "Bitte bestätigen", "Bitte bestätigen")
        _db.session.commit()
    return {"process_id": ids.process_id, "event_id": ids.event_id, "stand_ids": ids.stand_ids, "a": a_id, "a_token": a_token, "b": b_id, "old": old, "new": new, "a_idea": a_idea,
            "b_idea": b_idea}


def _purge(app, now, dry_run=False):
    from app.privacy.services import purge

    with app.app_context():
        report = purge(now=now, dry_run=dry_run)
        lines = report.lines()
        if dry_run:
            _db.session.rollback()
        else:
            _db.session.commit()
        return report, lines


def _state(app, world) -> dict:
    from app.core.models import OutboxMail
    from app.ideas.models import Idea
    from app.participation.models import Follow, Participant, Support

    with app.app_context():
        participants = {p.id: (p.display_name, p.email, p.anonymised_at is not None)
                        for p in _db.session.execute(sa.select(Participant)).scalars()}
        return {
            "participants": participants,
            "supports": _db.session.execute(sa.select(sa.func.count()).select_from(Support)).scalar_one(),
            "follows": _db.session.execute(sa.select(sa.func.count()).select_from(Follow)).scalar_one(),
            "ideas": sorted(_db.session.execute(sa.select(Idea.id, Idea.text, Idea.participant_id)).all()),
            "mails": sorted(_db.session.execute(sa.select(OutboxMail.recipient)).scalars()),
        }


def _retention_end(app, process_id):
    from app.events.models import Process
    from app.participation.retention import retention_ends_at

    with app.app_context():
        return retention_ends_at(_db.session.get(Process, process_id))


def test_unconfirmed_sign_ups_go_after_seven_days_and_the_rest_stays(
        app, online_process, participant_link, create_participant, create_online_idea):
    from app.core.models import utcnow

    world = _world(app, online_process, participant_link, create_participant, create_online_idea)
    before = _state(app, world)
    report, lines = _purge(app, utcnow(), dry_run=True)
    assert f"Person der Online-Beteiligung {world['old']}: würde gelöscht (E-Mail-Adresse nie bestätigt)" in lines
    assert _state(app, world) == before  # a dry run changes nothing

    report, lines = _purge(app, utcnow())
    after = _state(app, world)
    assert set(after["participants"]) == {world["a"], world["b"], world["new"]}
    assert after["mails"] == ["anna@example.org"]  # the mail to the unconfirmed address went with it
    assert after["supports"] == 1 and after["follows"] == 1 and after["ideas"] == before["ideas"]
    assert report.summary()["participants_deleted"] == 1 and "participants_anonymised" not in report.summary()


def test_after_the_process_retention_names_and_addresses_go_and_the_supports_stay(
        app, client, online_process, participant_link, create_participant, create_online_idea):
    from app.audit.models import AuditEntry

    world = _world(app, online_process, participant_link, create_participant, create_online_idea)
    assert client.get(f"/participation/{world['a_token']}").status_code == 200
    ends = _retention_end(app, world["process_id"])
    # The "after" phase closes in 60 days, later than the event: its closing plus 90 days counts.
    assert ends is not None
    before = _state(app, world)
    _purge(app, ends - timedelta(minutes=1))
    assert _state(app, world)["participants"][world["a"]] == ("Anna Rad", "anna@example.org", False)

    report, lines = _purge(app, ends + timedelta(minutes=1), dry_run=True)
    assert (f"Person der Online-Beteiligung {world['a']}: Name und E-Mail-Adresse würden gelöscht "
            "(Aufbewahrungsfrist abgelaufen)") in lines
    assert _state(app, world)["participants"][world["a"]] == ("Anna Rad", "anna@example.org", False)

    report, lines = _purge(app, ends + timedelta(minutes=1))
    after = _state(app, world)
    assert after["participants"][world["a"]] == ("", None, True)
    assert after["participants"][world["b"]] == ("", None, True)
    assert world["new"] not in after["participants"]  # unconfirmed for longer than 7 days by then
    assert after["supports"] == before["supports"] == 1  # the results keep adding up
    assert after["follows"] == 0  # nobody is left to mail
    assert [(i, t) for i, t, _p in after["ideas"]] == [(i, t) for i, t, _p in before["ideas"]]
    assert after["mails"] == []
    assert report.summary()["participants_anonymised"] == 2
    # The private link no longer opens anything, and nothing of the person is left to find.
    assert client.get(f"/participation/{world['a_token']}").status_code == 404
    with app.app_context():
        entry = _db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "privacy.purge")
                                    .order_by(AuditEntry.id.desc())).scalars().first()
        assert entry.after["participants_anonymised"] == 2 and "anna" not in str(entry.after).lower()
    # A second purge finds nothing more of them.
    report, _lines = _purge(app, ends + timedelta(minutes=2))
    assert "participants_anonymised" not in report.summary()


def test_the_same_address_can_take_part_again_after_the_purge(
        app, online_process, participant_link, create_participant, create_online_idea):
    world = _world(app, online_process, participant_link, create_participant, create_online_idea)
    _purge(app, _retention_end(app, world["process_id"]) + timedelta(minutes=1))
    again = create_participant(world["process_id"], email="anna@example.org").id
    assert again not in (world["a"], world["b"])


def test_no_retention_end_while_a_date_is_missing(app, online_process):
    from app.participation.models import OnlinePhase

    ids = online_process(after_open=True)
    with app.app_context():
        phase = _db.session.execute(sa.select(OnlinePhase).where(OnlinePhase.event_id == ids.event_id,
                                                                 OnlinePhase.kind == "after")).scalar_one()
        phase.closes_at = None
        _db.session.commit()
    assert _retention_end(app, ids.process_id) is None


def test_the_cli_reports_the_participants(app, online_process, participant_link, create_participant,
                                          create_online_idea):
    world = _world(app, online_process, participant_link, create_participant, create_online_idea)
    ends = _retention_end(app, world["process_id"])
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--dry-run", "--now",
                                                (ends + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")])
    assert result.exit_code == 0, result.output
    assert (f"Person der Online-Beteiligung {world['a']}: Name und E-Mail-Adresse würden gelöscht "
            "(Aufbewahrungsfrist abgelaufen)") in result.output
