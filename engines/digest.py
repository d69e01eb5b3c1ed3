"""The weekly digest (issue 15): each member who reads metrics gets, once per week, an e-mail
with the numbers of the engines they own (every active engine when they own none): each
engine's KPIs, actual against target, for the last full week (Monday to Sunday) and the
month so far. Sent by Celery beat on Monday morning (mos/celery.py); a DigestSent row per
(member, week) makes a second delivery, a retry or a second beat send nothing."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mos.models import DigestSent, Membership, Notification
from mos.notifications import preferences
from mos.periods import workspace_today
from mos.roles import role_has_perm

from .alerts import _fmt, last_full_week

logger = logging.getLogger(__name__)


def digest_sections(workspace, user, kpis: list[dict], engines: list) -> list[dict]:
    """[{engine, kpis: [{name, actual, target, status, breach}]}] for the member's engines."""
    mine = [e for e in engines if e.owner_id == user.pk] or engines
    out = []
    for e in mine:
        ids = {k["kpi"].pk for k in kpis if k["kpi"].engine_id == e.pk}
        if e.main_kpi_id:
            ids.add(e.main_kpi_id)
        rows = [{"name": k["kpi"].name, "actual": _fmt(k["actual"]),
                 "target": _fmt(k["target"]), "status": k["status"],
                 "breach": k["guardrail_breach"]}
                for k in kpis if k["kpi"].pk in ids]
        out.append({"engine": e, "kpis": rows, "commitment": e.weekly_commitment})
    return out


def send_weekly_digests(workspace, *, today: date | None = None) -> int:
    """Send this week's digest to each member who has not had it; returns how many went."""
    from .selectors import engine_list, kpi_status

    today = today or workspace_today(workspace)
    week = last_full_week(today)
    week_end = week + timedelta(days=6)
    engines = list(engine_list(workspace, active_only=True))
    if not engines:
        return 0
    kpis = kpi_status(workspace, week_end)
    done = set(DigestSent.objects.filter(workspace=workspace, week=week)
               .values_list("user_id", flat=True))
    url = f"{settings.SITE_URL.rstrip('/')}" + reverse("workspace_home",
                                                       kwargs={"slug": workspace.slug})
    sent = 0
    for m in Membership.objects.filter(workspace=workspace).select_related("user"):
        user = m.user
        if user.pk in done or not role_has_perm(m.role, "metrics.view"):
            continue
        want = preferences(workspace, user)["weekly_digest"]
        if not (want["email"] or want["in_app"]):
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            ctx = {"workspace": workspace, "user": user, "week": week, "week_end": week_end,
                   "sections": digest_sections(workspace, user, kpis, engines), "url": url}
            subject = _("[MOS · %(ws)s] Your week: %(start)s – %(end)s") % {
                "ws": workspace.name, "start": week.isoformat(), "end": week_end.isoformat()}
            body = render_to_string("engines/email/weekly_digest.txt", ctx)
        try:
            with transaction.atomic():
                DigestSent.objects.create(workspace=workspace, user=user, week=week)
                if want["in_app"]:
                    Notification.objects.create(
                        workspace=workspace, user=user, kind="weekly_digest",
                        title=subject[:200], body=body, url=url[len(settings.SITE_URL.rstrip(
                            '/')):], dedupe_key=f"digest:{week.isoformat()}")
                if want["email"] and user.email:
                    send_mail(subject, body, None, [user.email])
        except IntegrityError:  # sent meanwhile by another delivery
            continue
        except Exception:  # noqa: BLE001 — the mail server refused: try again next beat
            logger.exception("weekly digest to user %s failed", user.pk)
            continue
        sent += 1
    return sent
