"""Content calendar (month and week grids, a list on phones), its items, the iCal feed and
its secret; campaign plans with their report and after-action review."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors, save_through_service
from mos.periods import add_months, period_start, workspace_today
from mos.tenancy import workspace_view

from crm.models import Channel
from . import ical, results, selectors, services
from .forms import CampaignPlanForm, ContentItemForm, ReviewForm
from .models import CalendarFeed, ContentItem


def _parse_day(value: str, today: date) -> date:
    try:
        return date.fromisoformat(value) if value else today
    except ValueError:
        return today


def _parse_month(value: str, today: date) -> date:
    try:
        y, m = value.split("-")
        return date(int(y), int(m), 1)
    except (ValueError, AttributeError):
        return today.replace(day=1)


@workspace_view("content.view")
def content_calendar(request):
    """The month grid (default) or a week (?view=week&day=YYYY-MM-DD); filters by channel,
    status, owner and campaign. On a phone the grid reads as a list of days with items."""
    ws = request.workspace
    today = workspace_today(ws)
    view = "week" if request.GET.get("view") == "week" else "month"
    filters = {k: request.GET.get(k, "") for k in selectors.FILTERS}
    ctx = {"view": view, "filters": filters, "today": today,
           "statuses": ContentItem.Status.choices,
           "channels": Channel.objects.filter(workspace=ws, archived_at__isnull=True)
           .order_by("name"),
           "filter_query": "&".join(f"{k}={v}" for k, v in filters.items() if v)}
    if view == "week":
        monday = period_start("week", _parse_day(request.GET.get("day", ""), today))
        items = selectors.content_items(ws, start=monday, end=monday + timedelta(days=6),
                                        filters=filters)
        ctx.update({"days": selectors.week_days(monday, items), "start": monday,
                    "end": monday + timedelta(days=6),
                    "prev": monday - timedelta(days=7), "next": monday + timedelta(days=7)})
    else:
        first = _parse_month(request.GET.get("month", ""), today)
        last = add_months(first, 1) - timedelta(days=1)
        weeks = selectors.month_grid(first.year, first.month, [])
        items = selectors.content_items(ws, start=weeks[0][0]["day"], end=weeks[-1][-1]["day"],
                                        filters=filters)
        weeks = selectors.month_grid(first.year, first.month, items)
        ctx.update({"weeks": weeks, "start": first, "end": last,
                    "prev": add_months(first, -1), "next": add_months(first, 1),
                    "days": [d for w in weeks for d in w if d["in_month"]]})
    ctx["n_items"] = sum(len(d["items"]) for d in ctx["days"])
    return render(request, "planning/content/calendar.html", ctx)


def _item_form_view(request, item=None):
    ws = request.workspace
    initial = {}
    if item is None and request.method == "GET":
        initial["publish_on"] = _parse_day(request.GET.get("day", ""), workspace_today(ws))
    form = ContentItemForm(request.POST or None, instance=item, workspace=ws, initial=initial)
    saved = save_through_service(
        request, form, item, create=services.content_item_create,
        update=lambda i, **kw: services.content_item_update(item=i, **kw),
        created=_("Content item added to the calendar."), saved=_("Content item saved."))
    if saved:
        return redirect("content_item", slug=ws.slug, item_code=saved.code)
    return render(request, "planning/content/item_form.html", {"form": form, "item": item})


@workspace_view("content.edit")
def content_item_create(request):
    return _item_form_view(request)


@workspace_view("content.edit")
def content_item_edit(request, item_code):
    return _item_form_view(request, selectors.get_item(request.workspace, item_code))


@workspace_view("content.view")
def content_item(request, item_code):
    item = selectors.get_item(request.workspace, item_code)
    res = None
    if item.campaign_id:
        res = results.campaign_results(request.workspace, [item.campaign_id])[item.campaign_id]
    return render(request, "planning/content/item.html", {"item": item, "results": res})


@workspace_view("content.edit")
@require_POST
def content_item_delete(request, item_code):
    item = selectors.get_item(request.workspace, item_code)
    services.content_item_delete(actor=request.actor, item=item)
    messages.success(request, _("Content item deleted."))
    return redirect("content_calendar", slug=request.workspace.slug)


@workspace_view("workspace.settings")
def content_feed(request):
    """The secret iCal address of the calendar, and regenerating it (admins)."""
    if request.method == "POST":
        services.calendar_feed_regenerate(actor=request.actor)
        messages.success(request, _("A new feed address is made; the old one no longer works."))
        return redirect("content_feed", slug=request.workspace.slug)
    feed = services.calendar_feed(request.workspace)
    url = request.build_absolute_uri(reverse("content_ical", args=[feed.token]))
    return render(request, "planning/content/feed.html", {"feed_url": url, "feed": feed})


def content_ical(request, token):
    """The workspace's calendar for calendar apps: the secret in the URL is the credential."""
    if request.method not in ("GET", "HEAD"):
        raise Http404
    feed = get_object_or_404(CalendarFeed.objects.select_related("workspace"), token=token)
    ws = feed.workspace
    today = workspace_today(ws)
    items = selectors.content_items(ws, start=add_months(today.replace(day=1), -3),
                                    end=add_months(today.replace(day=1), 13))
    text = ical.calendar_text(
        ws, items, host=request.get_host().split(":")[0] or "mos",
        item_url=lambda it: request.build_absolute_uri(
            reverse("content_item", kwargs={"slug": ws.slug, "item_code": it.code})))
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="content-calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- campaign plans --------------------------------------------------------------------------

