from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "experiments"

    def ready(self):
        from crm import extensions

        extensions.register_merge_mover(_move_insight_links)


def _move_insight_links(survivor, merged) -> dict:
    """A merged contact's insights link to the survivor instead (the M2M rows would vanish)."""
    from .models import Insight

    insights = list(Insight.objects.filter(contacts=merged))
    for insight in insights:
        insight.contacts.add(survivor)
    return {"insights": len(insights)}
