"""Step 3 of 3: every row has its code; now it is required and unique, and new rows get a
fresh one from the application (crm.models.new_code)."""

from django.db import migrations, models

import crm.models


class Migration(migrations.Migration):
    dependencies = [("crm", "0013_event_spend_code_backfill")]

    operations = [
        migrations.AlterField("event", "code", models.UUIDField(
            default=crm.models.new_code, editable=False, unique=True)),
        migrations.AlterField("spend", "code", models.UUIDField(
            default=crm.models.new_code, editable=False, unique=True)),
    ]
