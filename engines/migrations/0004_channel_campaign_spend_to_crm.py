"""Channel, Campaign and Spend now belong to crm (crm 0008): drop them from engines' state only.

The tables and rows stay; the content types and audit entries are relabelled so that
permissions and the audit log follow the models to their new app.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("channel", "campaign", "spend")


def relabel(apps, schema_editor, old="engines", new="crm"):
    """Content types and audit entries of the moved models follow them to their new app."""
    try:
        ContentType = apps.get_model("contenttypes", "ContentType")
    except LookupError:
        ContentType = None
    if ContentType is not None:
        for model in MOVED:
            if not ContentType.objects.filter(app_label=new, model=model).exists():
                ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
    AuditEntry = apps.get_model("mos", "AuditEntry")
    for model in MOVED:
        AuditEntry.objects.filter(object_type=f"{old}.{model}").update(
            object_type=f"{new}.{model}")


def unrelabel(apps, schema_editor):
    relabel(apps, schema_editor, old="crm", new="engines")


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0008_channel_campaign_spend_from_engines'),
        ('engines', '0003_channel_restrict'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('mos', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='spend',
                    name='campaign',
                ),
                migrations.RemoveField(
                    model_name='channel',
                    name='workspace',
                ),
                migrations.AlterField(
                    model_name='kpi',
                    name='channel',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='kpis', to='crm.channel'),
                ),
                migrations.RemoveField(
                    model_name='spend',
                    name='channel',
                ),
                migrations.RemoveField(
                    model_name='spend',
                    name='workspace',
                ),
                migrations.DeleteModel(
                    name='Campaign',
                ),
                migrations.DeleteModel(
                    name='Channel',
                ),
                migrations.DeleteModel(
                    name='Spend',
                ),
            ],
        ),
        migrations.RunPython(relabel, unrelabel),
    ]
