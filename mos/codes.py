"""Public ids: every object in a URL or the API is named by its UUID `code`."""

from __future__ import annotations

import uuid

from django.http import Http404


def as_code(value) -> uuid.UUID | None:
    """The UUID in `value`, or None for anything that is not one (never raises)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def code_or_404(value) -> uuid.UUID:
    """The UUID in `value`; a malformed code is simply not found (404)."""
    code = as_code(value)
    if code is None:
        raise Http404
    return code
