"""CSV export that a spreadsheet cannot turn into a formula (CSV/formula injection, OWASP):
a text cell starting with =, +, -, @, tab or carriage return gets a leading apostrophe.
Numbers are written as numbers (a negative amount stays -12.5)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def csv_response(filename: str, header: list, rows: Iterable[Iterable]) -> HttpResponse:
    """An attachment response of the rows, every cell escaped."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([safe_cell(h) for h in header])
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    resp = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp
