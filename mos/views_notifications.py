"""The notifications pages (issue 15): the list with mark-read, the bell's unread badge (htmx
loads it after the page, so no page pays a query for it) and each member's choices."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import notifications as notes
from .models import NotificationKind
from django.core.paginator import Paginator
from .tenancy import workspace_view


@workspace_view()
def notification_list(request):
    ws, user = request.workspace, request.user
    page = Paginator(notes.notification_list(ws, user), 50).get_page(request.GET.get("page"))
    return render(request, "mos/notifications.html", {
        "page": page, "unread": notes.unread_count(ws, user)})


@workspace_view()
def notification_badge(request):
    """The bell's count (an htmx partial)."""
    n = notes.unread_count(request.workspace, request.user)
    return render(request, "mos/partials/notification_badge.html", {"unread": n})


@workspace_view()
@require_POST
def notification_read(request):
    """Mark one notification read (`id`) or all of them; then follow its link if asked."""
    ws, user = request.workspace, request.user
    from .codes import as_code

    code = as_code(request.POST.get("code", ""))
    ids = [code] if code else None
    notes.mark_read(workspace=ws, user=user, codes=ids)
    nxt = request.POST.get("next", "")
    if ids and nxt.startswith(f"/w/{ws.slug}/") and "//" not in nxt:
        return redirect(nxt)
    return redirect("notifications", slug=ws.slug)


@workspace_view()
def notification_settings(request):
    """What the member gets, per kind: in the app, by e-mail."""
    ws, user = request.workspace, request.user
    if request.method == "POST":
        notes.preferences_update(workspace=ws, user=user, prefs={
            k: {"in_app": request.POST.get(f"{k}-in_app") == "1",
                "email": request.POST.get(f"{k}-email") == "1"}
            for k in NotificationKind.values})
        messages.success(request, _("Your notification choices are saved."))
        return redirect("notification_settings", slug=ws.slug)
    prefs = notes.preferences(ws, user)
    return render(request, "mos/notification_settings.html", {
        "rows": [{"kind": k, "label": label, **prefs[k]}
                 for k, label in NotificationKind.choices]})
