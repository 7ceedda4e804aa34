"""Personal data of ideas: "said by", who brought an idea up (issue 23, item 6; orchestrated by
app/privacy). The ideas' texts stay: they are the event's result."""
from __future__ import annotations

import sqlalchemy as sa

from app.core.personal import Cover
from app.extensions import db
from app.ideas.models import Idea, Stand

COVERS = {
    Idea.said_by: Cover(export="not in an applicant's own-data file: free text typed by a moderator, "
                               "linked to no application; never shown on walls or public pages",
                        erase="emptied by the retention purge of the event"),
}


def purge(plan, report):
    """Empty "said by" of the ideas of events past their retention."""
    if not plan.event_ids:
        return None
    ideas = db.session.execute(
        sa.select(Idea).join(Stand, Stand.id == Idea.stand_id)
        .where(Stand.event_id.in_(plan.event_ids), Idea.said_by != "").order_by(Idea.id)
    ).scalars().all()
    report.ideas = [i.id for i in ideas]

    def apply():
        for idea in ideas:
            idea.said_by = ""
    return apply
