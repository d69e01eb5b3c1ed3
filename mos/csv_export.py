"""The one way MOS writes a CSV that a person opens: every cell that a spreadsheet would run
as a formula is escaped (OWASP "CSV injection").

A text cell starting with = + - @, a tab or a carriage return gets a leading apostrophe,
which Excel, LibreOffice and Google Sheets show as text. Decision: a cell that is only a
number (`-5`, `+3.25`, `-1,200.50` is *not* one) stays as written — a negative amount in the
rejected rows must import again as a number, and a bare number runs nothing.

Internal CSV that no person opens (PostgreSQL COPY buffers) must not use this: it would
change the data."""

from __future__ import annotations

import csv
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START) and \
            not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer with every cell passed through safe_cell."""

    def __init__(self, f, *args, **kwargs):
        self._writer = csv.writer(f, *args, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(f, *args, **kwargs) -> SafeWriter:
    return SafeWriter(f, *args, **kwargs)
