"""Roles and the one permission table that decides every action, for pages and the API alike."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    GROWTH_LEAD = "growth_lead", _("Growth lead")
    MARKETER = "marketer", _("Marketer")
    ANALYST = "analyst", _("Analyst")
    SALES_REP = "sales_rep", _("Sales rep")
    VIEWER = "viewer", _("Viewer")


A, G, M, N, S, V = (Role.ADMIN, Role.GROWTH_LEAD, Role.MARKETER, Role.ANALYST,
                    Role.SALES_REP, Role.VIEWER)
EVERYONE = frozenset(Role)

# permission → roles that hold it. DESIGN §3: admin (settings, members, keys), growth lead
# (everything but settings), marketer (engines, experiments, CRM, report drafts), analyst (read
# all, metrics config, experiments' analysis), sales rep (their leads: read, feedback), viewer.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "workspace.view": EVERYONE,
    "workspace.settings": frozenset({A}),
    "members.manage": frozenset({A}),
    "apikeys.manage": frozenset({A}),
    "audit.view": frozenset({A}),
    # CRM
    "crm.view": frozenset({A, G, M, N, V}),
    "crm.edit": frozenset({A, G, M}),
    "crm.import": frozenset({A, G, M}),
    # the lifecycle stages' names and definitions (the unified lead / MQL / SQL definitions):
    # they define the funnel metrics, so those who configure metrics write them — page and API
    "lifecycle.define": frozenset({A, G, N}),
    "leads.view_assigned": frozenset({A, G, M, S}),
    "leads.feedback": frozenset({A, G, S}),
    # activities (notes, calls, tasks…): everyone reads what they may see (a rep: the
    # activities of their own leads); those who work leads log them (a rep: on their own)
    "activities.view": EVERYONE,
    "activities.log": frozenset({A, G, M, S}),
    # the lead-scoring rules and thresholds (they decide MQL / SQL proposals)
    "scoring.configure": frozenset({A, G}),
    # metrics, KPIs, dashboards
    "metrics.view": frozenset({A, G, M, N, V}),
    "metrics.configure": frozenset({A, G, N}),
    "metrics.recompute": frozenset({A, G, N}),
    # engines and experiments
    "engines.edit": frozenset({A, G, M}),
    "experiments.view": frozenset({A, G, M, N, V}),
    "experiments.edit": frozenset({A, G, M, N}),
    "experiments.run": frozenset({A, G, M}),  # plan, launch, stop
    "experiments.decide": frozenset({A, G, N}),  # record win / loss / inconclusive
    "experiments.override": frozenset({A}),  # call a result early, with a written reason
    # lifecycle automation: marketers build flows; switching one on (it writes to customers)
    # is for those who may also launch experiments
    "automation.view": frozenset({A, G, M, N, V}),
    "automation.edit": frozenset({A, G, M}),
    "automation.activate": frozenset({A, G}),
    # reports
    "reports.view": frozenset({A, G, M, N, V}),
    "reports.draft": frozenset({A, G, M}),
    "reports.publish": frozenset({A, G}),
    "reports.supersede": frozenset({A, G}),
    # planning: marketers write plans, bets, checklists; the growth lead publishes a plan
    # version, scores the bets and accepts the budget split
    "planning.view": frozenset({A, G, M, N, V}),
    "planning.edit": frozenset({A, G, M}),
    "planning.decide": frozenset({A, G}),
}

# An API key is an integration, not a person: its scope maps onto a role's permissions.
# read: what a viewer may read; write: what a growth lead may do (never settings/members/keys).
SCOPE_ROLES = {"read": Role.VIEWER, "write": Role.GROWTH_LEAD}
SAFE_ONLY_SCOPES = {"read"}


def role_has_perm(role: str, perm: str) -> bool:
    """True if `role` holds `perm`; an unknown permission is a programming error."""
    try:
        return role in PERMISSIONS[perm]
    except KeyError:
        raise KeyError(f"unknown permission {perm!r}: add it to mos.roles.PERMISSIONS") from None
