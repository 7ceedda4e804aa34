"""Personal data of online participants (issue 18; orchestrated by app/privacy): the display
name and the e-mail address. The participant downloads and erases them with their private
participation link (app/participation/views_public.py)."""
from __future__ import annotations

from app.core.personal import Cover
from app.participation.models import Participant

COVERS = {
    Participant.display_name: Cover(
        export="in the participant's own-data file (participation link → my data)",
        erase="deleted with the participant when they erase their participation; their ideas stay, "
              "without a name"),
    Participant.email: Cover(
        export="in the participant's own-data file (participation link → my data)",
        erase="deleted with the participant when they erase their participation"),
}
