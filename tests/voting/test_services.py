"""Voting services: tickets, check-in, dot limits, open/close, merged and hidden ideas, receipts, recount."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.models import OutboxMail, utcnow
from app.events.models import Application
from app.extensions import db as _db
from app.ideas import services as ideas
from app.voting.ballot import ballot, my_dots
from app.voting.base import VotingError
from app.voting.board import set_board_count
from app.voting.checkin import attendance, check_in
from app.voting.codes import ALPHABET, format_code, new_code, normalise_code
from app.voting.dots import cast_dot, quick_dot, release_removed_dots, remove_dot
from app.voting.models import BoardCount, BoardCountLog, Dot, Receipt, TallySnapshot, Ticket
from app.voting.receipts import published_receipts, receipt
from app.voting.state import close_voting, open_voting, update_settings
from app.voting.tickets import (
    find_ticket, issue_ticket_for_application, issue_tickets_for_event, issue_walk_in, revoke_ticket_for_application,
)
from app.voting.totals import recount, totals
from tests.factories.voting import make_voting_event


def _dots(ticket: Ticket | None = None) -> int:
    stmt = sa.select(sa.func.count(Dot.id))
    if ticket is not None:
        stmt = stmt.where(Dot.ticket_id == ticket.id)
    return _db.session.execute(stmt).scalar_one()


def _cast(ticket: Ticket, idea_id: int):
    result = cast_dot(ticket, idea_id)
    _db.session.commit()
    return result


def _error(fn, *args) -> str:
    with pytest.raises(VotingError) as info:
        fn(*args)
    _db.session.rollback()
    return info.value.code


# -- codes ------------------------------------------------------------------------------------


def test_codes_are_unambiguous_and_typed_leniently():
    for forbidden in "0O1IL":
        assert forbidden not in ALPHABET
    code = new_code()
    assert len(code) == 8 and set(code) <= set(ALPHABET)
    shown = format_code(code)
    assert shown == f"{code[:4]}-{code[4:]}"
    assert normalise_code(shown.lower()) == code
    assert normalise_code(f"  {code[:4]} {code[4:]} ") == code
    for bad in ("", "ABC", "ABCD-EFG0", "ABCD\x00EFGH", "A" * 100, None, 12345678):
        assert normalise_code(bad) is None


# -- tickets ------------------------------------------------------------------------------------


def test_hook_issues_one_ticket_with_mail_and_is_idempotent(db):
    ev = make_voting_event(tickets=0, open_voting=False)
    application = Application(event_id=ev.event_id, name="Erika Mustermann", email="erika@example.org",
                              status="confirmed", token_hash="h" * 64, language="de")
    _db.session.add(application)
    _db.session.flush()
    ticket = issue_ticket_for_application(application)
    again = issue_ticket_for_application(application)
    _db.session.commit()
    assert again.id == ticket.id and ticket.application_id == application.id
    mails = _db.session.execute(sa.select(OutboxMail)).scalars().all()
    assert len(mails) == 1 and mails[0].recipient == "erika@example.org"
    assert format_code(ticket.code) in mails[0].body_text
    assert f"/vote/t/{ticket.code}" in mails[0].body_text
    assert "<svg" in mails[0].body_html and "Ihr Ticket" in mails[0].subject


def test_hook_refuses_unconfirmed_application(db):
    ev = make_voting_event(tickets=0, open_voting=False)
    application = Application(event_id=ev.event_id, name="A", email="a@example.org", status="selected",
                              token_hash="x" * 64)
    _db.session.add(application)
    _db.session.flush()
    assert _error(issue_ticket_for_application, application) == "not_confirmed"
    assert _db.session.execute(sa.select(sa.func.count(Ticket.id))).scalar_one() == 0


def test_bulk_issue_covers_confirmed_without_ticket_only(db):
    ev = make_voting_event(tickets=2, open_voting=False)
    for n, status in enumerate(("confirmed", "confirmed", "declined")):
        _db.session.add(Application(event_id=ev.event_id, name=f"N{n}", email=f"n{n}@example.org", status=status,
                                    token_hash=f"{n}" * 64))
    _db.session.commit()
    event = ev.event
    assert issue_tickets_for_event(event) == 2
    assert issue_tickets_for_event(event) == 0
    _db.session.commit()
    assert _db.session.execute(sa.select(sa.func.count(Ticket.id))).scalar_one() == 4
    assert _db.session.execute(sa.select(sa.func.count(OutboxMail.id))).scalar_one() == 2


def test_walk_ins_only_when_allowed(db):
    event = make_voting_event(tickets=0).event
    assert _error(issue_walk_in, event, "Gast") == "walk_ins_off"
    update_settings(event, dots_per_ticket=5, max_per_idea=None, scope="event", walk_ins_allowed=True)
    ticket = issue_walk_in(event, "Gast\x00 am Eingang")
    _db.session.commit()
    assert ticket.kind == "walk_in" and ticket.holder_name == "Gast am Eingang" and ticket.checked_in_at
    assert _error(issue_walk_in, event, "x" * 300) == "bad_name"


def test_check_in_is_idempotent_and_counts_attendance(db):
    ev = make_voting_event(tickets=3)
    event = ev.event
    ticket, newly = check_in(event, format_code(ev.codes[0]).lower())
    _db.session.commit()
    first_time = ticket.checked_in_at
    ticket, again = check_in(event, ev.codes[0])
    _db.session.commit()
    assert newly and not again and ticket.checked_in_at == first_time
    counts = attendance(event)
    assert (counts.confirmed, counts.tickets, counts.checked_in) == (3, 3, 1)


def test_codes_of_other_events_and_unknown_codes(db):
    ev = make_voting_event(tickets=1)
    other = make_voting_event(tickets=1, title="Jugendgemeinderat", process_id=ev.process_id)
    event = ev.event
    assert _error(find_ticket, event, other.codes[0]) == "unknown_code"
    unknown = next(c for c in iter(new_code, None) if c not in ev.codes + other.codes)
    assert _error(find_ticket, event, unknown) == "unknown_code"
    assert _error(find_ticket, event, "nope") == "bad_code"
    assert _error(check_in, event, other.codes[0]) == "unknown_code"
    assert _db.session.execute(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.checked_in_at.is_not(None))).scalar_one() == 0


def test_a_code_guess_is_checked_against_the_events_own_tickets_only(db):
    """Issue 14, item 9: every statement a guess runs reads the tickets of this event only, so
    the chance of a guess is that of one event's codes, not of all events' codes together."""
    from sqlalchemy import event as sa_event

    ev = make_voting_event(tickets=2)
    other = make_voting_event(tickets=2, title="Jugendgemeinderat", process_id=ev.process_id)
    event = ev.event
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = _db.session.get_bind()
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        for code in (other.codes[0], other.codes[1], ev.codes[0]):
            try:
                find_ticket(event, code)
            except VotingError as exc:
                assert exc.code == "unknown_code" and code in other.codes
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    reads = [s for s in statements if "ticket" in s.lower()]
    assert reads, statements
    for statement in reads:
        # the event's id as a bound parameter (?, %(name)s): not a join with any other event
        assert re.search(r"ticket\.event_id = (\?|%\(|:)", statement.lower()), statement


# -- dot limits ---------------------------------------------------------------------------------


def test_total_limit(db):
    ev = make_voting_event(tickets=2, dots=5)
    t, other = ev.tickets
    results = [_cast(t, ev.idea_ids[n % 3]) for n in range(5)]
    assert [r.remaining for r in results] == [4, 3, 2, 1, 0]
    assert _error(cast_dot, t, ev.idea_ids[4]) == "no_dots_left"
    assert _dots(t) == 5 and _dots(other) == 0
    # Taking one back frees exactly one.
    remove_dot(t, ev.idea_ids[0])
    _db.session.commit()
    assert _cast(t, ev.idea_ids[5]).remaining == 0
    assert _dots(t) == 5


def test_per_idea_limit(db):
    ev = make_voting_event(tickets=1, dots=5, max_per_idea=2)
    [t] = ev.tickets
    assert _cast(t, ev.idea_ids[0]).mine == 1
    assert _cast(t, ev.idea_ids[0]).mine == 2
    assert _error(cast_dot, t, ev.idea_ids[0]) == "idea_limit"
    assert _cast(t, ev.idea_ids[1]).mine == 1
    assert _dots(t) == 3


def test_per_stand_scope(db):
    ev = make_voting_event(stands=2, ideas_per_stand=3, tickets=1, dots=2, scope="stand")
    [t] = ev.tickets
    first_stand, second_stand = ev.idea_ids[:3], ev.idea_ids[3:]
    _cast(t, first_stand[0])
    _cast(t, first_stand[1])
    assert _error(cast_dot, t, first_stand[2]) == "no_dots_left"
    assert _cast(t, second_stand[0]).remaining == 1
    _cast(t, second_stand[0])
    assert _dots(t) == 4
    shown = ballot(t)
    assert shown.remaining == 0 and set(shown.by_stand.values()) == {0}


def test_limits_are_fixed_while_open_or_after_dots(db):
    event = make_voting_event(tickets=1).event
    with pytest.raises(VotingError) as info:
        update_settings(event, dots_per_ticket=9, max_per_idea=None, scope="event", walk_ins_allowed=False)
    assert info.value.code == "settings_locked"
    _db.session.rollback()
    # Walk-ins may still be switched on.
    update_settings(event, dots_per_ticket=5, max_per_idea=None, scope="event", walk_ins_allowed=True)
    with pytest.raises(VotingError) as info:
        update_settings(event, dots_per_ticket=0, max_per_idea=None, scope="event", walk_ins_allowed=True)
    assert info.value.code == "bad_settings"


def _quick(ev, n: int, idea_id, *, code: str | None = None, event_id: int | None = None):
    """``services.quick_dot`` for ticket ``n`` of ``ev`` (committed when it stored a dot)."""
    ticket = ev.tickets[n]
    result = quick_dot(event_id or ev.event_id, ticket.id, code or ticket.code, idea_id)
    _db.session.commit()
    return result


@pytest.mark.parametrize("scope", ["event", "stand"])
def test_quick_dot_agrees_with_cast_dot(db, scope):
    """The two-statement path gives the same answers as the full one, dot for dot, up to the limits."""
    ev = make_voting_event(stands=2, ideas_per_stand=3, tickets=2, dots=3, max_per_idea=2, scope=scope)
    quick_ticket, full_ticket = ev.tickets
    # Twice the same idea, then the next ideas: the per-idea maximum and the dots (per stand) run out.
    for idea_id in [ev.idea_ids[0], ev.idea_ids[0], ev.idea_ids[0], ev.idea_ids[1], ev.idea_ids[2],
                    ev.idea_ids[3], ev.idea_ids[4]]:
        try:
            quick = _quick(ev, 0, idea_id)
        except VotingError as exc:
            _db.session.rollback()
            quick = (exc.code, str(exc.message))
        try:
            full = _cast(full_ticket, idea_id)
        except VotingError as exc:
            _db.session.rollback()
            full = (exc.code, str(exc.message))
        assert quick == full
    assert _dots(quick_ticket) == _dots(full_ticket) == (3 if scope == "event" else 5)
    assert my_dots(quick_ticket) == my_dots(full_ticket)


def test_quick_dot_leaves_everything_unusual_to_the_full_path(db):
    ev = make_voting_event(stands=1, ideas_per_stand=4, tickets=3, dots=5)
    other = make_voting_event(tickets=1, title="Anderes", process_id=ev.process_id)
    ok_idea, hidden, source, survivor = ev.idea_ids
    hidden_idea, source_idea, survivor_idea = ev.ideas[1:]
    ideas.hide_idea(hidden_idea, "Beleidigend", user=None)
    _db.session.commit()
    refused = [
        dict(idea_id=ok_idea, code="WRONGCDE"),                 # not this ticket's code
        dict(idea_id=ok_idea, event_id=other.event_id),         # the ticket of another event
        dict(idea_id=other.idea_ids[0]),                        # an idea of another event
        dict(idea_id=hidden), dict(idea_id=10**6), dict(idea_id="x" * 1000), dict(idea_id="\x00"),
        dict(idea_id=None), dict(idea_id=True),
    ]
    for kwargs in refused:
        idea_id = kwargs.pop("idea_id")
        assert _quick(ev, 0, idea_id, **kwargs) is None, kwargs
    assert _dots() == 0
    # Merged ideas: the maximum counts the group, so the full path decides for the whole group.
    assert _quick(ev, 1, source) is not None
    ideas.merge_ideas(survivor_idea, [source_idea], user=None)
    _db.session.commit()
    assert _quick(ev, 1, survivor) is None and _quick(ev, 2, source) is None and _quick(ev, 2, survivor) is None
    # Other ideas are not affected by the ticket's dot on the merged idea.
    assert _quick(ev, 1, ok_idea).remaining == 3
    # A revoked ticket and a closed vote take nothing.
    revoke_ticket_for_application(ev.applications[0], "declined")
    _db.session.commit()
    assert _quick(ev, 0, ok_idea) is None
    close_voting(ev.event)
    _db.session.commit()
    assert _quick(ev, 2, ok_idea) is None
    assert _dots() == 2


def test_quick_dot_is_two_statements(app, db):
    ev = make_voting_event(tickets=1, dots=5)
    code = ev.tickets[0].code
    _db.session.commit()
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", before)
    try:
        assert quick_dot(ev.event_id, ev.ticket_ids[0], code, str(ev.idea_ids[0])).remaining == 4
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", before)
    _db.session.commit()
    assert len(statements) == 2 and statements[1].startswith("INSERT INTO dot")
    assert _dots() == 1


# -- open and close -----------------------------------------------------------------------------


def test_nothing_before_opening_or_after_closing(db):
    ev = make_voting_event(tickets=1, open_voting=False)
    [t] = ev.tickets
    event = ev.event
    assert _error(cast_dot, t, ev.idea_ids[0]) == "not_open"
    open_voting(event)
    _db.session.commit()
    _cast(t, ev.idea_ids[0])
    close_voting(event)
    _db.session.commit()
    assert _error(cast_dot, t, ev.idea_ids[1]) == "closed"
    assert _error(remove_dot, t, ev.idea_ids[0]) == "closed"
    assert _error(close_voting, event) == "not_open"
    assert _dots() == 1
    # Re-opening withdraws what was published; closing again publishes anew.
    open_voting(event)
    _db.session.commit()
    assert _db.session.execute(sa.select(sa.func.count(Receipt.id))).scalar_one() == 0
    _cast(t, ev.idea_ids[1])
    close_voting(event)
    _db.session.commit()
    assert sum(_db.session.execute(sa.select(TallySnapshot.dots)).scalars()) == 2


def test_hidden_and_foreign_ideas_take_no_dots(db, create_user):
    ev = make_voting_event(tickets=1)
    other = make_voting_event(tickets=0, title="Anderes", process_id=ev.process_id)
    [t] = ev.tickets
    idea = ev.ideas[0]
    _cast(t, idea.id)
    ideas.hide_idea(idea, "Beleidigend", user=None)
    _db.session.commit()
    assert _error(cast_dot, t, idea.id) == "hidden_idea"
    assert _error(cast_dot, t, other.idea_ids[0]) == "unknown_idea"
    for bad in (None, "abc", "1e9", -1, 2**40, "\x00", True):
        assert _error(cast_dot, t, bad) == "unknown_idea"
    assert _dots(t) == 1
    shown = ballot(t)
    assert idea.id not in [i.id for s in shown.stands for i in s.ideas]
    assert shown.removed == 1 and shown.remaining == 4
    # The voter can take the dot back from the hidden idea.
    assert release_removed_dots(t) == 1
    _db.session.commit()
    assert _dots(t) == 0


def test_pending_and_withdrawn_online_ideas_take_no_dots(db):
    """Visibility is Idea.is_visible, not the status alone: an online idea waiting for moderation or
    withdrawn by its participant is not public, on the quick path as on the full one."""
    ev = make_voting_event(stands=1, ideas_per_stand=3, tickets=2)
    pending, withdrawn, approved = ev.ideas
    for idea in (pending, withdrawn, approved):
        idea.channel = "online"
    pending.moderation = "pending"
    withdrawn.withdrawn_at = utcnow()
    _db.session.commit()
    for idea_id in (pending.id, withdrawn.id):
        assert _quick(ev, 0, idea_id) is None
        assert _error(cast_dot, ev.tickets[1], idea_id) == "unknown_idea"
    assert _dots() == 0
    assert _quick(ev, 0, approved.id) is not None and _cast(ev.tickets[1], approved.id)
    assert _dots() == 2


# -- merged ideas -----------------------------------------------------------------------------


def test_merged_ideas_count_for_the_survivor_and_unmerge_gives_back(db):
    ev = make_voting_event(tickets=2, dots=5, max_per_idea=3)
    a, b = ev.tickets
    survivor_idea, source_idea = ev.ideas[:2]
    survivor, source = survivor_idea.id, source_idea.id
    _cast(a, source)
    _cast(a, source)
    _cast(b, survivor)
    ideas.merge_ideas(survivor_idea, [source_idea], user=None)
    _db.session.commit()
    event = ev.event
    by_idea = {row.idea.id: row for row in totals(event)}
    assert source not in by_idea and by_idea[survivor].room == 3
    assert my_dots(a) == {survivor: 2}
    # A dot sent for the merged idea (a stale page) goes to the survivor; the maximum counts the group.
    assert _cast(a, source).idea_id == survivor
    assert _error(cast_dot, a, survivor) == "idea_limit"
    # Taking back works on the group, the survivor's own dot first.
    assert remove_dot(a, survivor).mine == 2
    _db.session.commit()
    ideas.unmerge_idea(source_idea, user=None)
    _db.session.commit()
    by_idea = {row.idea.id: row for row in totals(event)}
    assert by_idea[source].room == 2 and by_idea[survivor].room == 1


def test_chain_of_merges(db):
    ev = make_voting_event(tickets=1, ideas_per_stand=3, stands=1)
    [t] = ev.tickets
    x, y, z = ev.ideas
    _cast(t, x.id)
    _cast(t, y.id)
    _cast(t, z.id)
    ideas.merge_ideas(y, [x], user=None)
    ideas.merge_ideas(z, [y], user=None)
    _db.session.commit()
    rows = totals(ev.event)
    assert [(r.idea.id, r.room) for r in rows] == [(z.id, 3)]


# -- board counts ---------------------------------------------------------------------------------


def test_board_counts_are_set_logged_and_shown_separately(db, create_user):
    moderator = create_user(roles=("moderator",))
    ev = make_voting_event(tickets=1)
    idea = ev.ideas[0]
    _cast(ev.tickets[0], idea.id)
    set_board_count(idea, "7", user=moderator)
    set_board_count(idea, 4, user=moderator)
    _db.session.commit()
    assert _db.session.execute(sa.select(BoardCount.count)).scalar_one() == 4
    assert _db.session.execute(sa.select(BoardCountLog.count).order_by(BoardCountLog.id)).scalars().all() == [7, 4]
    row = next(r for r in totals(ev.event) if r.idea.id == idea.id)
    assert (row.room, row.board, row.online, row.total) == (1, 4, 0, 5)
    for bad in ("-1", "x", "1.5", "9999999", "\x00", None):
        assert _error(set_board_count, idea, bad) == "bad_count"


# -- receipts and recount ---------------------------------------------------------------------------


def test_receipts_and_recount(db):
    ev = make_voting_event(tickets=3)
    for n, t in enumerate(ev.tickets[:2]):
        _cast(t, ev.idea_ids[0])
        _cast(t, ev.idea_ids[n + 1])
    mine = receipt(ev.tickets[0])
    event = ev.event
    close_voting(event)
    _db.session.commit()
    published = published_receipts(event)
    assert len(published) == 2 and mine in {r.digest for r in published}
    assert sum(r.dots for r in published) == 4
    assert recount(event).ok
    # Someone tampers with the stored dots: the recount notices.
    _db.session.execute(sa.delete(Dot).where(Dot.id == _db.session.execute(sa.select(sa.func.min(Dot.id))).scalar()))
    _db.session.commit()
    result = recount(event)
    assert not result.ok and any("MISMATCH" in line for line in result.lines)


def test_recount_cli(app, voting_event):
    ev = voting_event(tickets=2)
    with app.app_context():
        cast_dot(ev.tickets[0], ev.idea_ids[0])
        close_voting(ev.event)
        _db.session.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["voting", "recount", str(ev.event_id)])
    assert ok.exit_code == 0 and "OK" in ok.output
    with app.app_context():
        _db.session.execute(sa.update(TallySnapshot).values(dots=TallySnapshot.dots + 1))
        _db.session.commit()
    bad = runner.invoke(args=["voting", "recount", str(ev.event_id)])
    assert bad.exit_code == 1 and "MISMATCH" in bad.output
    assert runner.invoke(args=["voting", "recount", "999999"]).exit_code != 0


def test_issue_tickets_cli(app, voting_event):
    ev = voting_event(tickets=0, open_voting=False)
    with app.app_context():
        _db.session.add(Application(event_id=ev.event_id, name="B", email="b@example.org", status="confirmed",
                                    token_hash="b" * 64))
        _db.session.commit()
    result = app.test_cli_runner().invoke(args=["voting", "issue-tickets", str(ev.event_id)])
    # Issue 24: a real plural, in the site's language (not "1 tickets issued").
    assert result.exit_code == 0 and result.output.splitlines()[-1] == "1 Ticket ausgestellt und verschickt.", result.output
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count(OutboxMail.id))).scalar_one() == 1
