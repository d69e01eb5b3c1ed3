"""Planning: the team's plans judged by MOS's numbers (SOSTAC, quarterly bets, 30-60-90,
budget moves, content calendar, campaign plans). Sits beside reports in the layering."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("Planning")

    def ready(self):
        # survey answers and complaints on the contact profile (crm cannot import planning)
        from crm import extensions

        from .content.profile import profile_context

        extensions.register_profile_panel("planning/service/_profile_panel.html",
                                          profile_context)
