"""Plumbing shared by every app's services."""

from __future__ import annotations


def reject_unknown(fields: dict, allowed: list[str], what: str) -> None:
    """A programming error, not bad input: a service was called with a field it does not own."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValueError(f"not {what} fields: {', '.join(unknown)}")
