"""Set-based writers for the demo generator: COPY on PostgreSQL, executemany elsewhere.

Rows arrive as a dict of equal-length numpy columns named after the model's attnames
(`workspace_id`, `contact_id`, …). Times are int64 seconds since the epoch (UTC), JSON columns
are already-serialised JSON text, nullable foreign keys use -1 for NULL.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone as dt_tz
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection

BATCH_SIZE = 5000
NULL_ID = -1


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def new_uuids(n: int) -> np.ndarray:
    """n random (not seeded: codes are unique across workspaces) UUID4 strings."""
    raw = np.frombuffer(np.random.default_rng().bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    h = raw.tobytes().hex()
    return np.array([f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-"
                     f"{h[i + 20:i + 32]}" for i in range(0, 32 * n, 32)], dtype=object)


def reserve_ids(model, n: int) -> np.ndarray:
    """n fresh primary keys, in increasing order: from the table's sequence on PostgreSQL,
    above the current maximum elsewhere (SQLite allows one writer at a time)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    with connection.cursor() as cur:
        if is_postgres():
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                        "FROM generate_series(1, %s)", [model._meta.db_table, n])
            return np.sort(np.fromiter((r[0] for r in cur.fetchall()), dtype=np.int64, count=n))
        table = connection.ops.quote_name(model._meta.db_table)
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        top = cur.fetchone()[0]
    return np.arange(top + 1, top + 1 + n, dtype=np.int64)


def _field_kinds(model, columns) -> dict[str, str]:
    by_att = {f.attname: f for f in model._meta.concrete_fields}
    return {c: by_att[c].get_internal_type() for c in columns}


def _iso(seconds: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s"),
                       "+00:00").astype(object)


def write_rows(model, cols: dict[str, np.ndarray]) -> int:
    """Insert the rows; returns how many. Rows that others point at carry pre-reserved ids
    (reserve_ids), so nothing has to come back from the database."""
    names = list(cols)
    n = len(cols[names[0]]) if names else 0
    if n == 0:
        return 0
    kinds = _field_kinds(model, names)
    if is_postgres():
        _copy(model, names, kinds, cols, n)
    else:
        _insert_many(model, names, kinds, cols, n)
    return n


def _copy(model, names, kinds, cols, n):
    frame = {}
    for c in names:
        v = cols[c]
        k = kinds[c]
        if k == "DateTimeField":
            frame[c] = _iso(v)
        elif k == "DateField":
            frame[c] = np.datetime_as_string(v.astype("datetime64[D]"), unit="D").astype(object)
        elif v.dtype.kind in "iu" and (v == NULL_ID).any():
            arr = pd.array(v, dtype="Int64")
            arr[v == NULL_ID] = pd.NA
            frame[c] = arr
        elif k == "DecimalField" and v.dtype.kind == "f":
            frame[c] = np.round(v, 4 if "margin" in c else 2)  # NaN → NULL
        else:
            frame[c] = v
    buf = io.StringIO()
    pd.DataFrame(frame, columns=names).to_csv(buf, index=False, header=False, na_rep="\\N")
    buf.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    column = {f.attname: f.column for f in model._meta.concrete_fields}
    collist = ", ".join(connection.ops.quote_name(column[c]) for c in names)
    with connection.cursor() as cur:
        cur.cursor.copy_expert(f"COPY {table} ({collist}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                               buf)


def _insert_many(model, names, kinds, cols, n):
    """Other databases (SQLite): values prepared once per column with the model fields' own
    get_db_prep_save, then executemany in batches (bulk_create minus the model instances)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    conv = []
    for c in names:
        v, k, field = cols[c], kinds[c], fields[c]
        if k == "DateTimeField":
            values = [datetime.fromtimestamp(int(s), tz=dt_tz.utc) for s in v]
        elif k == "DateField":
            values = [d.item() for d in v.astype("datetime64[D]")]
        elif k == "JSONField":
            conv.append(list(v))  # already JSON text
            continue
        elif k == "DecimalField":
            values = [None if np.isnan(x) else Decimal(f"{x:.4f}" if "margin" in c else f"{x:.2f}")
                      for x in v.astype(float)]
        elif v.dtype.kind in "iu":
            values = [None if x == NULL_ID else x for x in v.tolist()]
        else:
            values = list(v)
        conv.append([None if x is None else field.get_db_prep_save(x, connection)
                     for x in values])
    table = connection.ops.quote_name(model._meta.db_table)
    collist = ", ".join(connection.ops.quote_name(fields[c].column) for c in names)
    sql = f"INSERT INTO {table} ({collist}) VALUES ({', '.join(['%s'] * len(names))})"
    rows = list(zip(*conv))
    with connection.cursor() as cur:
        for lo in range(0, n, BATCH_SIZE):
            cur.executemany(sql, rows[lo:lo + BATCH_SIZE])
