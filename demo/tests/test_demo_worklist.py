"""The demo workspace carries saved views, a hand-picked segment filled by a bulk action and an
undoable bulk owner assignment (issue 15)."""

import pytest
from django.core.management import call_command

from crm import saved_views as sv
from crm.models import BulkAction, SavedView, Segment
from crm.selectors import segment_contacts
from mos.models import User, Workspace

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_worklist():
    call_command("seed_demo", "--skip-checks", "--contacts", "300", "--months", "3",
                 "--no-metrics", "--end", "2026-06-15", "--slug", "demo-work")
    ws = Workspace.objects.get(slug="demo-work")
    names = set(SavedView.objects.filter(workspace=ws).values_list("name", flat=True))
    assert {"MQLs to hand over", "عملاء مؤهلون للمبيعات"} <= names
    marketer = User.objects.get(email="marketer@mos.local")
    assert sv.default_view(ws, marketer).name == "MQLs to hand over"
    seg = Segment.objects.get(workspace=ws, name__startswith="Webinar follow-up")
    actions = list(BulkAction.objects.filter(workspace=ws))
    assert {a.kind for a in actions} == {"segment_add", "assign_owner"}
    assert all(a.status == "done" and a.changed > 0 for a in actions)
    assert segment_contacts(seg).count() == next(a.changed for a in actions
                                                  if a.kind == "segment_add")
