"""Hooks a higher app fills in its AppConfig.ready(), so crm can show what is computed above it
(engines' per-contact predictions) without importing it (DESIGN §2: a lower app reaches a
higher one only through a registry)."""

from __future__ import annotations

from collections.abc import Callable

# (template name, context(contact) -> dict): a card on the contact profile
PROFILE_PANELS: list[tuple[str, Callable]] = []
# name -> fn(contact) -> JSON-ready value or None: extra fields of the contact API's detail
CONTACT_FIELDS: dict[str, Callable] = {}


def register_profile_panel(template: str, context: Callable) -> None:
    if all(t != template for t, _fn in PROFILE_PANELS):
        PROFILE_PANELS.append((template, context))


def register_contact_field(name: str, fn: Callable) -> None:
    CONTACT_FIELDS[name] = fn


def profile_panels(contact) -> list[dict]:
    return [{"template": t, **fn(contact)} for t, fn in PROFILE_PANELS]


def contact_fields(contact) -> dict:
    return {name: fn(contact) for name, fn in CONTACT_FIELDS.items()}


# fns(queryset of contacts) -> queryset: what the contacts API reads with every contact (e.g.
# select_related of the prediction), so a list of N contacts is not N + 1 queries
CONTACT_QUERYSETS: list[Callable] = []
# name -> (label, fn(queryset, {op: number}) -> queryset): numeric range rules a segment may
# carry ({"p_alive": {"lt": 0.3}}); crm validates the range, the provider applies it
SEGMENT_RANGE_FILTERS: dict[str, tuple[object, Callable]] = {}
RANGE_OPS = ("gt", "gte", "lt", "lte")


def register_contact_queryset(fn: Callable) -> None:
    if fn not in CONTACT_QUERYSETS:
        CONTACT_QUERYSETS.append(fn)


def contact_queryset(qs):
    for fn in CONTACT_QUERYSETS:
        qs = fn(qs)
    return qs


def register_segment_range_filter(name: str, label, apply: Callable) -> None:
    SEGMENT_RANGE_FILTERS[name] = (label, apply)


# fns(survivor, merged) -> {kind: rows moved}: a higher app moves its own rows that point at a
# contact (automation enrollments, messages; experiments' insight links) when two contacts are
# merged, so the merge keeps everything (crm.services.contacts_merge calls them)
MERGE_MOVERS: list[Callable] = []


def register_merge_mover(fn: Callable) -> None:
    if fn not in MERGE_MOVERS:
        MERGE_MOVERS.append(fn)


def move_merged_rows(survivor, merged) -> dict:
    moved = {}
    for fn in MERGE_MOVERS:
        moved.update(fn(survivor, merged) or {})
    return moved
