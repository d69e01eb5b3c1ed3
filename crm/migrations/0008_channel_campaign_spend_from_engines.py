"""Channel, Campaign and Spend move from engines to crm (they are intake data).

State only: the models keep their tables (engines_channel, engines_campaign, engines_spend) and
every row; engines 0004 drops them from engines' state. No SQL runs.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0007_contact_filter_sort_indexes'),
        ('engines', '0003_channel_restrict'),
        ('mos', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Campaign',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('utm_campaign', models.CharField(blank=True, max_length=200, verbose_name='UTM campaign')),
                        ('external_id', models.CharField(blank=True, max_length=100, verbose_name='ad platform id')),
                        ('budget', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='budget')),
                        ('starts_on', models.DateField(blank=True, null=True, verbose_name='starts')),
                        ('ends_on', models.DateField(blank=True, null=True, verbose_name='ends')),
                        ('goal', models.CharField(blank=True, max_length=200, verbose_name='goal')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='campaigns', to='mos.workspace')),
                    ],
                    options={
                        'db_table': 'engines_campaign',
                        'ordering': ['-starts_on', 'name'],
                    },
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='source_campaign',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.campaign', verbose_name='source campaign'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='campaign',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.campaign'),
                ),
                migrations.CreateModel(
                    name='Channel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('key', models.SlugField(help_text='Used in the API, UTM mapping and imports, e.g. google_ads.', verbose_name='key')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('kind', models.CharField(choices=[('seo', 'SEO'), ('paid_search', 'Paid search'), ('paid_social', 'Paid social'), ('organic_social', 'Organic social'), ('email', 'E-mail'), ('content', 'Content'), ('referral', 'Referral'), ('partnerships', 'Partnerships'), ('direct', 'Direct'), ('other', 'Other')], default='other', max_length=20, verbose_name='kind')),
                        ('utm_sources', models.JSONField(blank=True, default=list, help_text='utm_source values that mean this channel.', verbose_name='UTM sources')),
                        ('is_paid', models.BooleanField(default=False, verbose_name='paid')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='channels', to='mos.workspace')),
                    ],
                    options={
                        'db_table': 'engines_channel',
                        'ordering': ['name'],
                    },
                ),
                migrations.AddField(
                    model_name='campaign',
                    name='channel',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='campaigns', to='crm.channel'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='source_channel',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.channel', verbose_name='source channel'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='channel',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.channel'),
                ),
                migrations.CreateModel(
                    name='Spend',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='amount')),
                        ('impressions', models.BigIntegerField(default=0, verbose_name='impressions')),
                        ('clicks', models.BigIntegerField(default=0, verbose_name='clicks')),
                        ('source', models.CharField(blank=True, max_length=30, verbose_name='source')),
                        ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='spend', to='crm.campaign')),
                        ('channel', models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='spend', to='crm.channel')),
                        ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='mos.workspace')),
                    ],
                    options={
                        'db_table': 'engines_spend',
                        'ordering': ['-date'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='channel',
                    constraint=models.UniqueConstraint(fields=('workspace', 'key'), name='channel_key_unique'),
                ),
                migrations.AddConstraint(
                    model_name='campaign',
                    constraint=models.UniqueConstraint(condition=models.Q(('utm_campaign', ''), _negated=True), fields=('workspace', 'utm_campaign'), name='campaign_utm_unique'),
                ),
                migrations.AddConstraint(
                    model_name='campaign',
                    constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('workspace', 'channel', 'external_id'), name='campaign_external_id_unique'),
                ),
                migrations.AddIndex(
                    model_name='spend',
                    index=models.Index(fields=['workspace', 'date'], name='engines_spe_workspa_641d09_idx'),
                ),
                migrations.AddConstraint(
                    model_name='spend',
                    constraint=models.UniqueConstraint(fields=('workspace', 'date', 'channel', 'campaign'), name='spend_day_campaign_unique'),
                ),
                migrations.AddConstraint(
                    model_name='spend',
                    constraint=models.UniqueConstraint(condition=models.Q(('campaign__isnull', True)), fields=('workspace', 'date', 'channel'), name='spend_day_channel_unique'),
                ),
                migrations.AddConstraint(
                    model_name='spend',
                    constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0), ('impressions__gte', 0), ('clicks__gte', 0)), name='spend_not_negative'),
                ),
            ],
        ),
    ]
