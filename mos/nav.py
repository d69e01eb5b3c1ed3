"""The workspace navigation, in sections of (url name, label, permission, icon). Apps add their
pages here; an entry whose route does not exist (yet) or whose permission the role lacks is not
shown, and neither is a section left empty."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# Sections, in the order a marketing team works: today's work, the customers, the growth loop,
# plans and reviews, the data behind the numbers, the workspace. A section whose entries the
# role cannot see is not shown.
NAV_SECTIONS = [
    ("", [
        ("workspace_home", _("Dashboard"), "metrics.view", "◧"),
        ("my_day", _("My day"), "leads.view_assigned", "☀"),
        ("my_leads", _("My leads"), "leads.view_assigned", "☎"),
    ]),
    (_("Customers"), [
        ("contacts", _("Contacts"), "crm.view", "☰"),
        ("accounts", _("Accounts"), "crm.view", "▦"),
        ("segments", _("Segments"), "crm.view", "◔"),
        ("personas", _("Personas"), "crm.view", "☺"),
        ("lifecycle", _("Lifecycle stages"), "crm.view", "⇢"),
        ("scoring", _("Lead scoring"), "crm.view", "★"),
        ("duplicates", _("Duplicates"), "crm.edit", "⧉"),
        ("service_home", _("Customer service"), "service.view", "☏"),
    ]),
    (_("Growth"), [
        ("engines", _("Growth engines"), "metrics.view", "⚙"),
        ("kpis", _("KPIs & targets"), "metrics.view", "◎"),
        ("insights", _("Insights"), "experiments.view", "✎"),
        ("experiments", _("Experiments"), "experiments.view", "⚗"),
        ("learnings", _("Learnings"), "experiments.view", "✦"),
        ("flows", _("Automation"), "automation.view", "↻"),
    ]),
    (_("Plan and review"), [
        ("planning", _("Planning"), "planning.view", "◫"),
        ("content_calendar", _("Content calendar"), "content.view", "▦"),
        ("campaign_plans", _("Campaign plans"), "content.view", "⚑"),
        ("weekly_review", _("Weekly review"), "reports.view", "▶"),
        ("reports", _("Monthly reports"), "reports.view", "▤"),
    ]),
    (_("Data"), [
        ("channels", _("Channels"), "crm.view", "⇄"),
        ("campaigns", _("Campaigns"), "crm.view", "✺"),
        ("imports", _("Imports"), "crm.import", "⇪"),
        ("data_quality", _("Data quality"), "crm.view", "✓"),
        ("models", _("Models"), "metrics.view", "∿"),
        ("privacy", _("Data & privacy"), "crm.view", "⚖"),
    ]),
    (_("Workspace"), [
        ("workspace_settings", _("Settings"), "workspace.settings", "⚙"),
        ("members", _("Members"), "members.manage", "♟"),
        ("api_keys", _("API keys"), "apikeys.manage", "⚿"),
        ("audit_log", _("Audit log"), "audit.view", "☷"),
    ]),
]
# the flat list: (url name, label, permission, icon)
NAV = [entry for _section, entries in NAV_SECTIONS for entry in entries]


def nav_for(request) -> list[dict]:
    actor = getattr(request, "actor", None)
    ws = getattr(request, "workspace", None)
    if actor is None or ws is None:
        return []
    items = []
    for section, entries in NAV_SECTIONS:
        heading = section  # shown above the section's first visible entry
        for name, label, perm, icon in entries:
            if not actor.can(perm):
                continue
            try:
                url = reverse(name, kwargs={"slug": ws.slug})
            except NoReverseMatch:
                continue
            items.append({"url": url, "label": label, "icon": icon, "active": False,
                          "name": name, "section": heading})
            heading = ""
    # the active entry is the longest URL that prefixes the path (settings/ vs settings/members/)
    matches = [i for i in items if request.path == i["url"] or (
        i["name"] != "workspace_home" and request.path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items
