"""Step 2 of 3: give every stored event and spend row its own random code, in batches of
10,000 rows, each committed on its own (the migration is not atomic), so a table of millions
of rows never sits in one long transaction and an interrupted run resumes where it stopped."""

import uuid

from django.db import migrations

BATCH = 10_000


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    for name in ("Event", "Spend"):
        model = apps.get_model("crm", name)
        table = model._meta.db_table
        last = 0
        while True:
            ids = list(model.objects.filter(id__gt=last, code__isnull=True).order_by("id")
                       .values_list("id", flat=True)[:BATCH])
            if not ids:
                break
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:  # one UUID per row, made by the database
                    cursor.execute(f'UPDATE "{table}" SET code = gen_random_uuid() '
                                   "WHERE id >= %s AND id <= %s AND code IS NULL",
                                   [ids[0], ids[-1]])
            else:
                model.objects.bulk_update([model(id=i, code=uuid.uuid4()) for i in ids],
                                          ["code"], batch_size=1000)
            last = ids[-1]


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("crm", "0012_event_spend_code_nullable")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
