"""Every staff action that changes data (or exports personal data) leaves an audit entry
naming the staff member, with the changed fields before and after."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import login_user

from app.audit.models import AuditEntry
from app.extensions import db as _db


def _draw(privacy_world):
    from app.lottery.base import current_draw

    return current_draw(privacy_world.event)


def _user(email):
    from app.accounts.models import user_by_email

    return user_by_email(email)


# -- the actions -----------------------------------------------------------------------------


def process_create(privacy_world, admin_user):
    from app.events import services

    services.create_process("Klimaplan 2030")


def process_edit(privacy_world, admin_user):
    from app.events import services

    services.update_process(privacy_world.event.process, "Neuer Titel")


def event_create(privacy_world, admin_user):
    from app.events import services

    services.create_event(privacy_world.event.process, services.EventData(title="Dritte Werkstatt"))


def event_edit(privacy_world, admin_user):
    from app.events import services

    event = privacy_world.other_event
    data = services.EventData.from_event(event)
    data.title = "Umbenannte Werkstatt"
    services.update_event(event, data)


def event_status(privacy_world, admin_user):
    from app.events import services

    services.change_status(privacy_world.other_event, "close")


def results_publish(privacy_world, admin_user):
    from app.events import services

    event = privacy_world.event
    services.change_status(event, "mark_held", now=event.starts_at)  # on the day of the event
    services.change_status(event, "publish")


def _draft_with_criterion():
    from app.events import services
    from app.events.models import Process

    process = _db.session.execute(sa.select(Process)).scalars().first()
    event = services.create_event(process, services.EventData(title="Entwurf", seats=10))
    criterion = services.save_criterion(event, "Alter", "age",
                                        [services.OptionData("jung"), services.OptionData("alt")])
    return event, criterion


def criterion_create(privacy_world, admin_user):
    _draft_with_criterion()


def criterion_edit(privacy_world, admin_user):
    from app.events import services

    event, criterion = _draft_with_criterion()
    services.save_criterion(event, "Altersgruppe", "age",
                            [services.OptionData("jung", "jung", 2), services.OptionData("alt")], criterion=criterion)


def criterion_delete(privacy_world, admin_user):
    from app.events import services

    _event_, criterion = _draft_with_criterion()
    services.delete_criterion(criterion)


def application_add(privacy_world, admin_user):
    from app.events import application_services as services

    services.add_by_staff(privacy_world.other_event, services.ApplicationData(name="Telefon Anruferin", consent=True),
                          admin_user, "phone")


def application_remove(privacy_world, admin_user):
    from app.events import application_services as services

    services.remove(privacy_world.unconfirmed)


def _second_admin():
    from app.accounts import services

    return services.create_user("zweite@example.org", "Zweite Admin", "ein sehr langes Passwort", ["admin"])


def _supersede_with_approval(privacy_world, admin_user):
    """A drawn lottery is set aside when a second admin approves: another admin asks, this one approves."""
    from app.lottery.supersede import supersede_draw

    draw = _draw(privacy_world)
    if draw.state == "drawn":
        supersede_draw(draw, _second_admin(), "Die Quoten waren falsch eingegeben.")
    supersede_draw(draw, admin_user, "Die Quoten waren falsch eingegeben.")


def lottery_redraw_request(privacy_world, admin_user):
    from app.lottery.supersede import supersede_draw

    assert _draw(privacy_world).state == "drawn"
    supersede_draw(_draw(privacy_world), admin_user, "Die Quoten waren falsch eingegeben.")
    assert _draw(privacy_world).state == "drawn"  # it waits for a second admin


def lottery_commit_and_draw(privacy_world, admin_user):
    from app.lottery.commitment import publish_commitment
    from app.lottery.draw import perform_draw

    event = privacy_world.event
    _supersede_with_approval(privacy_world, admin_user)
    draw = publish_commitment(event, admin_user, "server")
    perform_draw(draw, admin_user, None, deadline=draw.committed_at + timedelta(days=3))


def lottery_supersede(privacy_world, admin_user):
    _supersede_with_approval(privacy_world, admin_user)


def lottery_expire_and_replace(privacy_world, admin_user):
    from app.lottery.seats import process_draw

    draw = _draw(privacy_world)
    process_draw(draw, now=draw.confirm_deadline + timedelta(minutes=1), user=admin_user)


def idea_create(privacy_world, admin_user):
    from app.ideas import services

    services.record_idea(privacy_world.ideas[0].stand, "Mehr Bäume #grün", user=admin_user)


def idea_edit(privacy_world, admin_user):
    from app.ideas import services

    services.edit_idea(privacy_world.ideas[0], "Mehr sichere Radwege", user=admin_user, said_by="Jemand anderes")


def idea_hide(privacy_world, admin_user):
    from app.ideas import services

    services.hide_idea(privacy_world.ideas[1], "Doppelt", user=admin_user)


def idea_unhide(privacy_world, admin_user):
    from app.ideas import services

    services.hide_idea(privacy_world.ideas[1], "Doppelt", user=admin_user)
    services.unhide_idea(privacy_world.ideas[1], user=admin_user)


def idea_merge(privacy_world, admin_user):
    from app.ideas import services

    services.merge_ideas(privacy_world.ideas[0], [privacy_world.ideas[1]], user=admin_user)


def idea_unmerge(privacy_world, admin_user):
    from app.ideas import services

    services.merge_ideas(privacy_world.ideas[0], [privacy_world.ideas[1]], user=admin_user)
    services.unmerge_idea(privacy_world.ideas[1], user=admin_user)


def stand_create(privacy_world, admin_user):
    from app.ideas import services

    services.save_stand(privacy_world.event, None, title="Wohnen", moderator_ids=[])


def stand_edit(privacy_world, admin_user):
    from app.ideas import services

    stand = privacy_world.ideas[0].stand
    services.save_stand(stand.event, stand, title="Mobilität und Verkehr", moderator_ids=[])


def wall_link_renew(privacy_world, admin_user):
    from app.ideas import services

    services.wall_link(privacy_world.event)
    services.wall_link(privacy_world.event, renew=True)


def voting_settings(privacy_world, admin_user):
    from app.voting.state import update_settings

    update_settings(privacy_world.other_event, dots_per_ticket=3, max_per_idea=None, scope="event",
                    walk_ins_allowed=True, user=admin_user)


def voting_open(privacy_world, admin_user):
    from app.voting.state import open_voting

    open_voting(privacy_world.event, user=admin_user)


def voting_close(privacy_world, admin_user):
    from app.voting.state import close_voting, open_voting

    open_voting(privacy_world.event, user=admin_user)
    close_voting(privacy_world.event, user=admin_user)


def voting_tickets_issue(privacy_world, admin_user):
    from app.voting.tickets import issue_tickets_for_event

    issue_tickets_for_event(privacy_world.event, user=admin_user)


def voting_walk_in(privacy_world, admin_user):
    from app.voting.tickets import issue_walk_in

    issue_walk_in(privacy_world.event, "Tür Gast", user=admin_user)


def voting_check_in(privacy_world, admin_user):
    from app.voting.checkin import check_in
    from app.voting.models import Ticket
    from app.voting.tickets import issue_ticket

    ticket = issue_ticket(privacy_world.event, kind="walk_in", user=admin_user)
    check_in(privacy_world.event, ticket.code, user=admin_user)
    assert isinstance(ticket, Ticket)


def voting_board_count(privacy_world, admin_user):
    from app.voting.board import set_board_count

    set_board_count(privacy_world.ideas[0], 7, user=admin_user)


def user_create(privacy_world, admin_user):
    from app.accounts import services

    services.create_user("neu@example.org", "Neue Kollegin", "ein sehr langes Passwort", ["moderator"])


def user_roles(privacy_world, admin_user):
    from app.accounts import services

    user = services.create_user("neu@example.org", "Neue Kollegin", "ein sehr langes Passwort", ["moderator"])
    services.set_roles(user, ["moderator", "council"])


def user_active(privacy_world, admin_user):
    from app.accounts import services

    user = services.create_user("neu@example.org", "Neue Kollegin", "ein sehr langes Passwort", ["moderator"])
    services.set_active(user, False)


def user_password(privacy_world, admin_user):
    from app.accounts import services

    user = services.create_user("neu@example.org", "Neue Kollegin", "ein sehr langes Passwort", ["moderator"])
    services.set_password(user, "ein anderes langes Passwort")


ACTIONS = [
    ("process.create", process_create), ("process.edit", process_edit),
    ("event.create", event_create), ("event.edit", event_edit), ("event.status", event_status),
    ("results.publish", results_publish),
    ("criterion.create", criterion_create), ("criterion.edit", criterion_edit),
    ("criterion.delete", criterion_delete),
    ("application.add", application_add), ("application.remove", application_remove),
    ("lottery.commit", lottery_commit_and_draw), ("lottery.draw", lottery_commit_and_draw),
    ("lottery.supersede", lottery_supersede), ("lottery.redraw_request", lottery_redraw_request),
    ("lottery.expire", lottery_expire_and_replace), ("lottery.replacement", lottery_expire_and_replace),
    ("idea.create", idea_create), ("idea.edit", idea_edit), ("idea.hide", idea_hide),
    ("idea.unhide", idea_unhide), ("idea.merge", idea_merge), ("idea.unmerge", idea_unmerge),
    ("stand.create", stand_create), ("stand.edit", stand_edit), ("wall_link.renew", wall_link_renew),
    ("voting.settings", voting_settings), ("voting.open", voting_open), ("voting.close", voting_close),
    ("voting.tickets_issue", voting_tickets_issue), ("voting.walk_in", voting_walk_in),
    ("voting.check_in", voting_check_in), ("voting.board_count", voting_board_count),
    ("user.create", user_create), ("user.roles", user_roles), ("user.active", user_active),
    ("user.password", user_password),
]


@pytest.mark.parametrize(("action", "perform"), ACTIONS, ids=[a for a, _ in ACTIONS])
def test_staff_action_is_audited(app, privacy_world, create_user, action, perform):
    acting = create_user(roles=("admin",), name="Audita Admin")
    with app.test_request_context("/"):
        from app.accounts.models import User

        admin_user = _db.session.get(User, acting.id)
        login_user(admin_user)
        known = set(_db.session.execute(sa.select(AuditEntry.id)).scalars())
        perform(privacy_world, admin_user)
        _db.session.commit()
        new = [e for e in _db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars()
            if e.id not in known]
        assert new, f"no audit entry {action}"
        entry = new[-1]
        assert entry.user_id == acting.id and entry.user_label == "Audita Admin"
        assert entry.before or entry.after or entry.detail or action.endswith("renew") or action.endswith("export")
        text = repr((entry.before, entry.after, entry.detail))
        for seeded in privacy_world.seeded:
            assert seeded not in text, f"{seeded} in the audit entry of {action}"


def test_http_actions_are_audited_with_the_request_id(app, privacy_world, admin):
    """Through the views: the entry carries the response's request id."""
    response = admin.submit(f"/manage/events/{privacy_world.other_event_id}/status", {"action": "close"})
    assert response.status_code in (302, 303)
    csv = admin.get(f"/manage/events/{privacy_world.event_id}/applications.csv")
    assert csv.status_code == 200
    csv.get_data()
    badges = admin.get(f"/manage/events/{privacy_world.event_id}/badges")
    assert badges.status_code == 200
    with app.app_context():
        entries = {e.action: e for e in _db.session.execute(sa.select(AuditEntry)).scalars()}
    assert entries["event.status"].after == {"status": "closed"}
    assert entries["event.status"].request_id == response.headers["X-Request-ID"]
    assert entries["application.export"].event_id == privacy_world.event_id
    assert entries["application.export"].request_id == csv.headers["X-Request-ID"]
    assert entries["voting.badges_export"].request_id == badges.headers["X-Request-ID"]
    # The world was built through HTTP too: the commitment and the draw are there.
    assert {"lottery.commit", "lottery.draw"} <= set(entries)


def test_purge_and_erasure_are_audited_without_personal_data(app, privacy_world, client):
    from app.privacy.services import purge

    assert client.submit(f"/applications/{privacy_world.unconfirmed_token}/erase").status_code == 303
    with app.app_context():
        purge(now=privacy_world.ends_at + timedelta(days=31))
        _db.session.commit()
        entries = _db.session.execute(sa.select(AuditEntry)).scalars().all()
        actions = {e.action for e in entries}
        assert {"privacy.purge", "application.erased_by_applicant"} <= actions
        text = repr([(e.before, e.after, e.detail, e.user_label) for e in entries])
    for seeded in privacy_world.seeded:
        assert seeded not in text