@workspace_view("content.view")
def campaign_plans(request):
    ws = request.workspace
    plans = list(selectors.campaign_plans(ws))
    res = results.campaign_results(ws, [p.campaign_id for p in plans])
    rows = [{"plan": p, "r": res[p.campaign_id]} for p in plans]
    from crm.models import Campaign

    unplanned = Campaign.objects.filter(workspace=ws, plan__isnull=True).exists()
    return render(request, "planning/content/plans.html", {"rows": rows,
                                                             "unplanned": unplanned})


def _plan_form_view(request, plan=None):
    ws = request.workspace
    initial = {}
    if plan is None and request.GET.get("campaign"):
        from crm.models import Campaign
        from mos.codes import as_code

        code = as_code(request.GET["campaign"])
        initial["campaign"] = Campaign.objects.filter(workspace=ws, code=code).first() \
            if code else None
    form = CampaignPlanForm(request.POST or None, instance=plan, workspace=ws, initial=initial)
    saved = save_through_service(
        request, form, plan, create=services.campaign_plan_create,
        update=lambda p, **kw: services.campaign_plan_update(plan=p, **kw),
        created=_("Campaign plan created."), saved=_("Campaign plan saved."))
    if saved:
        return redirect("campaign_plan", slug=ws.slug, campaign_plan_code=saved.code)
    return render(request, "planning/content/plan_form.html", {"form": form, "plan": plan})


@workspace_view("content.edit")
def campaign_plan_create(request):
    return _plan_form_view(request)


@workspace_view("content.edit")
def campaign_plan_edit(request, campaign_plan_code):
    return _plan_form_view(request, selectors.get_plan(request.workspace, campaign_plan_code))


@workspace_view("content.view", write_perm="content.edit")
def campaign_plan(request, campaign_plan_code):
    """The plan, its report after the fact and the after-action review (POST saves it)."""
    ws = request.workspace
    plan = selectors.get_plan(ws, campaign_plan_code)
    form = ReviewForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plan.refresh_from_db()
            services.campaign_plan_update(actor=request.actor, plan=plan, **form.values())
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("After-action review saved."))
            return redirect("campaign_plan", slug=ws.slug, campaign_plan_code=plan.code)
    items = selectors.content_items(ws, filters={"campaign": str(plan.campaign.code)})
    return render(request, "planning/content/plan.html", {
        "plan": plan, "campaign": plan.campaign, "report": results.plan_report(plan),
        "review_form": form, "items": items})
