"""The demo's online participation (issue 18, "Done when"): the 2019 citizens' workshop has an
online phase before and after it, residents' ideas at its three stands beside the room's, supports
and comments, one online idea taken into the room and one merged into a room idea, one hidden with
a reason from the netiquette; the dashboard, the council report and the public pages show both
channels."""
from __future__ import annotations

import io
import re
from datetime import datetime

import sqlalchemy as sa
from pypdf import PdfReader

from app.accounts.models import User
from app.core.models import OutboxMail, RateLimitCounter
from app.events.models import Event, Process
from app.extensions import db as _db
from app.ideas.models import Idea, IdeaLog, Stand
from app.participation.models import Comment, Follow, OnlineSettings, Participant, Support


def _count(stmt) -> int:
    return _db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()


def _workshop() -> Event:
    from app.demo import CITIZEN_WORKSHOP_TITLE

    return _db.session.execute(sa.select(Event).where(Event.title == CITIZEN_WORKSHOP_TITLE)).scalar_one()


def _online(workshop: Event) -> list[Idea]:
    return _db.session.execute(
        sa.select(Idea).join(Stand).where(Stand.event_id == workshop.id, Idea.channel == "online")
        .order_by(Idea.id)).scalars().all()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_workshop_has_online_phases_ideas_supports_and_comments(db):
    from app.demo import load_demo
    from app.participation import demo as online_demo
    from app.participation.services import phases_of

    load_demo()
    workshop = _workshop()
    phases = phases_of(workshop)
    before, after = phases["before"], phases["after"]
    assert before.enabled and after.enabled
    # Local Esslingen time (CET in March, CEST from 31 March) stored as UTC.
    assert (before.opens_at, before.closes_at) == (datetime(2019, 3, 4, 8, 0), datetime(2019, 3, 31, 21, 59))
    assert (after.opens_at, after.closes_at) == (datetime(2019, 4, 5, 8, 0), datetime(2019, 4, 30, 21, 59))
    assert before.closes_at <= workshop.starts_at <= after.opens_at
    settings = db.session.execute(sa.select(OnlineSettings)
                                  .where(OnlineSettings.process_id == workshop.process_id)).scalar_one()
    assert settings.moderation == "pre" and settings.netiquette_reasons == online_demo.NETIQUETTE

    # A handful of residents' ideas at each stand, submitted in March, beside the room's.
    online = _online(workshop)
    stands = db.session.execute(sa.select(Stand).where(Stand.event_id == workshop.id)
                                .order_by(Stand.position)).scalars().all()
    for stand in stands:
        mine = [i for i in online if i.stand_id == stand.id]
        assert len(mine) >= 4, stand.title
        assert _count(sa.select(Idea.id).where(Idea.stand_id == stand.id, Idea.channel == "room")) >= 4
    assert all(i.created_at.year == 2019 and i.created_at.month == 3 for i in online)
    assert all(i.moderation == "visible" and i.participant_id is not None for i in online)

    # The residents confirmed their address (double opt-in); they are participants, not users.
    participants = db.session.execute(sa.select(Participant)).scalars().all()
    assert len(participants) == len(online_demo.RESIDENTS)
    assert all(p.confirmed_at is not None and p.email.endswith("@example.org") for p in participants)
    assert {p.id for p in participants} >= {i.participant_id for i in online}
    assert not db.session.execute(sa.select(User).where(User.email.like("%@example.org"))).first()

    # Moderation: one refused with a reason from the netiquette, one taken into the room, one merged.
    (hidden,) = [i for i in online if i.status == "hidden"]
    assert hidden.hidden_reason == online_demo.ADVERTISING and "Webseiten" in hidden.text
    (taken,) = [i for i in online if i.taken_into_room_at is not None]
    assert taken.taken_into_room_at.date().isoformat() == "2019-04-01" and taken.is_visible
    (merged,) = [i for i in online if i.status == "merged"]
    target = merged.merged_into
    assert target.channel == "room" and target.stand_id == merged.stand_id and target.is_visible
    assert db.session.execute(sa.select(IdeaLog.action).where(IdeaLog.idea_id == merged.id,
                                                             IdeaLog.other_idea_id == target.id)).scalar() == "merge"

    # Supports in April on room and online ideas; comments with one reply, all approved.
    supports = db.session.execute(sa.select(Support.created_at, Idea.channel)
                                  .join(Idea, Idea.id == Support.idea_id)).all()
    assert 30 <= len(supports) <= 100
    assert {channel for _, channel in supports} == {"room", "online"}
    assert all(after.opens_at <= created < after.closes_at for created, _ in supports)
    comments = db.session.execute(sa.select(Comment)).scalars().all()
    assert len(comments) >= 5 and all(c.is_visible for c in comments)
    (reply,) = [c for c in comments if c.parent_id is not None]
    assert reply.idea_id == db.session.get(Comment, reply.parent_id).idea_id
    assert {c.idea.channel for c in comments} == {"room", "online"}

    # The commenters follow the ideas they commented; the strategy's measures that took those ideas
    # in mailed them (once per measure and follower).
    followed = db.session.execute(sa.select(Follow.participant_id, Follow.idea_id)).all()
    assert set(followed) == {(c.participant_id, c.idea_id) for c in comments}
    followers = {p.email for p in participants if p.id in {pid for pid, _ in followed}}
    news = db.session.execute(sa.select(OutboxMail.recipient, OutboxMail.subject)
                              .where(OutboxMail.subject.like("%Maßnahme%"))).all()
    assert news and {recipient for recipient, _ in news} <= followers
    assert len(news) == len(set(news))  # one mail per measure and follower

    # Their mails count as sent, and no rate limit counted the demo's residents.
    assert _count(sa.select(OutboxMail.id).where(OutboxMail.sent_at.is_(None))) == 0
    assert _count(sa.select(RateLimitCounter.key)) == 0

    counts = [_count(sa.select(m)) for m in (Participant, Idea, Support, Comment)]
    load_demo()  # idempotent
    assert counts == [_count(sa.select(m)) for m in (Participant, Idea, Support, Comment)]


