"""Activity pages: log on a contact or an account, tick a task off, and a rep's My day."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mos.forms import add_service_errors
from mos.tenancy import workspace_view

from .. import selectors as crm_selectors
from ..forms import COMMON_REASONS, LeadFeedbackForm
from . import selectors, services
from .forms import ActivityForm


def _back(request, fallback: str):
    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(fallback)


def _log(request, *, contact=None, account=None, fallback: str):
    form = ActivityForm(request.POST, workspace=request.workspace)
    if form.is_valid():
        try:
            services.activity_create(actor=request.actor, contact=contact, account=account,
                                     **form.service_fields())
        except ValidationError as e:
            add_service_errors(form, e)
    if form.is_valid() and not form.errors:
        messages.success(request, _("Activity logged."))
    else:
        messages.error(request, _("Not logged: %(errors)s") % {"errors": "; ".join(
            str(m) for errs in form.errors.values() for m in errs)})
    return _back(request, fallback)


@workspace_view("activities.log")
@require_POST
def contact_activity_log(request, contact_code):
    """Log a note, call, e-mail or meeting, or add a task, on a contact (a rep: their own)."""
    contact = crm_selectors.get_contact(request.workspace, contact_code)
    if not services.may_work_on(request.actor, contact):
        raise Http404  # a rep cannot tell another rep's lead from a missing one
    return _log(request, contact=contact,
                fallback=_contact_url(request, contact))


def _contact_url(request, contact) -> str:
    from django.urls import reverse

    name = "contact_detail" if request.actor.can("crm.view") else "my_day"
    kwargs = {"slug": request.workspace.slug}
    if name == "contact_detail":
        kwargs["contact_code"] = contact.code
    return reverse(name, kwargs=kwargs)


@workspace_view("crm.edit")
@require_POST
def account_activity_log(request, account_code):
    from django.urls import reverse

    account = crm_selectors.get_account(request.workspace, account_code)
    return _log(request, account=account, fallback=reverse(
        "account_detail", kwargs={"slug": request.workspace.slug,
                                  "account_code": account.code}))


@workspace_view("activities.log")
@require_POST
def activity_done(request, activity_code):
    """Tick a task off (done=1) or reopen it (done=0)."""
    from django.urls import reverse

    act = selectors.get_activity(request.actor, activity_code)
    try:
        services.activity_set_done(actor=request.actor, activity=act,
                                   done=request.POST.get("done", "1") != "0")
    except (ValidationError, PermissionDenied) as e:
        messages.error(request, " ".join(getattr(e, "messages", [str(e)])))
    else:
        messages.success(request, _("Task done.") if act.done_at else _("Task reopened."))
    return _back(request, reverse("my_day", kwargs={"slug": request.workspace.slug}))


@workspace_view("leads.view_assigned")
def my_day(request):
    """A rep's day on one phone screen: overdue, today's and upcoming tasks, leads waiting for
    feedback, and a quick log of a call or note on each."""
    ws = request.workspace
    day = selectors.my_day(ws, request.user)
    return render(request, "crm/my_day.html", {
        **day, "form": ActivityForm(workspace=ws), "stage_names": crm_selectors.stage_names(ws),
        "feedback_form": LeadFeedbackForm(), "reasons": COMMON_REASONS})
