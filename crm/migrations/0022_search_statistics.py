"""Finer planner statistics for the name and company search (PostgreSQL only).

A search for a full name ("Lina Al-Shehri") is a trigram `LIKE '%…%'`. With the default
statistics target (100 histogram buckets) PostgreSQL cannot estimate a match rarer than about
1 %, so at 5M contacts it expected 44,000 matches for 5,600 real ones and walked the
created-at index filtering row by row (390 ms, 32,000 pages read) instead of using the trigram
index. With 1,000 buckets on the two expression indexes it estimates 1,300 and takes the
bitmap scan (114 ms). The next ANALYZE of crm_contact (autovacuum's) uses the new target.
"""

from django.db import migrations

INDEXES = ("contact_name_trgm", "contact_company_trgm")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} ALTER COLUMN 1 SET STATISTICS 1000")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} ALTER COLUMN 1 SET STATISTICS -1")


class Migration(migrations.Migration):

    dependencies = [("crm", "0021_merge_0020_merge_20261203_1458_0020_service")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
