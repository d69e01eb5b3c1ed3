"""The default lifecycle stages of a workspace: English names and the unified lead definition.
Pure (nothing is read or written here): selectors show them, services store them."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from .models import LifecycleStage, Stage


def default_definitions() -> dict[str, str]:
    return {
        Stage.LEAD: _("Gave us a way to reach them (e-mail or phone) through a form, a "
                      "download, an event or a trial, and fits our market."),
        Stage.MQL: _("A lead who fits a persona and showed buying intent: visited pricing, "
                     "asked for a demo or reached the engagement threshold marketing and "
                     "sales agreed on."),
        Stage.SQL: _("An MQL sales has contacted and accepted: a real need, budget and a "
                     "decision maker are confirmed, and a next step is booked."),
    }


def default_stages(workspace, stages) -> list[LifecycleStage]:
    """Unsaved LifecycleStage rows for these stages, as a new workspace has them."""
    with translation.override("en"):
        definitions = default_definitions()
        return [LifecycleStage(workspace=workspace, key=s.value, name=str(s.label),
                               definition=str(definitions.get(s, "")),
                               position=list(Stage).index(s))
                for s in stages]


# Lifecycle labels other systems export → MOS stages. HubSpot's default lifecycle stages (labels
# and internal values), Salesforce lead statuses, and MOS's own labels and keys.
_STAGE_LABELS = {
    "subscriber": Stage.SUBSCRIBER,
    "lead": Stage.LEAD, "new": Stage.LEAD, "open - not contacted": Stage.LEAD,
    "open": Stage.LEAD, "working - contacted": Stage.LEAD, "working": Stage.LEAD,
    "contacted": Stage.LEAD, "nurturing": Stage.LEAD, "attempted to contact": Stage.LEAD,
    "marketing qualified lead": Stage.MQL, "marketingqualifiedlead": Stage.MQL,
    "marketing-qualified lead": Stage.MQL, "marketing-qualified lead (mql)": Stage.MQL,
    "mql": Stage.MQL,
    "sales qualified lead": Stage.SQL, "salesqualifiedlead": Stage.SQL,
    "sales-qualified lead": Stage.SQL, "sales-qualified lead (sql)": Stage.SQL,
    "sql": Stage.SQL, "qualified": Stage.SQL,
    "opportunity": Stage.OPPORTUNITY, "closed - converted": Stage.OPPORTUNITY,
    "converted": Stage.OPPORTUNITY, "in progress": Stage.OPPORTUNITY,
    "customer": Stage.CUSTOMER,
    "evangelist": Stage.ADVOCATE, "advocate": Stage.ADVOCATE,
    "churned": Stage.CHURNED, "former customer": Stage.CHURNED,
    "other": Stage.OTHER, "closed - not converted": Stage.OTHER, "unqualified": Stage.OTHER,
    "bad timing": Stage.OTHER, "disqualified": Stage.OTHER,
}


def stage_from_label(text: str) -> str:
    """A MOS stage key for a lifecycle label as HubSpot, Salesforce or MOS write it ("Marketing
    Qualified Lead" → "mql", "Evangelist" → "advocate", "Closed - Converted" →
    "opportunity"); otherwise the text as a key ("Lead" → "lead"), which the bulk function
    checks and refuses with the list of stages when unknown."""
    import re

    s = re.sub(r"\s+", " ", (text or "").strip().lower())
    if s in _STAGE_LABELS:
        return _STAGE_LABELS[s].value
    for stage in Stage:  # MOS's labels in the active language (Arabic files)
        if s == str(stage.label).lower():
            return stage.value
    return re.sub(r"[\s-]+", "_", s)
