"""The workspace navigation: (url name, label, permission, icon). Apps add their pages here;
an entry whose route does not exist (yet) or whose permission the role lacks is not shown."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

NAV = [
    ("workspace_home", _("Dashboard"), "workspace.view", "◧"),
    ("contacts", _("Contacts"), "crm.view", "☰"),
    ("my_leads", _("My leads"), "leads.view_assigned", "☎"),
    ("segments", _("Segments"), "crm.view", "◔"),
    ("personas", _("Personas"), "crm.view", "☺"),
    ("imports", _("Imports"), "crm.import", "⇪"),
    ("kpis", _("KPIs & targets"), "metrics.view", "◎"),
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
        active = request.path == url if name == "workspace_home" else request.path.startswith(url)
        items.append({"url": url, "label": label, "icon": icon, "active": active,
                      "name": name})
    return items
