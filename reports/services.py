"""Writes for reports: draft, inline edits (each recorded as a ReportEdit), decisions, publish
(freeze + notify), supersede. Keyword-only, one transaction each, validated before saving."""

from __future__ import annotations

import json
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit
from mos.models import Membership

from . import drafting, selectors
from .models import HIGHLIGHTS, MonthlyReport, ReportDecision, ReportEdit, ReportExperiment

EDITABLE_TEXT = ("summary", "wins", "problems")
DECISION_FIELDS = ("kind", "subject", "rationale", "owner", "due_date", "status",
                   "result_note", "engine")
TRACKING_FIELDS = ("status", "result_note")  # still editable once the report is published


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if hasattr(value, "email"):
        return value.name or value.email
    return str(value)


def _edit(report: MonthlyReport, actor: Actor, field: str, before, after):
    ReportEdit.objects.create(workspace=report.workspace, report=report, user=actor.user,
                              field=field, before=_as_text(before), after=_as_text(after))


def _require_draft(report: MonthlyReport):
    if report.is_frozen:
        raise ValidationError(_("This report is published and frozen: supersede it to change "
                                "it."), code="frozen")


def _backlog(workspace) -> list[dict]:
    return [selectors.experiment_dict(e) for e in selectors.ice_backlog(workspace)]


@transaction.atomic
def report_draft(*, workspace, month: date, actor: Actor, refresh: bool = False
                 ) -> MonthlyReport:
    """The month's draft, proposed from the data: wins/problems, Stop/Continue per channel,
    Start from the ICE backlog, last month's open decisions carried in, and the decisions
    recorded in the month's weekly reviews. An existing draft is returned as it is, or with
    `refresh` its proposals that no person has touched are proposed again. A month already
    published answers with an error (supersede it instead)."""
    month = month.replace(day=1)
    if month > selectors.last_closed_month():
        raise ValidationError({"month": _("A month can be reported once it has closed.")})
    draft = selectors.month_draft(workspace, month)
    if draft is None and MonthlyReport.objects.filter(workspace=workspace, month=month,
                                                      status="published").exists():
        raise ValidationError({"month": _("This month is published: supersede it to make a "
                                          "new version.")})
    if draft is not None and not refresh:
        return draft
    numbers = selectors.report_numbers(workspace, month)
    wins, problems = drafting.wins_and_problems(numbers)
    created = draft is None
    if created:
        draft = MonthlyReport(workspace=workspace, month=month, created_by=actor.user)
        draft.full_clean(exclude=["supersedes"])
        draft.save()
        audit(actor, "report.draft", draft)
    edited = set(draft.edits.values_list("field", flat=True))
    if not any(f.startswith("wins") for f in edited):
        draft.wins = wins
    if not any(f.startswith("problems") for f in edited):
        draft.problems = problems
    draft.updated_at = timezone.now()
    draft.save(update_fields=["wins", "problems", "updated_at"])
    # proposals nobody touched are proposed again from today's numbers
    draft.decisions.filter(proposed=True).delete()
    position = draft.decisions.count()
    backlog = _backlog(workspace)
    proposals = drafting.channel_decisions(numbers) + drafting.start_decisions(backlog)
    engines = {str(e.code): e.pk for e in selectors.engine_queryset(workspace)}
    rows = []
    kept = set(draft.decisions.values_list("kind", "subject"))  # touched by a person
    for p in proposals:
        if (p["kind"], p["subject"][:200]) in kept:
            continue
        rows.append(ReportDecision(workspace=workspace, report=draft, kind=p["kind"],
                                   subject=p["subject"][:200], source=p["source"],
                                   engine_id=engines.get(p.get("engine")), proposed=True,
                                   position=position))
        position += 1
    if created:
        prev = selectors.previous_report(draft)
        if prev is not None:  # last month's open decisions go on in this one
            for d in prev.decisions.filter(status=ReportDecision.Status.OPEN,
                                           carried_to__isnull=True):
                rows.append(ReportDecision(
                    workspace=workspace, report=draft, kind=d.kind, subject=d.subject,
                    rationale=d.rationale, owner_id=d.owner_id, due_date=d.due_date,
                    source=d.source, engine_id=d.engine_id, carried_from=d,
                    position=position))
                position += 1
        # decisions taken in the month's weekly reviews
        ReportDecision.objects.filter(workspace=workspace, report__isnull=True,
                                      created_at__date__gte=month).update(report=draft)
    ReportDecision.objects.bulk_create(rows)
    if not any(f.startswith("experiments") for f in edited):  # next month's three
        draft.experiment_links.all().delete()
        ReportExperiment.objects.bulk_create([
            ReportExperiment(report=draft, experiment_id=e["pk"], position=i)
            for i, e in enumerate(backlog[:HIGHLIGHTS])])
    return draft


