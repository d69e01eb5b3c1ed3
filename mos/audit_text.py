"""The audit log written for people: "Demo data loaded: 8 rows", not "demo.seed · count: 8"."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# action → what happened, in the team's words. Unknown actions fall back to VERBS below.
ACTION_TEXT = {
    "workspace.create": _("Workspace created"),
    "workspace.update": _("Workspace settings changed"),
    "member.invite": _("Invitation sent"),
    "member.join": _("Member joined"),
    "member.role": _("Member's role changed"),
    "member.remove": _("Member removed"),
    "apikey.create": _("API key created"),
    "apikey.revoke": _("API key revoked"),
    "demo.seed": _("Demo data loaded"),
    "channel.create": _("Channel created"),
    "channel.update": _("Channel changed"),
    "channel.archive": _("Channel archived"),
    "channel.restore": _("Channel restored"),
    "campaign.create": _("Campaign created"),
    "campaign.update": _("Campaign changed"),
    "campaign.archive": _("Campaign archived"),
    "campaign.restore": _("Campaign restored"),
    "contact.create": _("Contact created"),
    "contact.update": _("Contact changed"),
    "contact.delete": _("Contact deleted"),
    "contact.merge": _("Contacts merged"),
    "contact.stage_change": _("Lifecycle stage changed"),
    "consent.record": _("Consent recorded"),
    "lead_feedback.create": _("Lead feedback logged"),
    "import.create": _("File uploaded for import"),
    "import.confirm": _("Import confirmed"),
    "import.cancel": _("Import cancelled"),
    "import.retry": _("Import retried"),
    "kpi.create": _("KPI created"),
    "kpi.update": _("KPI changed"),
    "kpi.delete": _("KPI deleted"),
    "kpi.move": _("KPI moved in the list"),
    "metrics.recompute": _("Metrics recomputed"),
    "tracked_event.create": _("Event added to the tracking plan"),
    "tracked_event.update": _("Tracking-plan event changed"),
    "tracked_event.delete": _("Event removed from the tracking plan"),
    "experiment.create": _("Experiment created"),
    "experiment.status": _("Experiment status changed"),
    "experiment.decide": _("Experiment decided"),
    "report.draft": _("Monthly report drafted"),
    "report.publish": _("Monthly report published"),
    "report.supersede": _("Monthly report superseded"),
}

VERBS = {
    "create": _("created"), "update": _("changed"), "delete": _("deleted"),
    "archive": _("archived"), "restore": _("restored"), "merge": _("merged"),
}

# what a bulk write's object_type counts ("crm.demo.contacts" → contacts)
HIDDEN_CHANGE_KEYS = {"count", "seed", "end"}


def action_label(action: str) -> str:
    """The action in words: "Demo data loaded", "Contact created", else the action itself."""
    if action in ACTION_TEXT:
        return str(ACTION_TEXT[action])
    thing, _sep, verb = action.partition(".")
    if verb in VERBS:
        return f"{thing.replace('_', ' ').capitalize()} {VERBS[verb]}"
    return action.replace("_", " ").replace(".", ": ").capitalize()


def describe(entry) -> str:
    """One sentence for the entry: what happened, to what (and how many rows)."""
    text = action_label(entry.action)
    count = (entry.changes or {}).get("count") if isinstance(entry.changes, dict) else None
    if isinstance(count, int):
        what = entry.object_type.rpartition(".")[2].replace("_", " ")
        return str(_("%(action)s: %(n)s %(what)s")) % {"action": text, "n": f"{count:,}",
                                                       "what": what}
    if entry.object_repr:
        return f"{text}: {entry.object_repr}"
    return text


def change_lines(entry) -> list[dict]:
    """Field changes as {field, before, after} (after only, for a created row's values)."""
    lines = []
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    for field, value in changes.items():
        if field in HIDDEN_CHANGE_KEYS and isinstance(changes.get("count"), int):
            continue
        label = field.replace("_", " ")
        if isinstance(value, list) and len(value) == 2:
            lines.append({"field": label, "before": _show(value[0]), "after": _show(value[1])})
        elif value not in (None, "", [], {}):  # a new row's values: only those it has
            lines.append({"field": label, "before": None, "after": _show(value)})
    return lines


def _show(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
