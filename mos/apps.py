from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MosConfig(AppConfig):
    name = "mos"
    verbose_name = _("MOS")