@transaction.atomic
def report_update_text(*, report: MonthlyReport, actor: Actor, field: str, value: str,
                       index: int | None = None) -> MonthlyReport:
    """Save one inline edit: the summary, or win/problem number `index` (1-based)."""
    _require_draft(report)
    value = (value or "").strip()
    if field == "summary":
        before = report.summary
        report.summary = value
        report.full_clean(exclude=["supersedes", "wins", "problems", "snapshot"])
        name = "summary"
    elif field in ("wins", "problems"):
        if index is None or not 1 <= index <= HIGHLIGHTS:
            raise ValidationError({field: _("Choose one of the three.")})
        items = list(getattr(report, field))
        while len(items) < index:
            items.append({"text": "", "numbers": {}})
        if len(value) > 300:
            raise ValidationError({field: _("At most 300 characters.")})
        before = items[index - 1].get("text", "")
        items[index - 1] = {**items[index - 1], "text": value}
        setattr(report, field, items)
        name = f"{field}.{index}"
    else:
        raise ValidationError({"field": _("This part of the report cannot be edited.")})
    if before == value:
        return report
    report.updated_at = timezone.now()
    report.save(update_fields=[field, "updated_at"])
    _edit(report, actor, name, before, value)
    return report


def _owner_in_workspace(workspace, owner):
    if owner is not None and not Membership.objects.filter(workspace=workspace,
                                                           user=owner).exists():
        raise ValidationError({"owner": _("The owner must be a member of this workspace.")})


@transaction.atomic
def decision_create(*, actor: Actor, report: MonthlyReport | None = None, kind: str,
                    subject: str, rationale: str = "", owner=None, due_date=None,
                    engine=None, source: dict | None = None) -> ReportDecision:
    """A decision on a draft report, or (report None) one taken in a weekly review."""
    if report is not None:
        _require_draft(report)
    _owner_in_workspace(actor.workspace, owner)
    d = ReportDecision(workspace=actor.workspace, report=report, kind=kind, subject=subject,
                       rationale=rationale, owner=owner, due_date=due_date,
                       engine=engine, source=source or {}, created_by=actor.user,
                       position=report.decisions.count() if report else 0)
    d.full_clean(exclude=["report", "carried_from", "owner", "created_by"])
    d.save()
    if report is not None:
        _edit(report, actor, f"decision:{d.code}", "", str(d))
    audit(actor, "decision.create", d)
    return d


@transaction.atomic
def decision_update(*, actor: Actor, decision: ReportDecision, **fields) -> ReportDecision:
    """Change a decision. On a published report only its tracking (status, result) changes:
    that is the point of tracking it."""
    unknown = set(fields) - set(DECISION_FIELDS)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    report = decision.report
    if report is not None and report.is_frozen and set(fields) - set(TRACKING_FIELDS):
        raise ValidationError(_("This report is published: only a decision's status and result "
                                "can change."), code="frozen")
    if "owner" in fields:
        _owner_in_workspace(actor.workspace, fields["owner"])
    changed = {}
    for f, v in fields.items():
        before = getattr(decision, f)
        if before != v:
            changed[f] = (before, v)
            setattr(decision, f, v)
    if not changed:
        return decision
    decision.proposed = False
    decision.full_clean(exclude=["report", "carried_from", "owner", "created_by"])
    decision.save()
    if report is not None:
        for f, (a, b) in changed.items():
            _edit(report, actor, f"decision:{decision.code}.{f}", a, b)
    audit(actor, "decision.update", decision,
          changes={f: [_as_text(a), _as_text(b)] for f, (a, b) in changed.items()})
    return decision


