"""The demo workspace's monthly reports: six published months with decisions carried from one
to the next (and their results written in), then a draft for the last closed month.

Runs after the metrics (the reports are drafted from them); deterministic; a second or so."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mos.actors import Actor
from mos.models import Membership

PUBLISHED_MONTHS = 6
SUMMARIES = [
    _("Paid search carried new customers; LinkedIn stayed expensive.\n"
      "We paused the weakest paid channel and doubled down on SEO content."),
    _("Leads grew but sales accepted fewer of them: the lead definition needs work.\n"
      "Churn held under its guardrail."),
    _("A quieter month (Ramadan): spend down, CAC steady.\nReferral experiment started."),
    _("CAC back on target after the paid social pause.\n"
      "Onboarding e-mails lifted activation."),
    _("Best month for new customers this year.\nPaid social still misses its CAC target."),
    _("Spend up for the launch; customers followed more slowly.\n"
      "We keep the launch budget one more month, then decide."),
]
RESULTS = [  # (status, result) written on last month's open decisions, in turn
    ("done", _("Done: budget moved, CAC down 12 %.")),
    ("done", _("Done: shipped on time.")),
    ("dropped", _("Dropped: the team had no capacity this month.")),
    ("open", ""),
]


def _months_back(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


def build_demo_reports(ws, *, today: dt.date | None = None, log=None) -> dict:
    """Draft, edit and publish six months in order, then draft the last closed month."""
    from reports import selectors, services
    from reports.models import MonthlyReport, ReportDecision

    today = today or timezone.localdate()
    last = selectors.last_closed_month(today)
    members = {m.role: m for m in Membership.objects.filter(workspace=ws)
               .select_related("user", "workspace")}
    lead = members.get("growth_lead") or members.get("admin")
    actor = Actor.for_member(lead) if lead else Actor.system(ws)
    owners = [m.user for m in members.values() if m.role in ("growth_lead", "marketer",
                                                             "admin")]
    published = 0
    for i in range(PUBLISHED_MONTHS, 0, -1):
        month = _months_back(last, i)
        report = services.report_draft(workspace=ws, month=month, actor=actor)
        # last month's decisions get their results before this month is written
        prev = selectors.previous_report(report)
        if prev is not None:
            for k, d in enumerate(prev.decisions.filter(status="open").order_by("id")):
                status, note = RESULTS[(k + i) % len(RESULTS)]
                if status != "open":
                    note = str(note)
                    services.decision_update(actor=actor, decision=d, status=status,
                                             result_note=note)
                    ReportDecision.objects.filter(carried_from=d, report=report).update(
                        status=status, result_note=note)
        services.report_update_text(report=report, actor=actor, field="summary",
                                    value=str(SUMMARIES[(PUBLISHED_MONTHS - i) % len(SUMMARIES)]))
        for k, d in enumerate(report.decisions.filter(owner__isnull=True).order_by("id")):
            services.decision_update(
                actor=actor, decision=d, owner=owners[k % len(owners)] if owners else None,
                due_date=_months_back(month, -2) - dt.timedelta(days=1 + 7 * (k % 3)))
        services.report_publish(report=report, actor=actor, notify=False)
        # published a few days after the month closed, as a team would
        at = timezone.make_aware(dt.datetime.combine(_months_back(month, -1)
                                                     + dt.timedelta(days=3), dt.time(10)))
        MonthlyReport.objects.filter(pk=report.pk).update(published_at=at)
        published += 1
    draft = services.report_draft(workspace=ws, month=last, actor=Actor.system(ws))
    if log:
        log(f"Reports: {published} published months, a draft for {last:%Y-%m} "
            f"({draft.decisions.count()} decisions proposed or carried)")
    return {"published": published, "draft": draft.slug}
