# The planning app's first migration: empty, so that each area of the app (plans, bets,
# budget, content calendar, campaign plans) adds its own numbered migration after it.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = []
