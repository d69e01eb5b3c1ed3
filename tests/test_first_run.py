"""Issue 8 §1: a fresh clone has no var/ (it is git-ignored); the embedded default must create
the folder of its SQLite file instead of failing at migrate."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_sqlite_folder_is_created_when_missing(tmp_path):
    db = tmp_path / "fresh-clone" / "var" / "mos.sqlite3"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["SQLITE_PATH"] = str(db)
    proc = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.db import connection; connection.ensure_connection(); print('connected')"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "connected" in proc.stdout
    assert db.parent.is_dir()
