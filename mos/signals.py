"""Model signals that keep caches honest whatever path wrote the row (the admin included)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ApiKey


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
def api_key_changed(sender, instance: ApiKey, **kwargs):
    """A key saved (revoked, rescoped) or deleted anywhere stops being served from the cache
    at once: drop it now and again after commit (a request may re-cache the old row)."""
    from .services import api_key_forget

    api_key_forget(instance)
    transaction.on_commit(lambda: api_key_forget(instance))
