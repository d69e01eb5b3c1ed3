"""Plumbing shared by every app's services."""

from __future__ import annotations


def reject_unknown(fields: dict, allowed: list[str], what: str) -> None:
    """A programming error, not bad input: a service was called with a field it does not own."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValueError(f"not {what} fields: {', '.join(unknown)}")


def audited_create(actor, model, allowed: list[str], action: str, fields: dict, *,
                   validate=None):
    """A new row of `model` in the actor's workspace from `fields` (only `allowed` ones),
    validated by `validate(obj)` (default: full_clean), saved and audited with its values.
    Call it inside the service's transaction."""
    from .audit import audit, snapshot

    reject_unknown(fields, allowed, model._meta.model_name)
    obj = model(workspace=actor.workspace, **fields)
    (validate or _full_clean)(obj)
    obj.save()
    audit(actor, action, obj, changes=snapshot(obj, allowed))
    return obj


def audited_update(actor, obj, allowed: list[str], action: str, fields: dict, *,
                   validate=None):
    """Set `fields` on `obj`, validate (default: full_clean), save only those columns and
    audit what changed (nothing changed: no audit line)."""
    from .audit import audit, diff, snapshot

    reject_unknown(fields, allowed, obj._meta.model_name)
    before = snapshot(obj, allowed)
    for k, v in fields.items():
        setattr(obj, k, v)
    (validate or _full_clean)(obj)
    obj.save(update_fields=list(fields) or None)
    changes = diff(before, snapshot(obj, allowed))
    if changes:
        audit(actor, action, obj, changes=changes)
    return obj


def _full_clean(obj) -> None:
    obj.full_clean()
