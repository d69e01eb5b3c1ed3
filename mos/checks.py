"""System checks for a production start (DEBUG off)."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register(deploy=False)
def email_backend_configured(app_configs, **kwargs):
    """With DEBUG off, invitation and password-reset links must reach people, not the log."""
    if settings.DEBUG or getattr(settings, "EMAIL_BACKEND_CONFIGURED", True):
        return []
    return [Error(
        "No e-mail backend is configured and DEBUG is off: invitation and password-reset "
        "links would only be printed to the console log.",
        hint="Set EMAIL_BACKEND (e.g. django.core.mail.backends.smtp.EmailBackend with "
             "EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD), or set it to "
             "django.core.mail.backends.console.EmailBackend to accept console mail knowingly.",
        id="mos.E001")]


@register(deploy=False)
def site_url_is_https(app_configs, **kwargs):
    """Links in e-mails are built from SITE_URL: it must be the public https address."""
    if settings.DEBUG or not getattr(settings, "SECURE_HTTPS", False):
        return []
    if not settings.SITE_URL.startswith("https://"):
        return [Warning("SITE_URL is not an https address; links in invitation and reset "
                        "e-mails are built from it.", hint="Set SITE_URL=https://your.host",
                        id="mos.W001")]
    return []
