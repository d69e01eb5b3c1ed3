"""Per-contact predictions (engines.models.ContactPrediction) as crm shows them, through the
hooks of crm.extensions (registered in EnginesConfig.ready)."""

from __future__ import annotations

from .models import ContactPrediction


def _get(contact):
    return ContactPrediction.objects.filter(workspace_id=contact.workspace_id,
                                            contact=contact).first()


def profile_context(contact) -> dict:
    return {"prediction": _get(contact)}


def contact_prediction(contact) -> dict | None:
    """The contacts API's `prediction`: P(alive), expected purchases and CLV (12 months)."""
    p = _get(contact)
    if p is None:
        return None
    return {"p_alive": p.p_alive, "expected_purchases_12m": p.expected_purchases_12m,
            "predicted_clv": p.predicted_clv, "computed_at": p.computed_at}
