"""A change log of the metrics pipeline's large input tables (PostgreSQL only).

Statement-level triggers on contacts, stage changes, orders, events, channels and campaigns
add one row per statement and workspace touched to engines_datachange, stamped with the
writing transaction's id (pg_current_xact_id). Every write path — ORM, bulk COPY, raw SQL,
admin, merges, erasure, TRUNCATE (logged for every workspace) — fires them, so a run can ask
"did any row of these tables change for this workspace since the snapshot of the previous
run?" with one index probe (pg_visible_in_snapshot), instead of loading and digesting
millions of rows (engines/metrics/changes.py). The triggers read the statement's transition
tables, so a COPY of 100,000 rows adds one DISTINCT over them, not 100,000 trigger calls.

SQLite has no such log: there the pipeline keeps digesting the loaded frames.
"""

from django.db import migrations

TABLES = ["crm_contact", "crm_stagechange", "crm_order", "crm_event", "engines_channel",
          "engines_campaign"]

FUNCTION = """
CREATE OR REPLACE FUNCTION engines_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO engines_datachange (workspace_id, tbl) VALUES (NULL, TG_TABLE_NAME);
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO engines_datachange (workspace_id, tbl)
        SELECT DISTINCT workspace_id, TG_TABLE_NAME FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO engines_datachange (workspace_id, tbl)
        SELECT DISTINCT workspace_id, TG_TABLE_NAME FROM old_rows;
    ELSE
        INSERT INTO engines_datachange (workspace_id, tbl)
        SELECT workspace_id, TG_TABLE_NAME FROM old_rows
        UNION SELECT workspace_id, TG_TABLE_NAME FROM new_rows;
    END IF;
    RETURN NULL;
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    ex = schema_editor.execute
    ex("CREATE TABLE IF NOT EXISTS engines_datachange ("
       " id bigserial PRIMARY KEY, workspace_id bigint NULL, tbl text NOT NULL,"
       " xid xid8 NOT NULL DEFAULT pg_current_xact_id(),"
       " at timestamptz NOT NULL DEFAULT now())")
    ex("CREATE INDEX IF NOT EXISTS engines_datachange_ws_xid ON engines_datachange "
       "(workspace_id, xid)")
    ex(FUNCTION)
    for t in TABLES:
        ex(f"CREATE TRIGGER {t}_log_ins AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows "
           "FOR EACH STATEMENT EXECUTE FUNCTION engines_log_change()")
        ex(f"CREATE TRIGGER {t}_log_upd AFTER UPDATE ON {t} "
           "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
           "FOR EACH STATEMENT EXECUTE FUNCTION engines_log_change()")
        ex(f"CREATE TRIGGER {t}_log_del AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows "
           "FOR EACH STATEMENT EXECUTE FUNCTION engines_log_change()")
        ex(f"CREATE TRIGGER {t}_log_trunc AFTER TRUNCATE ON {t} "
           "FOR EACH STATEMENT EXECUTE FUNCTION engines_log_change()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for t in TABLES:
        for suffix in ("ins", "upd", "del", "trunc"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {t}_log_{suffix} ON {t}")
    schema_editor.execute("DROP FUNCTION IF EXISTS engines_log_change()")
    schema_editor.execute("DROP TABLE IF EXISTS engines_datachange")


class Migration(migrations.Migration):

    dependencies = [
        ("engines", "0007_metricrun_fingerprint"),
        ("crm", "0021_merge_0020_merge_20261203_1458_0020_service"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
