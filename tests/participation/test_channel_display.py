"""The channel of an idea (room / online, issue 18) on the staff pages: the stand's list, the idea
page, the capture list, and the ideas by channel on the results dashboard."""
from __future__ import annotations

import re


def test_staff_pages_mark_the_channel_and_the_dashboard_counts_online_ideas(
        app, staff_client, create_process, create_event, create_stand, create_online_idea, record):
    admin = staff_client("admin")
    process_id = create_process(title="Esslingen 4.0").id
    event_id = create_event(process_id=process_id, status="held").id
    stand = create_stand(event_id, "Bürgerportal").id
    room = record(stand, "Raumidee").id
    online = create_online_idea(stand, "Online-Idee").id
    pending = create_online_idea(stand, "Wartet", pending=True).id

    html = admin.get(f"/stands/{stand}/ideas").get_data(as_text=True)
    rows = {int(n): row for n, row in re.findall(r'<tr>\s*<td><a href="/ideas/(\d+)">(.*?)</tr>', html, re.S)}
    assert 'class="badge channel channel-room">Saal<' in rows[room]
    assert 'class="badge channel channel-online">Online<' in rows[online]
    assert "wartet auf Freigabe" in rows[pending]
    assert 'class="badge channel channel-online">Online<' in admin.get(f"/ideas/{online}").get_data(as_text=True)
    capture = admin.get(f"/stands/{stand}/capture").get_data(as_text=True)
    assert capture.count("channel-online") == 2 and "channel-room" not in capture

    dashboard = admin.get(f"/manage/results/events/{event_id}").get_data(as_text=True)
    figure = re.search(r'id="ideas-online"><span class="figure">(\d+)</span> davon online eingereicht', dashboard)
    assert figure and figure.group(1) == "1"  # the pending one is not counted


def test_exports_name_each_ideas_channel(app, staff_client, create_process, create_event, create_stand,
                                         create_online_idea, record):
    import csv
    import io
    import json

    admin = staff_client("admin")
    process_id = create_process(title="Esslingen 4.0").id
    stand = create_stand(create_event(process_id=process_id, status="held").id, "Bürgerportal").id
    room = record(stand, "Raumidee").id
    online = create_online_idea(stand, "Online-Idee").id
    response = admin.job_file(f"/manage/results/processes/{process_id}/ideas.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_id[str(room)]["Weg"] == "Saal" and by_id[str(online)]["Weg"] == "Online"
    data = json.loads(admin.job_file(f"/manage/results/processes/{process_id}/ideas.json").get_data(as_text=True))
    assert {i["id"]: i["channel"] for i in data["ideas"]} == {room: "room", online: "online"}


def test_plenary_summary_shows_what_came_from_the_online_phase(app, client, create_process, create_event,
                                                                create_stand, create_online_idea, record):
    """The plenary sees per stand how many ideas came from the online phase, each marked (issue 18)."""
    from app.events.models import Event
    from app.extensions import db
    from app.ideas import services as ideas

    process_id = create_process(title="Esslingen 4.0").id
    event_id = create_event(process_id=process_id, status="held").id
    stand = create_stand(event_id, "Bürgerportal").id
    other = create_stand(event_id, "Homepage").id
    record(stand, "Raumidee")
    online = create_online_idea(stand, "Online <b>eingereicht</b>").id
    create_online_idea(stand, "Wartet noch", pending=True)
    record(other, "Nur im Saal")
    with app.app_context():
        token = ideas.wall_link(db.session.get(Event, event_id)).token
        db.session.commit()
    for lang, words in (("de", ("1 davon aus der Online-Phase", ">Online</span>")),
                        ("en", ("1 of them from the online phase", ">Online</span>"))):
        client.set_cookie("ideenmarkt_lang", lang)
        html = client.get(f"/wall/{token}/summary").get_data(as_text=True)
        sections = dict(re.findall(r'data-stand-id="(\d+)">(.*?)</section>', html, re.S))
        first, second = sections[str(stand)], sections[str(other)]
        for word in words:
            assert word in first, word
        assert re.search(rf'<li data-id="{online}" data-channel="online"[^>]*><span class="summary-text"[^>]*>'
                         r'Online &lt;b&gt;eingereicht&lt;/b&gt;</span> <span class="wall-channel">Online</span>', first)
        assert "Wartet noch" not in first and ("2 Ideen" in first or "2 ideas" in first)
        assert 'class="summary-online" hidden' in second and "wall-channel" not in second