def _expected_channels(process: Process) -> dict[str, tuple[int, int]]:
    """Listed ideas and supports per channel, counted straight from the tables: the ideas neither
    hidden nor merged; every support counts for the idea it went to or that idea's survivor."""
    listed = dict(_db.session.execute(
        sa.select(Idea.channel, sa.func.count(Idea.id)).join(Stand).join(Event)
        .where(Event.process_id == process.id, Idea.status.not_in(("hidden", "merged")))
        .group_by(Idea.channel)).all())
    survivor = sa.func.coalesce(Idea.merged_into_id, Idea.id)
    root = sa.orm.aliased(Idea)
    backed = dict(_db.session.execute(
        sa.select(root.channel, sa.func.count(Support.id)).join(Idea, Idea.id == Support.idea_id)
        .join(root, root.id == survivor).group_by(root.channel)).all())
    return {channel: (listed.get(channel, 0), backed.get(channel, 0)) for channel in ("room", "online")}


def test_the_dashboard_and_the_council_report_show_both_channels(db, staff_client):
    from app.demo import PROCESS_TITLE, load_demo

    load_demo()
    process = db.session.execute(sa.select(Process).where(Process.title == PROCESS_TITLE)).scalar_one()
    expected = _expected_channels(process)
    (room_ideas, room_supports), (online_ideas, online_supports) = expected["room"], expected["online"]
    assert online_ideas >= 12 and room_supports > 0 and online_supports > 0
    council = staff_client("council")

    page = council.get(f"/manage/results/processes/{process.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = _text(html.split('id="channel-totals"', 1)[1].split("</table>", 1)[0])
    assert re.search(rf"Saal {room_ideas} \d+ {room_supports} ", table), table
    assert re.search(rf"Online {online_ideas} \d+ {online_supports} ", table), table
    assert re.search(rf"Zusammen {room_ideas + online_ideas} \d+ {room_supports + online_supports}\b", table), table
    assert re.search(rf'id="ideas-online"><span class="figure">{online_ideas}</span>', html)
    assert f">{room_supports + online_supports}</span> Unterstützungen online" in html

    report = council.job_file(f"/manage/results/processes/{process.id}/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report.get_data())).pages)
    assert "Saal und online" in text
    channels = re.sub(r"\s+", " ", text.split("Saal und online", 1)[1])[:200]
    assert re.search(rf"Saal {room_ideas} \d+ {room_supports} ", channels), channels
    assert re.search(rf"Online {online_ideas} \d+ {online_supports} ", channels), channels
    assert re.search(rf"Zusammen {room_ideas + online_ideas} \d+ {room_supports + online_supports} ", channels), channels
    assert "Termine beim Bürgeramt auch für Samstag" not in text  # merged: counted in its survivor


def test_the_public_pages_list_the_online_ideas_with_their_channel(db, client):
    from app.demo import load_demo
    from app.participation import demo as online_demo

    load_demo()
    workshop = _workshop()
    online = _online(workshop)
    first_stand = db.session.execute(sa.select(Stand).where(Stand.event_id == workshop.id, Stand.position == 1)
                                     ).scalar_one()
    page = client.get(f"/processes/{workshop.process_id}/stands/{first_stand.id}/ideas").get_data(as_text=True)
    for text, *_ in online_demo.ONLINE_IDEAS[1][:4]:
        assert text.split(" #")[0] in page, text
    assert "Die Homepage muss auf dem Handy gut lesbar sein" in page  # the room's idea beside them
    hidden = next(i for i in online if i.status == "hidden")
    block = page.split(f'id="idea-{hidden.id}"', 1)[1].split("</li>", 1)[0]
    assert "Keine Werbung für Firmen, Produkte oder Parteien." in block and "Webseiten" not in page
    shown = next(i for i in online if i.stand_id == first_stand.id and i.status == "new")
    block = page.split(f'id="idea-{shown.id}"', 1)[1].split("</li>", 1)[0]
    assert ">Online<" in block and "Unterstützung" in block

    listed = client.get(f"/processes/{workshop.process_id}/ideas?channel=online&sort=supported").get_data(as_text=True)
    assert ">Saal<" not in listed.split('class="public-ideas"', 1)[1]
    assert "Ideen gefunden" in listed and "Schäden an Straßen" in listed

    # An idea's comments, with the reply.
    commented = next(c for c in db.session.execute(sa.select(Comment)).scalars() if c.parent_id is not None).idea
    page = client.get(f"/processes/{workshop.process_id}/ideas/{commented.id}").get_data(as_text=True)
    assert online_demo.REPLY[2] in page and online_demo.COMMENTS[0][3] in page
