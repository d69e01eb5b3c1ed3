"""The audit log reads like sentences, and filters by member, action and date."""

import datetime as dt

import pytest
from django.utils import timezone

from mos.actors import Actor
from mos.audit import audit_many
from mos.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_demo_seed_reads_as_a_sentence(owner_client, workspace):
    audit_many(Actor.system(workspace), "demo.seed", "crm.demo.personas", 8, seed=42)
    page = owner_client.get(f"/w/{workspace.slug}/settings/audit/").content.decode()
    assert "Demo data loaded: 8 personas" in page
    assert "seed" not in page.split('class="audit-list"')[1]  # no developer's details
    assert "MOS (automatic)" in page


def test_settings_change_shows_before_and_after(owner_client, workspace):
    owner_client.post(f"/w/{workspace.slug}/settings/", {
        "name": "Acme", "currency": "SAR", "timezone": "UTC", "business": "subscription",
        "default_margin": "70", "activity_window_days": 90,
        "attribution_model": "first_touch", "attribution_lookback_days": 30})
    page = owner_client.get(f"/w/{workspace.slug}/settings/audit/").content.decode()
    assert "Workspace settings changed" in page and "<bdi>USD</bdi> → <bdi>SAR</bdi>" in page


def test_filters_by_member_action_and_date(owner_client, workspace, member, owner):
    old = AuditEntry.objects.create(workspace=workspace, actor=member, action="kpi.create",
                                    object_type="engines.kpi", object_repr="Old KPI")
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=40))
    AuditEntry.objects.create(workspace=workspace, actor=member, action="kpi.create",
                              object_type="engines.kpi", object_repr="New KPI")
    AuditEntry.objects.create(workspace=workspace, actor=owner, action="kpi.delete",
                              object_type="engines.kpi", object_repr="Gone KPI")
    url = f"/w/{workspace.slug}/settings/audit/"
    page = owner_client.get(url, {"member": member.pk}).content.decode()
    assert "Old KPI" in page and "New KPI" in page and "Gone KPI" not in page
    page = owner_client.get(url, {"action": "kpi.delete"}).content.decode()
    assert "KPI deleted: Gone KPI" in page and "New KPI" not in page
    since = (timezone.now() - dt.timedelta(days=7)).date().isoformat()
    page = owner_client.get(url, {"member": member.pk, "since": since}).content.decode()
    assert "New KPI" in page and "Old KPI" not in page
    r = owner_client.get(url, {"since": "not a date", "member": "999999"})
    assert r.status_code == 200 and r.context["form"].errors  # bad filters: errors, no 500
