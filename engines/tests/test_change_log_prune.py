"""The change log (engines_datachange, PostgreSQL only) forgets deleted workspaces: their rows
go with the workspace, and any left over (a deletion that sent no signal) go at the nightly
fan-out. Another workspace's rows stay."""

from __future__ import annotations

import pytest
from django.db import connection

from crm.models import Contact
from engines.metrics import changes, tasks

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="the change log: PostgreSQL")


def _log_rows(workspace_id) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM engines_datachange WHERE workspace_id = %s",
                    [workspace_id])
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_deleting_a_workspace_drops_its_change_log_rows(workspace, other_workspace):
    assert changes.available()
    Contact.objects.create(workspace=workspace, name="Gone Soon")
    Contact.objects.create(workspace=other_workspace, name="Stays Here")
    gone = workspace.pk
    assert _log_rows(gone) == 1 and _log_rows(other_workspace.pk) == 1
    workspace.delete()  # the cascade deletes the contact: the trigger logs that too
    assert _log_rows(gone) == 0
    assert _log_rows(other_workspace.pk) == 1


@pytest.mark.django_db
def test_the_nightly_fan_out_drops_rows_of_workspaces_that_no_longer_exist(
        other_workspace, monkeypatch):
    Contact.objects.create(workspace=other_workspace, name="Stays Here")
    missing = other_workspace.pk + 1000
    with connection.cursor() as cur:  # left by a deletion that sent no signal
        cur.execute("INSERT INTO engines_datachange (workspace_id, tbl) VALUES (%s, 'crm_event'),"
                    " (%s, 'crm_order'), (NULL, 'crm_event')", [missing, missing])
    monkeypatch.setattr("engines.services.metric_runs_start_nightly", lambda: [])
    assert _log_rows(missing) == 2
    tasks.compute_all_workspaces()
    assert _log_rows(missing) == 0
    assert _log_rows(other_workspace.pk) == 1
    with connection.cursor() as cur:  # a TRUNCATE's row (every workspace) is not an orphan
        cur.execute("SELECT COUNT(*) FROM engines_datachange WHERE workspace_id IS NULL")
        assert cur.fetchone()[0] == 1
