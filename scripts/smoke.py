"""Boot the embedded default (SQLite, eager Celery) from nothing and prove it serves:
migrate, seed the demo workspace, log in as the demo user, open the workspace home."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), "not on SQLite"
assert settings.CELERY_TASK_ALWAYS_EAGER, "Celery is not eager"
call_command("migrate", verbosity=0)
call_command("seed_demo", "--if-empty", "--contacts", os.environ.get("SMOKE_CONTACTS", "300"))

from mos.models import Workspace  # noqa: E402

client = Client()
assert client.get("/healthz").status_code == 200, "healthz failed"
ws = Workspace.objects.get(slug="demo")
assert client.login(email="demo@mos.local", password="demo-password"), "demo login failed"
for url in (f"/w/{ws.slug}/", "/api/v1/me", "/api/schema/"):
    r = client.get(url)
    assert r.status_code == 200, f"{url} answered {r.status_code}"
print("smoke: 1 passed, 0 failed")
