"""The alert experiments raises (issue 15): a running experiment whose traffic split does not
match its plan (sample-ratio mismatch, DESIGN §6) tells its owner — or the workspace's admins
and growth leads when it has none — once per experiment, until someone acknowledges it."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from mos.notifications import Alert, members_with, register_alert_source
from mos.roles import Role


def srm_alerts(workspace) -> list[Alert]:
    from .analysis import analyse_experiments
    from .models import Experiment

    out = []
    running = list(Experiment.objects.filter(
        workspace=workspace, status=Experiment.Status.RUNNING,
        srm_acknowledged_at__isnull=True).select_related("owner").prefetch_related("variants"))
    analyses = analyse_experiments(running)  # the stored totals in two queries, not 4 per test
    for exp in running:
        srm = analyses[exp.pk].get("srm") or {}
        if not srm.get("flagged"):
            continue

        def text(exp=exp, srm=srm):
            return (_("Sample-ratio mismatch: %(name)s") % {"name": exp.title},
                    _("The traffic split of “%(name)s” does not match its plan (p = "
                      "%(p).5f). Check the assignment before reading any result.") % {
                        "name": exp.title, "p": srm.get("p_value") or 0})
        users = [exp.owner] if exp.owner_id else members_with(
            workspace, [Role.ADMIN, Role.GROWTH_LEAD])
        out.append(Alert(kind="experiment_srm", users=users, dedupe_key=f"srm:{exp.code}",
                         text=text, url=reverse("experiment_detail", kwargs={
                             "slug": workspace.slug, "experiment_code": exp.code})))
    return out


def register() -> None:
    register_alert_source(srm_alerts)
