"""What the reports know of the plan's diagnostic questions (registered in mos.diagnostics by
ReportsConfig.ready(); planning shows it without importing reports)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import MonthlyReport


def monthly_report_answer(workspace) -> str:
    """"Do you have a one-page monthly marketing report that ends in decisions?": yes when a
    month's report is published (the latest one, with its number of decisions), else no."""
    latest = (MonthlyReport.objects.filter(workspace=workspace,
                                           status=MonthlyReport.Status.PUBLISHED)
              .order_by("-month").first())
    if latest is None:
        return _("No: no monthly report has been published yet.")
    n = latest.decisions.count()
    return ngettext("Yes: the %(month)s report is published, with %(n)d decision.",
                    "Yes: the %(month)s report is published, with %(n)d decisions.", n) % {
        "month": f"{latest.month:%Y-%m}", "n": n}
