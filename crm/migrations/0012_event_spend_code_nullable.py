"""Events and spend rows get a public code. Step 1 of 3 on a big table: a nullable column with
no default, which PostgreSQL adds without rewriting the table (a column default evaluated once
would also give every row the same UUID)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("crm", "0011_amounts_hold_the_currency_minor_units")]

    operations = [
        migrations.AddField("event", "code", models.UUIDField(null=True, editable=False)),
        migrations.AddField("spend", "code", models.UUIDField(null=True, editable=False)),
    ]
