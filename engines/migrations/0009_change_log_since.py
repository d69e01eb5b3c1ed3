"""The change log also records the earliest moment of data a statement touched (PostgreSQL).

engines_datachange.since: per statement and workspace, the earliest value of the table's time
column over the rows written (for an UPDATE or DELETE, over the old rows and the new ones:
an order moved from March to May touched March). The trigger of each time-keyed table is
given its column (crm_event.occurred_at, crm_order.occurred_at, crm_stagechange.at); the
others (contacts, channels, campaigns) and TRUNCATE log NULL: "any day". A run can then ask
not only whether its inputs changed since an earlier snapshot but from which day on
(engines/metrics/changes.py earliest_change): the periods before it read the same rows.
"""

from django.db import migrations

TIMED = {"crm_event": "occurred_at", "crm_order": "occurred_at", "crm_stagechange": "at"}
TABLES = ["crm_contact", "crm_stagechange", "crm_order", "crm_event", "engines_channel",
          "engines_campaign"]

FUNCTION = """
CREATE OR REPLACE FUNCTION engines_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- the table's time column (the trigger's argument), or none: "any day"
    cols text := 'workspace_id' || CASE WHEN TG_NARGS > 0 THEN format(', %I AS t', TG_ARGV[0])
                                       ELSE ', NULL::timestamptz AS t' END;
    ins text := format('INSERT INTO engines_datachange (workspace_id, tbl, since) '
                       'SELECT workspace_id, %L, min(t) FROM (%%s) AS r GROUP BY workspace_id',
                       TG_TABLE_NAME);
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO engines_datachange (workspace_id, tbl) VALUES (NULL, TG_TABLE_NAME);
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format(ins, format('SELECT %s FROM new_rows', cols));
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format(ins, format('SELECT %s FROM old_rows', cols));
    ELSE
        EXECUTE format(ins, format('SELECT %s FROM old_rows UNION ALL SELECT %s FROM new_rows',
                                   cols, cols));
    END IF;
    RETURN NULL;
END $$;
"""

OLD_FUNCTION = """
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


def _triggers(ex, with_args: bool):
    for t in TABLES:
        arg = f"'{TIMED[t]}'" if with_args and t in TIMED else ""
        for suffix, event, refs in (
                ("ins", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
                ("upd", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("del", "DELETE", "REFERENCING OLD TABLE AS old_rows")):
            ex(f"DROP TRIGGER IF EXISTS {t}_log_{suffix} ON {t}")
            ex(f"CREATE TRIGGER {t}_log_{suffix} AFTER {event} ON {t} {refs} "
               f"FOR EACH STATEMENT EXECUTE FUNCTION engines_log_change({arg})")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    ex = schema_editor.execute
    ex("ALTER TABLE engines_datachange ADD COLUMN IF NOT EXISTS since timestamptz NULL")
    ex(FUNCTION, None)  # no parameters: its % signs are format()'s, not the driver's
    _triggers(ex, with_args=True)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    ex = schema_editor.execute
    ex(OLD_FUNCTION)
    _triggers(ex, with_args=False)
    ex("ALTER TABLE engines_datachange DROP COLUMN IF EXISTS since")


class Migration(migrations.Migration):

    dependencies = [("engines", "0008_input_change_log")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