@transaction.atomic
def decision_delete(*, actor: Actor, decision: ReportDecision) -> None:
    report = decision.report
    if report is not None:
        _require_draft(report)
        _edit(report, actor, f"decision:{decision.code}", str(decision), "")
    audit(actor, "decision.delete", decision)
    decision.delete()


@transaction.atomic
def report_publish(*, report: MonthlyReport, actor: Actor, notify: bool = True) -> MonthlyReport:
    """Freeze the draft: store everything it shows, retire the version it supersedes, and tell
    the members by e-mail once the transaction has committed."""
    given = report
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    _require_draft(report)
    report.full_clean(exclude=["supersedes"])
    content = selectors.report_content(report)
    previous = None
    old = MonthlyReport.objects.filter(workspace=report.workspace, month=report.month,
                                       status="published").exclude(pk=report.pk).first()
    if old is not None:
        previous = old.snapshot
        old.status = MonthlyReport.Status.SUPERSEDED
        old.save(update_fields=["status"])
    now = timezone.now()
    content["published_at"] = now.isoformat()
    content["published_by"] = _as_text(actor.user) if actor.user else str(actor)
    if previous is not None:
        content["changes"] = selectors.content_diff(previous, content)
        content["supersedes_version"] = old.version
    report.snapshot = json.loads(json.dumps(content, default=str))
    report.status = MonthlyReport.Status.PUBLISHED
    report.published_at = now
    report.published_by = actor.user
    report.save(update_fields=["snapshot", "status", "published_at", "published_by"])
    report.decisions.update(proposed=False)
    _edit(report, actor, "status", "draft", "published")
    audit(actor, "report.publish", report)
    if notify:
        transaction.on_commit(lambda: report_notify_members(report=report))
    given.__dict__.update({f: getattr(report, f) for f in (
        "snapshot", "status", "published_at", "published_by_id")})
    return report


@transaction.atomic
def report_supersede(*, report: MonthlyReport, actor: Actor) -> MonthlyReport:
    """Start a new version of a published report: a draft with its text and decisions, which
    replaces the published one when it is published (the difference is shown then)."""
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    if report.status != MonthlyReport.Status.PUBLISHED:
        raise ValidationError(_("Only the published version can be superseded."),
                              code="not_published")
    existing = selectors.month_draft(report.workspace, report.month)
    if existing is not None:
        return existing
    new = MonthlyReport.objects.create(
        workspace=report.workspace, month=report.month, version=report.version + 1,
        summary=report.summary, wins=report.wins, problems=report.problems,
        supersedes=report, created_by=actor.user)
    for d in report.decisions.all():  # the same decisions go on: their tracking moves along
        ReportDecision.objects.create(
            workspace=d.workspace, report=new, kind=d.kind, subject=d.subject,
            rationale=d.rationale, owner_id=d.owner_id, due_date=d.due_date, status=d.status,
            result_note=d.result_note, source=d.source, engine_id=d.engine_id,
            carried_from=d, position=d.position)
    ReportExperiment.objects.bulk_create([
        ReportExperiment(report=new, experiment_id=link.experiment_id, position=link.position)
        for link in report.experiment_links.all()])
    _edit(new, actor, "version", str(report.version), str(new.version))
    audit(actor, "report.supersede", new)
    return new


def report_notify_members(*, report: MonthlyReport) -> int:
    """E-mail every member who can read reports that the month's report is published, each in
    their own language. Returns the number of messages."""
    from mos.roles import role_has_perm

    members = Membership.objects.filter(workspace=report.workspace).select_related("user")
    url = reverse("report_detail", kwargs={"slug": report.workspace.slug,
                                           "month": report.slug})
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    messages = []
    for m in members:
        if not role_has_perm(m.role, "reports.view") or not m.user.email:
            continue
        with translation.override(m.user.language or settings.LANGUAGE_CODE):
            ctx = {"report": report, "workspace": report.workspace, "url": base + url,
                   "content": report.snapshot}
            subject = _("%(workspace)s: the %(month)s marketing report is published") % {
                "workspace": report.workspace.name, "month": report.slug}
            body = render_to_string("reports/email_published.txt", ctx)
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [m.user.email]))
    return send_mass_mail(messages, fail_silently=False) if messages else 0

