"""The channel of an idea (room / online, issue 18) on the staff pages: the stand's list, the idea
page, the capture list, and the ideas by channel on the results dashboard."""
from __future__ import annotations

import re


def test_staff_pages_mark_the_channel_and_the_dashboard_counts_online_ideas(
        app, staff_client, create_process, create_event, create_stand, create_online_idea, record):
    admin = staff_client("admin")
    process_id = create_process(title="Esslingen 4.0")
    event_id = create_event(process_id=process_id, status="held")
    stand = create_stand(event_id, "Bürgerportal")
    room = record(stand, "Raumidee")
    online = create_online_idea(stand, "Online-Idee")
    pending = create_online_idea(stand, "Wartet", pending=True)

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
    process_id = create_process(title="Esslingen 4.0")
    stand = create_stand(create_event(process_id=process_id, status="held"), "Bürgerportal")
    room = record(stand, "Raumidee")
    online = create_online_idea(stand, "Online-Idee")
    response = admin.job_file(f"/manage/results/processes/{process_id}/ideas.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_id[str(room)]["Weg"] == "Saal" and by_id[str(online)]["Weg"] == "Online"
    data = json.loads(admin.job_file(f"/manage/results/processes/{process_id}/ideas.json").get_data(as_text=True))
    assert {i["id"]: i["channel"] for i in data["ideas"]} == {room: "room", online: "online"}
