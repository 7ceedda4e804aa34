"""The public page issues the same number of SQL queries however many measures and ideas it shows."""
from __future__ import annotations

import uuid


from app.events.models import Process
from app.extensions import db
from app.ideas.models import Idea, IdeaTag, Tag
from app.measures.lifecycle import change_status, create_measure
from app.measures.links import link_ideas
from app.voting.models import BoardCount


def _fill(process_id: int, stand_id: int, event_id: int, measures: int, ideas_per_measure: int) -> None:
    process = db.session.get(Process, process_id)
    tag = Tag(process_id=process_id, key=f"t{uuid.uuid4().hex[:8]}", label="Bürgerportal")
    db.session.add(tag)
    for m in range(measures):
        measure = create_measure(process, title=f"Maßnahme {m}", chapter=f"Kapitel {m % 3}")
        change_status(measure, "adopted", comment="Beschlossen", notify=False)
        ideas = [Idea(stand_id=stand_id, text=f"Idee {m}.{i}", client_id=str(uuid.uuid4()), status="new")
                 for i in range(ideas_per_measure)]
        db.session.add_all(ideas)
        db.session.flush()
        db.session.add_all([IdeaTag(idea_id=i.id, tag_id=tag.id) for i in ideas])
        db.session.add_all([BoardCount(event_id=event_id, idea_id=i.id, count=3) for i in ideas])
        link_ideas(measure, ideas)
    db.session.commit()


def _queries(app, client, count_queries, path: str) -> int:
    with app.app_context():
        engine = db.engine
    client.get(path)  # warm up: translations, templates
    with count_queries(engine) as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.n


def test_outcome_page_has_a_bounded_number_of_queries(app, client, measures_world, count_queries):
    small, large = measures_world(), measures_world()
    with app.test_request_context():
        _fill(small.process_id, small.stand_ids[0], small.event_ids[0], 2, 1)
        _fill(large.process_id, large.stand_ids[0], large.event_ids[0], 30, 20)
    n_small = _queries(app, client, count_queries, f"/processes/{small.process_id}/outcome")
    n_large = _queries(app, client, count_queries, f"/processes/{large.process_id}/outcome")
    assert n_small == n_large and n_large <= 15
    page = client.get(f"/processes/{large.process_id}/outcome").get_data(as_text=True)
    assert page.count('class="card measure"') == 30 and "Idee 29.19" in page
