from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MosConfig(AppConfig):
    name = "mos"
    verbose_name = _("MOS")

    def ready(self):
        from . import checks, signals  # noqa: F401 — registers the receivers and checks
