"""The voting results page, the results dashboard, the open-data API and the council report PDF
show the same dots per idea for the same event (issue 23: they count through app/ideas/merge_groups.py).

The event has a chain of merges (c → b → a), a hidden idea with dots and board count, a dot
taken back, board counts on a merged idea and online dots.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from app.extensions import db

#: text → (room, board, online, total), worked out by hand from the steps in ``event``.
EXPECTED = {
    "Idee 1.1": (6, 6, 1, 13),   # a: 1 of its own, b's 2 and c's 3 room dots; boards a 4 + c 2; online 1 on c
    "Idee 1.4": (1, 0, 0, 1),    # d: t2's dot was taken back
    "Idee 2.2": (1, 0, 0, 1),    # f
    "Idee 2.3": (0, 0, 0, 0),    # g: no dots
    "Idee 2.4": (0, 0, 0, 0),    # h: merged into g and un-merged again
}
HIDDEN = "Idee 2.1"


@pytest.fixture
def event(app, voting_event):
    w = voting_event(stands=2, ideas_per_stand=4, tickets=3, dots=6, open_voting=False)
    with app.test_request_context():
        from app.core.models import utcnow
        from app.ideas import services as ideas
        from app.voting.board import set_board_count
        from app.voting.dots import cast_dot, remove_dot
        from app.voting.state import close_voting, open_voting, update_settings
        from app.voting.tickets import issue_ticket

        ev = w.event
        update_settings(ev, dots_per_ticket=6, max_per_idea=None, scope="event", walk_ins_allowed=False,
                        online_enabled=True, online_opens_at=utcnow() - timedelta(hours=1),
                        online_closes_at=utcnow() + timedelta(hours=1))
        open_voting(ev)
        a, b, c, d, e, f, g, h = w.ideas
        tickets = w.tickets
        online = issue_ticket(ev, kind="online", channel="online")
        for ticket, targets in ((tickets[0], (a, b, c, c)), (tickets[1], (c, d, e)), (tickets[2], (f, b, d)),
                                (online, (c,))):
            for idea in targets:
                cast_dot(ticket, idea.id)
        remove_dot(tickets[2], d.id)
        set_board_count(a, 4)
        set_board_count(c, 2)
        set_board_count(e, 3)
        ideas.merge_ideas(b, [c], user=None)
        ideas.merge_ideas(a, [b], user=None)  # the chain c → b → a
        ideas.hide_idea(e, "Beleidigend", user=None)
        ideas.merge_ideas(g, [h], user=None)
        ideas.unmerge_idea(h, user=None)     # un-merged again: h counts for itself (no dots)
        close_voting(ev)
        ev.status = "published"
        db.session.commit()
        return w


class _Rows(HTMLParser):
    """The text of each cell of each table row of a page."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(html: str, supports_column: bool = False) -> dict[str, tuple[int, ...]]:
    """Rows whose idea cell starts with an idea text → the four dot cells (room, board, online, total):
    the last four, or those before the supports column (issue 18: the dashboard's last column)."""
    end = -1 if supports_column else None
    parser = _Rows()
    parser.feed(html)
    found = {}
    for row in parser.rows:
        for cell in row:
            match = re.match(r"(Idee \d\.\d)\b", cell)
            if match:
                found[match.group(1)] = tuple(int(v.replace(".", "")) for v in row[-4 + (end or 0):end])
                break
    return found


def test_voting_page_dashboard_api_and_pdf_show_the_same_totals(app, client, staff_client, event):
    voting_page = client.get(f"/events/{event.event_id}/vote/results")
    assert voting_page.status_code == 200
    from_voting = _table(voting_page.get_data(as_text=True))

    council = staff_client("council")
    dashboard = council.get(f"/manage/results/events/{event.event_id}")
    assert dashboard.status_code == 200
    from_dashboard = _table(dashboard.get_data(as_text=True), supports_column=True)

    api = client.get(f"/api/v1/events/{event.event_id}/results")
    assert api.status_code == 200, api.get_data(as_text=True)
    from_api = {item["text"]: tuple(item["dots"][k] for k in ("room", "board", "online", "total"))
                for item in api.get_json()["ranking"]}

    pdf = council.job_file(f"/manage/results/processes/{event.process_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_data())).pages)
    from_pdf = {m.group(1): tuple(int(v) for v in m.groups()[1:])
                for m in re.finditer(r"(Idee \d\.\d)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", text)}

    assert from_voting == EXPECTED
    assert from_dashboard == EXPECTED
    assert from_api == EXPECTED
    assert from_pdf == EXPECTED
    for hidden_somewhere in (from_voting, from_dashboard, from_api, from_pdf):
        assert HIDDEN not in hidden_somewhere


def test_voting_totals_count_a_merge_across_events_as_the_results_do(app, results_fixture):
    """i8 (event A) was merged into i6 (event B) in the data: its 2 room dots count for i6 on
    the voting pages of B too, as on the dashboard (before issue 23 the voting page showed 1)."""
    from app.events.models import Event
    from app.results.ranking import idea_ranking
    from app.results.scope import event_scope
    from app.voting.totals import totals

    with app.test_request_context():
        for event_id in (results_fixture.event_a, results_fixture.event_b):
            event = db.session.get(Event, event_id)
            from_voting = {t.idea.id: (t.room, t.board, t.online) for t in totals(event)}
            from_results = {i.id: (i.room, i.board, i.online)
                            for i in idea_ranking(event_scope(event, public=False), limit=None)}
            assert from_voting == from_results
        assert from_voting[results_fixture.ideas["i6"]] == (3, 2, 3)
