"""Helpers of the CRM pages."""

from __future__ import annotations


def is_htmx(request) -> bool:
    """An htmx swap request (not a boosted link, not a history restore after Back: those
    need the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request
