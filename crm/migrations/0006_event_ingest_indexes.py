# Fewer index entries per row of crm_event, the table bulk ingest writes most: the foreign
# keys' own indexes were redundant with composite ones (workspace → event_ws_at, contact →
# event_contact_at); event_contact_at, channel and campaign keep a partial index that skips
# the rows without one.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0005_contact_sort_indexes'),
        ('engines', '0002_initial'),
        ('mos', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='event',
            name='event_contact_at',
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('contact__isnull', False)), fields=['contact', 'occurred_at'], name='event_contact_at'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('channel__isnull', False)), fields=['channel'], name='event_channel'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('campaign__isnull', False)), fields=['campaign'], name='event_campaign'),
        ),
        migrations.AlterField(
            model_name='event',
            name='campaign',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='engines.campaign'),
        ),
        migrations.AlterField(
            model_name='event',
            name='channel',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='engines.channel'),
        ),
        migrations.AlterField(
            model_name='event',
            name='contact',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='crm.contact'),
        ),
        migrations.AlterField(
            model_name='event',
            name='workspace',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='mos.workspace'),
        ),
    ]
