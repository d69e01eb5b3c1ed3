# Adds a public UUID `code` to TrackedEvent (tracking plan entries are addressed by it in URLs
# and the API). Three steps so existing rows each get their own uuid: add nullable, populate,
# then make it unique and required.

import uuid

import crm.models
from django.db import migrations, models


def fill_codes(apps, schema_editor):
    TrackedEvent = apps.get_model("crm", "TrackedEvent")
    for row in TrackedEvent.objects.filter(code__isnull=True).only("pk").iterator():
        TrackedEvent.objects.filter(pk=row.pk).update(code=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0003_contact_search_trgm'),
    ]

    operations = [
        migrations.AddField(
            model_name='trackedevent',
            name='code',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='trackedevent',
            name='code',
            field=models.UUIDField(default=crm.models.new_code, editable=False, unique=True),
        ),
    ]
