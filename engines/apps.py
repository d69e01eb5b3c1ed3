from django.apps import AppConfig


class EnginesConfig(AppConfig):
    name = "engines"

    def ready(self):
        # Declarations only (no pandas): fills the metric registry, then hands the keys to mos.
        from mos import metric_keys

        from .metrics import catalogue  # noqa: F401
        from .metrics.registry import ATTRIBUTION_MODELS, REGISTRY

        metric_keys.provide(attribution_models=ATTRIBUTION_MODELS, metrics=REGISTRY)

        from crm import extensions

        from .predictions import (
            PREDICTION_RANGES,
            contact_prediction,
            profile_context,
            range_filter,
            with_prediction,
        )

        extensions.register_profile_panel("engines/partials/contact_prediction.html",
                                          profile_context)
        extensions.register_contact_field("prediction", contact_prediction)
        extensions.register_contact_queryset(with_prediction)
        for name, label in PREDICTION_RANGES.items():
            extensions.register_segment_range_filter(name, label, range_filter(name))

        from . import alerts

        alerts.register()

        from django.db.models.signals import post_delete

        from mos.models import Workspace

        post_delete.connect(_forget_change_log, sender=Workspace,
                            dispatch_uid="engines_forget_change_log")


def _forget_change_log(sender, instance, **kwargs):
    """A deleted workspace's change-log rows go with it (engines.metrics.changes)."""
    from .metrics import changes

    changes.forget_workspace(instance.pk)
