"""Trigram indexes for contact search (PostgreSQL only; see crm/selectors.py).

Django writes `name__icontains=x` as `UPPER("name"::text) LIKE UPPER('%x%')` (and istartswith
as `LIKE 'X%'`), so the indexes are on UPPER(column) with gin_trgm_ops: one GIN index serves
substring and prefix search on a million contacts. SQLite has no such index: nothing to do."""

from django.db import migrations

COLUMNS = ["name", "company", "email", "phone"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for col in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS contact_{col}_trgm ON crm_contact '
            f'USING gin (UPPER("{col}"::text) gin_trgm_ops)')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for col in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS contact_{col}_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0002_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
