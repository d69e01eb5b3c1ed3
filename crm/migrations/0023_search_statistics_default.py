"""Back to the default planner statistics on the name and company trigram indexes
(undoes crm 0022, PostgreSQL only).

Measured after 0022 and a fresh ANALYZE (benchmarks/bench_screens.py, 2026-12-03 18:38–18:43,
quiet machine): at 1M contacts the full-name searches got slower (p95 148 → 329 ms for "Lina
Al-Shehri", 115 → 510 ms for an Arabic full name), and at 5M they stayed slow or got slower
(Arabic full name 154 → 1,032 ms). The finer histogram did not stop the planner from walking
the created-at index for a search; see docs/scaling.md for the lever that does.
"""

from django.db import migrations

INDEXES = ("contact_name_trgm", "contact_company_trgm")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} ALTER COLUMN 1 SET STATISTICS -1")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} ALTER COLUMN 1 SET STATISTICS 1000")


class Migration(migrations.Migration):

    dependencies = [("crm", "0022_search_statistics")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
