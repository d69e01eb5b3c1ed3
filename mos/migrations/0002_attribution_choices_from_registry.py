# The attribution models now come from the metric registry (mos.metric_keys); no SQL.

import mos.metric_keys
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mos', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='workspace',
            name='attribution_model',
            field=models.CharField(choices=mos.metric_keys.attribution_model_choices, default='first_touch', max_length=20, verbose_name='attribution model'),
        ),
    ]
