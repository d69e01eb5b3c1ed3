"""Audit helpers: every service write records who did what to which object."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from .actors import Actor
from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(getattr(value, "code", value.pk))
    if isinstance(value, (Decimal,)):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The current values of `fields` on `obj`, JSON-ready (for before/after diffs)."""
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def audit(actor: Actor, action: str, obj: models.Model | None = None, *,
          changes: dict | None = None, object_type: str = "", object_repr: str = "") -> AuditEntry:
    """Record one audit entry in the actor's workspace."""
    return AuditEntry.objects.create(
        workspace=actor.workspace,
        actor=actor.user,
        api_key=actor.api_key,
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_code=str(getattr(obj, "code", getattr(obj, "pk", "")) or "") if obj else "",
        object_repr=(object_repr or str(obj))[:200] if obj is not None else object_repr[:200],
        changes=_jsonable(changes or {}),
    )


def audit_many(actor: Actor, action: str, object_type: str, count: int, **extra) -> AuditEntry:
    """One audit entry for a bulk write (rows are not audited one by one)."""
    return audit(actor, action, None, object_type=object_type,
                 object_repr=f"{count} rows", changes={"count": count, **extra})
