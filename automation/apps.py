from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "automation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from crm import extensions

        from . import services

        extensions.register_erasure_hook(services.contact_erased)
        extensions.register_retention_hook(services.apply_retention)
