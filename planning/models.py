"""Planning models. Each area of the planning app has its own module; they are imported here
so Django finds them."""

from planning.content.models import CalendarFeed, CampaignPlan, ContentItem  # noqa: E402,F401
