"""Per-contact predictions (engines.models.ContactPrediction) as crm shows them, through the
hooks of crm.extensions (registered in EnginesConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import ContactPrediction


def _get(contact):
    """The contact's prediction: read with the contact when the queryset selected it
    (with_prediction), else one query."""
    try:
        p = contact.prediction
    except ContactPrediction.DoesNotExist:
        return None
    return p if p.workspace_id == contact.workspace_id else None


def with_prediction(qs):
    """Contacts with their prediction in the same query (a reverse one-to-one join)."""
    return qs.select_related("prediction")


PREDICTION_RANGES = {
    "p_alive": _("P(alive)"),
    "expected_purchases_12m": _("Expected purchases (12 months)"),
    "predicted_clv": _("Predicted CLV"),
}


def range_filter(field: str):
    """A segment rule on one prediction field: {"lt": 0.3} → prediction.<field> < 0.3 (a
    contact without a prediction matches no range)."""
    def apply(qs, ops: dict):
        return qs.filter(**{f"prediction__{field}__{op}": v for op, v in ops.items()})
    return apply


def profile_context(contact) -> dict:
    return {"prediction": _get(contact)}


def contact_prediction(contact) -> dict | None:
    """The contacts API's `prediction`: P(alive), expected purchases and CLV (12 months)."""
    p = _get(contact)
    if p is None:
        return None
    return {"p_alive": p.p_alive, "expected_purchases_12m": p.expected_purchases_12m,
            "predicted_clv": p.predicted_clv, "computed_at": p.computed_at}
