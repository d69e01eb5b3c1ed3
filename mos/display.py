"""How numbers, money and times read on a page: the workspace being shown decides the
currency and the time zone (a user's own time zone, when they have set one, wins), and Arabic
pages isolate every number and Latin run so right-to-left text cannot reorder "-15.6 %".

`workspace_view` activates these for the request; template filters read them."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone
from django.utils.translation import get_language_bidi

from .periods import workspace_tz

_currency: ContextVar[str] = ContextVar("mos_currency", default="")

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate


def active_currency() -> str:
    """The ISO code of the money on the page being rendered ("" outside a workspace)."""
    return _currency.get()


@contextmanager
def workspace_display(workspace, user=None):
    """Money in the workspace's currency and times in its zone (or the user's) while a page of
    that workspace renders."""
    token = _currency.set(getattr(workspace, "currency", "") or "")
    zone = getattr(user, "timezone", "") or ""
    try:
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(zone) if zone else workspace_tz(workspace)
    except Exception:  # an unknown zone name (ZoneInfoNotFoundError, ValueError): the workspace's
        tz = workspace_tz(workspace)
    timezone.activate(tz)
    try:
        yield
    finally:
        timezone.deactivate()
        _currency.reset(token)


def isolate(text: str) -> str:
    """`text` wrapped in Unicode isolates on a right-to-left page (a number, a sign, a Latin
    name keep their own order inside Arabic); unchanged on a left-to-right page."""
    if not text or not get_language_bidi():
        return text
    return f"{FSI}{text}{PDI}"
