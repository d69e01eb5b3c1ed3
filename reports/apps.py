from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        # planning (a sibling layer) asks "do you publish a monthly report?" through mos
        from mos import diagnostics

        from .diagnostics import monthly_report_answer

        diagnostics.register_answer("monthly_report", monthly_report_answer)
