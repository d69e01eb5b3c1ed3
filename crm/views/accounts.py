"""Accounts: the B2B companies, each with its contacts and their buying roles, orders,
subscriptions, activities, stage mix and revenue."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from mos.tenancy import workspace_view

from .. import accounts as account_selectors
from .. import selectors
from ..activities.forms import ActivityForm
from ..activities.selectors import account_activities


@workspace_view("crm.view")
def accounts(request):
    ws = request.workspace
    q = (request.GET.get("q") or "")[:100]
    page = Paginator(account_selectors.account_list(ws, q=q), 50).get_page(
        request.GET.get("page"))
    return render(request, "crm/accounts.html", {"page": page, "q": q})


@workspace_view("crm.view")
def account_detail(request, account_code):
    ws = request.workspace
    account = selectors.get_account(ws, account_code)
    summary = account_selectors.account_summary(account)
    stage_names = selectors.stage_names(ws)
    total = len(summary["contacts"]) or 1
    mix = [{"key": k, "name": name, "n": summary["stage_mix"][k],
            "pct": 100 * summary["stage_mix"][k] / total}
           for k, name in stage_names.items() if summary["stage_mix"].get(k)]
    return render(request, "crm/account_detail.html", {
        "account": account, **summary, "mix": mix, "stage_names": stage_names,
        "activities": account_activities(account), "form": ActivityForm(workspace=ws)})
