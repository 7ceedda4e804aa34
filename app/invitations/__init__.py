"""Invitations drawn from the residents' register (issue 17): the register extract import,
households, the verifiable invitation draw (stage 1) and the invitees' codes; answered
invitations become the event's applications, among whom the seat lottery draws (stage 2)."""
from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("invitations", __name__, template_folder="templates",
                      parts=("jobs", "views_answer", "views_manage"))


def init_app(app):
    from app.core.slots import register_slot

    register_slot(app, "event_manage_links", "invitations/_event_manage_link.html", order=30)
    register_slot(app, "privacy_notice", "invitations/_privacy.html", order=10)
