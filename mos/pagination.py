"""One keyset page helper for every long list (contacts, segment members…).

A page never counts the whole table: the next page starts after the last row's sort key
(`?after=`), and the total is counted only up to COUNT_CAP.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal

from django.db.models import Q

PAGE_SIZE = 50
COUNT_CAP = 10_000


def encode_cursor(values: list) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else
                      (str(v) if isinstance(v, Decimal) else v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        return None
    return values if isinstance(values, list) else None


def _clean_cursor(model, ordering, values: list) -> list | None:
    """The cursor's values as the sort fields' Python values, or None when it does not fit
    them (a hand-edited or forged `?after=`: the list then starts at its first page)."""
    from django.core.exceptions import FieldDoesNotExist, ValidationError
    from django.db import models as m

    if len(values) != len(ordering):
        return None
    cleaned = []
    for (name, _desc), value in zip(ordering, values):
        if value is None or isinstance(value, (list, dict, bool)):
            return None
        try:
            field = model._meta.get_field(name)
            value = field.to_python(value)
        except (FieldDoesNotExist, ValidationError, TypeError, ValueError, OverflowError):
            return None
        if isinstance(field, m.IntegerField) and not -2**63 <= value < 2**63:
            return None
        if isinstance(value, str) and "\x00" in value:
            return None
        if value is None:
            return None
        cleaned.append(value)
    return cleaned


def keyset_ordering(qs) -> list[tuple[str, bool]] | None:
    """The queryset's ordering as [(field, descending)], ending in the primary key, or None
    when it cannot be used for keyset paging (expressions)."""
    order = list(qs.query.order_by) or list(qs.query.get_meta().ordering)
    fields = []
    for o in order:
        if not isinstance(o, str) or o == "?" or "__" in o:
            return None
        desc = o.startswith("-")
        name = o.lstrip("-+")
        fields.append(("id" if name == "pk" else name, desc))
    if not fields or fields[-1][0] != "id":
        desc = fields[-1][1] if fields else True
        fields.append(("id", desc))
    return fields


def _keyset_filter(ordering, values) -> Q:
    """Rows strictly after `values` in `ordering` (lexicographic, the last key is unique)."""
    q = Q()
    for i, (name, desc) in enumerate(ordering):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{ordering[j][0]: values[j]})
        q |= step
    return q


def capped_count(qs, cap: int | None = None) -> tuple[int, bool]:
    """How many rows, counting no further than `cap` (LIMIT inside the COUNT): never a full
    count of a million-row table. → (count up to cap, True when there are more)."""
    cap = cap or COUNT_CAP
    n = qs.order_by().select_related(None).values("pk")[:cap + 1].count()
    return min(n, cap), n > cap


class KeysetPage:
    """One page of a large queryset, without counting the table: the next page starts after
    the last row's sort key (`?after=`), and the total is counted only up to COUNT_CAP."""

    def __init__(self, qs, params, *, size: int | None = None, cap: int | None = None,
                 narrow=None):
        """`narrow(after, n)`, when given, returns a queryset whose first n rows are the first
        n rows of `qs` after the keyset condition `after` (a Q, empty on the first page),
        found a cheaper way (see crm.selectors.SearchNarrower); the total counts `qs`, unless
        the narrow step left a `total` of the first page's list."""
        self.size = size = size or PAGE_SIZE
        cap = cap or COUNT_CAP
        try:
            self.start = max(1, int(params.get("start", 1)))
        except ValueError:
            self.start = 1
        ordering = keyset_ordering(qs)
        cursor = _decode_cursor(params.get("after", "")) if params.get("after") else None
        if ordering and cursor is not None:
            cursor = _clean_cursor(qs.model, ordering, cursor)
        if ordering and cursor is not None:
            after = _keyset_filter(ordering, cursor)
            qs_page = qs.filter(after)
        elif ordering:
            after, qs_page, self.start = Q(), qs, 1
        else:  # expression ordering: plain offsets, still no full count
            qs_page = qs[self.start - 1:]
        if narrow is not None and ordering:
            qs_page = narrow(after, size + 1)
        rows = list(qs_page[:size + 1])
        self.has_next = len(rows) > size
        self.rows = rows[:size]
        self.next_after = ""
        if self.has_next and ordering:
            last = self.rows[-1]
            values = [getattr(last, name) for name, _d in ordering]
            if all(v is not None for v in values):
                self.next_after = encode_cursor(values)
        self.has_previous = self.start > 1
        self.end = self.start + len(self.rows) - 1
        first_page = self.start == 1 and not (ordering and cursor is not None)
        known = getattr(narrow, "total", None) if first_page else None
        if first_page and not self.has_next:  # one page holds them all: nothing to count
            self.total, self.total_capped = len(self.rows), False
        elif known is not None:  # the narrow step counted the matches already
            self.total, self.total_capped = min(known, cap), known > cap
        else:
            self.total, self.total_capped = capped_count(qs, cap)
        self.next_start = self.end + 1

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)
