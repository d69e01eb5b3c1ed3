"""Contact search by e-mail and phone on B-tree indexes (PostgreSQL only; see crm/selectors.py).

contact_search_q sends a query with an "@" (and the e-mail part of any text query) to
`LOWER(email) LIKE 'x%'` and a phone-like query to `phone LIKE 'x%'`: with text_pattern_ops /
varchar_pattern_ops these are index range scans whatever the database collation, so a full
address or number is found in well under a millisecond at a million contacts. The trigram
indexes on e-mail and phone of migration 0003 then serve no query: they are dropped (every
contact insert and update maintained them). SQLite has no such indexes: nothing to do."""

from django.db import migrations

BTREE = {
    "contact_ws_email_prefix": "(workspace_id, LOWER(email) text_pattern_ops)",
    "contact_ws_phone_prefix": "(workspace_id, phone varchar_pattern_ops)",
}
OLD_TRGM = ["email", "phone"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in BTREE.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON crm_contact {columns}")
    for col in OLD_TRGM:
        schema_editor.execute(f"DROP INDEX IF EXISTS contact_{col}_trgm")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for col in OLD_TRGM:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS contact_{col}_trgm ON crm_contact '
            f'USING gin (UPPER("{col}"::text) gin_trgm_ops)')
    for name in BTREE:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0017_merge_20261203_1238"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
