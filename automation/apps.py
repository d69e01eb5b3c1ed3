from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "automation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from crm import extensions

        from .merge import move_automation_rows

        extensions.register_merge_mover(move_automation_rows)
