# The events feature first: app.participation.models imports app.events.models, whose package
# loads the ideas feature, whose models import app.participation.models (half-way, if a test
# module of this package imported it first).
import app.events  # noqa: F401
