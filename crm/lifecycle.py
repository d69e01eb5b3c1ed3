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
