"""Did a workspace's large input tables change since a run's snapshot? (PostgreSQL)

Migration engines 0008 puts statement-level triggers on the tables the large frames are read
from (WATCHED): every INSERT, UPDATE, DELETE, COPY or TRUNCATE adds a row to
engines_datachange with the workspace and the writing transaction's id. A run records the
snapshot it read (pg_current_snapshot, taken in its REPEATABLE READ load transaction); the next
run, in its own snapshot, asks whether any logged change is visible now that was not visible
then (pg_visible_in_snapshot). If none is, the rows of those tables the previous run read are
exactly the rows this one would read: their frames need neither loading nor digesting, the
previous run's digests stand. A transaction still running when either snapshot was taken is
invisible to it, so it is caught by the next run, never lost; an aborted one changed nothing.

Since engines 0009 each log row also holds `since`, the earliest moment of data the statement
touched (NULL for tables without a time column): earliest_change tells from which day on the
data changed, the first half of keeping closed periods on a new night (docs/scaling.md).

SQLite has no log (available() is False): there the frames are always loaded and digested.
"""

from __future__ import annotations

from datetime import datetime, timezone

from django.db import connection

WATCHED = ("crm_contact", "crm_stagechange", "crm_order", "crm_event", "engines_channel",
           "engines_campaign")
LOG_TABLE = "engines_datachange"
KEEP_DAYS = 1  # log rows already seen by a run are pruned once older than this


def available() -> bool:
    """The change log exists (PostgreSQL, migrated)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [LOG_TABLE])
        return bool(cur.fetchone()[0])


def current_snapshot() -> str:
    """The snapshot of the current transaction, as text (xmin:xmax:xip,…)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_current_snapshot()::text")
        return cur.fetchone()[0]


def changed_since(workspace_id: int, snapshot: str, tables=WATCHED) -> bool:
    """Whether a change to `tables` for this workspace (or a TRUNCATE, logged for every
    workspace) is visible in the current snapshot but was not in `snapshot`."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM {LOG_TABLE} "
            "WHERE (workspace_id = %s OR workspace_id IS NULL) AND tbl = ANY(%s) "
            "AND xid >= pg_snapshot_xmin(%s::pg_snapshot) "
            "AND NOT pg_visible_in_snapshot(xid, %s::pg_snapshot))",
            [workspace_id, list(tables), snapshot, snapshot])
        return bool(cur.fetchone()[0])


ANY_DAY = datetime.min.replace(tzinfo=timezone.utc)  # a change not tied to a day (see below)


def earliest_change(workspace_id: int, snapshot: str, tables=WATCHED) -> datetime | None:
    """The earliest moment of data that a change visible now but not in `snapshot` touched
    (engines 0009: the minimum of the table's time column over the rows a statement wrote,
    old and new), None if nothing changed, ANY_DAY if a change is not tied to a day (a
    contact, channel or campaign edited, a TRUNCATE, a hand-logged bulk write). Every period
    ending before it read the same rows of these tables then and now."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*), COUNT(*) FILTER (WHERE since IS NULL), MIN(since) "
            f"FROM {LOG_TABLE} WHERE (workspace_id = %s OR workspace_id IS NULL) "
            "AND tbl = ANY(%s) AND xid >= pg_snapshot_xmin(%s::pg_snapshot) "
            "AND NOT pg_visible_in_snapshot(xid, %s::pg_snapshot)",
            [workspace_id, list(tables), snapshot, snapshot])
        n, untimed, since = cur.fetchone()
    if not n:
        return None
    return ANY_DAY if untimed else since


def log_bulk_write(workspace_id: int, tables=WATCHED) -> None:
    """Log a change to `tables` for the workspace by hand, for a load that ran with the
    triggers off (SET session_replication_role = replica, as the demo generator's COPYs do)."""
    if not available():
        return
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {LOG_TABLE} (workspace_id, tbl) "
                    "SELECT %s, t FROM unnest(%s::text[]) AS t", [workspace_id, list(tables)])


def prune(workspace_id: int, snapshot: str) -> int:
    """Forget the workspace's log rows a successful run's snapshot already saw (older than
    KEEP_DAYS, so a run still comparing with an older snapshot is not misled)."""
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {LOG_TABLE} WHERE workspace_id = %s "
            f"AND at < now() - interval '{int(KEEP_DAYS)} days' "
            "AND pg_visible_in_snapshot(xid, %s::pg_snapshot)", [workspace_id, snapshot])
        return cur.rowcount


# A deleted workspace's rows (its deletion's own cascade logs one per table) are never seen
# by a run again: they are dropped with the workspace (engines.apps, post_delete), and once a
# night any left over from a deletion that sent no signal (compute_all_workspaces).
def forget_workspace(workspace_id: int) -> int:
    """Drop every log row of a workspace that no longer exists (or is being deleted)."""
    if not available():
        return 0
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {LOG_TABLE} WHERE workspace_id = %s", [workspace_id])
        return cur.rowcount


def forget_deleted_workspaces() -> int:
    """Drop the log rows of every workspace that no longer exists."""
    if not available():
        return 0
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {LOG_TABLE} d WHERE d.workspace_id IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM mos_workspace w WHERE w.id = d.workspace_id)")
        return cur.rowcount
