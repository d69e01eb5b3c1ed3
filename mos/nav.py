"""The workspace navigation: (url name, label, permission, icon). Apps add their pages here;
an entry whose route does not exist (yet) or whose permission the role lacks is not shown."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

NAV = [
    ("workspace_home", _("Dashboard"), "metrics.view", "◧"),
    ("contacts", _("Contacts"), "crm.view", "☰"),
    ("my_day", _("My day"), "leads.view_assigned", "☀"),
    ("my_leads", _("My leads"), "leads.view_assigned", "☎"),
    ("accounts", _("Accounts"), "crm.view", "▦"),
    ("segments", _("Segments"), "crm.view", "◔"),
    ("personas", _("Personas"), "crm.view", "☺"),
    ("lifecycle", _("Lifecycle stages"), "crm.view", "⇢"),
    ("scoring", _("Lead scoring"), "crm.view", "★"),
    ("duplicates", _("Duplicates"), "crm.edit", "⧉"),
    ("channels", _("Channels"), "crm.view", "⇄"),
    ("campaigns", _("Campaigns"), "crm.view", "✺"),
    ("imports", _("Imports"), "crm.import", "⇪"),
    ("data_quality", _("Data quality"), "crm.view", "✓"),
    ("kpis", _("KPIs & targets"), "metrics.view", "◎"),
    ("engines", _("Growth engines"), "metrics.view", "⚙"),
    ("insights", _("Insights"), "experiments.view", "✎"),
    ("experiments", _("Experiments"), "experiments.view", "⚗"),
    ("learnings", _("Learnings"), "experiments.view", "✦"),
    ("flows", _("Automation"), "automation.view", "↻"),
    ("reports", _("Monthly reports"), "reports.view", "▤"),
    ("weekly_review", _("Weekly review"), "reports.view", "▶"),
    ("planning", _("Planning"), "planning.view", "◫"),
    ("models", _("Models"), "metrics.view", "∿"),
    ("workspace_settings", _("Settings"), "workspace.settings", "⚙"),
    ("members", _("Members"), "members.manage", "♟"),
    ("api_keys", _("API keys"), "apikeys.manage", "⚿"),
    ("audit_log", _("Audit log"), "audit.view", "☷"),
]


def nav_for(request) -> list[dict]:
    actor = getattr(request, "actor", None)
    ws = getattr(request, "workspace", None)
    if actor is None or ws is None:
        return []
    items = []
    for name, label, perm, icon in NAV:
        if not actor.can(perm):
            continue
        try:
            url = reverse(name, kwargs={"slug": ws.slug})
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "icon": icon, "active": False,
                      "name": name})
    # the active entry is the longest URL that prefixes the path (settings/ vs settings/members/)
    matches = [i for i in items if request.path == i["url"] or (
        i["name"] != "workspace_home" and request.path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items
