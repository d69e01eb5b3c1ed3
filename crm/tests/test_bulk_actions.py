"""Bulk actions on the contacts list: select all that match, assign owner, change stage with a
reason, add to / remove from a segment, export CSV; job with progress and lease; one audit
entry per action; Undo from the before-image."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from crm import selectors, services
from crm.bulk import services as bulk
from crm.models import BulkAction, Contact, Segment, SegmentMember, StageChange
from mos.models import AuditEntry
from mos.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(owner_actor, add_member):
    """12 contacts: 7 leads (3 owned by rep Rana), 5 MQLs unassigned."""
    rana = add_member(Role.SALES_REP, "rana@acme.test")
    for i in range(7):
        services.contact_create(actor=owner_actor, name=f"Lead {i}", email=f"lead{i}@x.test",
                                stage="lead", owner=rana if i < 3 else None)
    for i in range(5):
        services.contact_create(actor=owner_actor, name=f"MQL {i}", email=f"mql{i}@x.test",
                                stage="mql")
    return rana


def test_assign_owner_to_all_matching_runs_as_a_job_and_undo_restores(
        owner_actor, owner, crowd, workspace, settings, monkeypatch,
        django_capture_on_commit_callbacks):
    settings.MOS_BULK_INLINE_MAX = 2  # force the background path (eager Celery in tests)
    monkeypatch.setattr(bulk, "CHUNK", 3)  # several chunks, each committed with its progress
    with django_capture_on_commit_callbacks(execute=True):
        action = bulk.bulk_action_start(actor=owner_actor, kind="assign_owner",
                                        selection={"filters": {"stage": "lead"}},
                                        params={"owner": owner.email})
        action.refresh_from_db()
        assert action.status == "queued" and action.processed == 0
    action.refresh_from_db()
    assert action.status == "done"
    assert (action.total, action.processed, action.changed) == (7, 7, 7)
    assert Contact.objects.filter(stage="lead", owner=owner).count() == 7
    assert Contact.objects.filter(stage="mql", owner__isnull=False).count() == 0
    entries = AuditEntry.objects.filter(action="contact.bulk_assign_owner")
    assert entries.count() == 1 and entries[0].changes["changed"] == 7
    # someone reassigns one lead by hand after the action: Undo keeps that change
    lead0 = Contact.objects.get(name="Lead 0")
    services.contact_update(actor=owner_actor, contact=lead0, owner=crowd)
    restored = bulk.bulk_action_undo(actor=owner_actor, action=action)
    assert restored == 6
    assert Contact.objects.filter(owner=crowd).count() == 3  # Lead 0 (by hand), 1, 2
    assert Contact.objects.filter(stage="lead", owner__isnull=True).count() == 4
    assert AuditEntry.objects.filter(action="contact.bulk_assign_owner.undo").count() == 1
    action.refresh_from_db()
    assert action.status == "undone"
    with pytest.raises(Exception):
        bulk.bulk_action_undo(actor=owner_actor, action=action)


def test_change_stage_writes_history_with_reason_and_cannot_be_undone(owner_actor, crowd):
    with pytest.raises(Exception) as e:
        bulk.bulk_action_start(actor=owner_actor, kind="change_stage",
                               selection={"filters": {"stage": "mql"}},
                               params={"stage": "sql"})
    assert "reason" in e.value.message_dict
    action = bulk.bulk_action_start(actor=owner_actor, kind="change_stage",
                                    selection={"filters": {"stage": "mql"}},
                                    params={"stage": "sql", "reason": "Webinar attendees"})
    assert action.changed == 5
    moves = StageChange.objects.filter(to_stage="sql")
    assert moves.count() == 5
    assert {m.from_stage for m in moves} == {"mql"} and {m.reason for m in moves} == {
        "Webinar attendees"}
    assert not action.reversible
    with pytest.raises(Exception) as e:
        bulk.bulk_action_undo(actor=owner_actor, action=action)
    assert "history" in str(e.value)


def test_segment_add_and_remove_by_hand_then_undo(owner_actor, crowd, workspace):
    seg = services.segment_create(actor=owner_actor, name="Leads", filters={"stage": ["lead"]})
    mql_codes = [str(c) for c in Contact.objects.filter(stage="mql").values_list(
        "code", flat=True)[:2]]
    add = bulk.bulk_action_start(actor=owner_actor, kind="segment_add",
                                 selection={"codes": mql_codes},
                                 params={"segment": str(seg.code)})
    assert add.changed == 2
    assert selectors.segment_contacts(seg).count() == 9  # 7 leads by filter + 2 added
    remove = bulk.bulk_action_start(actor=owner_actor, kind="segment_remove",
                                    selection={"filters": {"q": "Lead 1"}},
                                    params={"segment": str(seg.code)})
    assert remove.changed == 1
    assert selectors.segment_contacts(seg).count() == 8
    assert not selectors.segment_contacts(seg).filter(name="Lead 1").exists()
    bulk.bulk_action_undo(actor=owner_actor, action=remove)
    assert selectors.segment_contacts(seg).count() == 9
    bulk.bulk_action_undo(actor=owner_actor, action=add)
    assert selectors.segment_contacts(seg).count() == 7
    assert not SegmentMember.objects.filter(segment=seg, included=True).exists()


def test_a_segment_without_filters_is_a_list_of_added_contacts(owner_actor, crowd):
    seg = services.segment_create(actor=owner_actor, name="Call list", filters={})
    codes = [str(Contact.objects.get(name="MQL 0").code)]
    bulk.bulk_action_start(actor=owner_actor, kind="segment_add", selection={"codes": codes},
                           params={"segment": str(seg.code)})
    assert list(selectors.segment_contacts(seg).values_list("name", flat=True)) == ["MQL 0"]


def test_killed_worker_job_is_taken_over_and_resumes_after_the_cursor(
        owner_actor, owner, crowd, settings):
    settings.MOS_BULK_INLINE_MAX = 2  # queued; on_commit never fires here: we play the worker
    action = bulk.bulk_action_start(actor=owner_actor, kind="assign_owner",
                                    selection={"filters": {"stage": "lead"}},
                                    params={"owner": owner.email})
    ids = list(Contact.objects.filter(stage="lead").order_by("pk").values_list("pk", flat=True))
    # a worker took it, did the first 4 contacts and died (its lease ran out)
    Contact.objects.filter(pk__in=ids[:4]).update(owner=owner)
    BulkAction.objects.filter(pk=action.pk).update(
        status="running", cursor=ids[3], processed=4, changed=4,
        heartbeat_at=timezone.now() - timedelta(hours=1))
    action.refresh_from_db()
    assert action.interrupted
    bulk.bulk_action_process(action.pk)
    action.refresh_from_db()
    assert action.status == "done" and action.processed == 7 and action.attempts == 1
    assert Contact.objects.filter(stage="lead", owner=owner).count() == 7


def test_live_lease_is_not_taken_over(owner_actor, owner, crowd):
    action = BulkAction.objects.create(workspace=owner_actor.workspace, kind="assign_owner",
                                       params={"owner_id": owner.pk}, total=7,
                                       selection={"filters": {"stage": "lead"}},
                                       status="running", heartbeat_at=timezone.now(),
                                       created_by=owner)
    bulk.bulk_action_process(action.pk)
    assert Contact.objects.filter(owner=owner).count() == 0


def test_bad_input_is_refused_and_nothing_written(owner_actor, crowd, other_workspace):
    for kind, sel, params, field in [
        ("assign_owner", {"filters": {"stage": "lead"}}, {"owner": "nobody@x.test"}, "owner"),
        ("segment_add", {"filters": {}}, {"segment": "not-a-code"}, "segment"),
        ("assign_owner", {"filters": {"nope": 1}}, {}, "selection"),
        ("assign_owner", {"codes": ["zzz"]}, {}, "selection"),
        ("assign_owner", {"filters": {"q": "no such person"}}, {}, "selection"),
        ("explode", {"filters": {}}, {}, "action"),
    ]:
        with pytest.raises(Exception) as e:
            bulk.bulk_action_start(actor=owner_actor, kind=kind, selection=sel, params=params)
        assert field in e.value.message_dict, (kind, e.value)
    # another workspace's segment is not found
    foreign = Segment.objects.create(workspace=other_workspace, name="Theirs")
    with pytest.raises(Exception):
        bulk.bulk_action_start(actor=owner_actor, kind="segment_add",
                               selection={"filters": {}}, params={"segment": str(foreign.code)})
    assert not BulkAction.objects.exists()


# --- pages -----------------------------------------------------------------------------------

def test_list_shows_bulk_bar_and_select_all_matching_for_editors(
        owner_client, workspace, crowd, client_for, add_member):
    r = owner_client.get(f"/w/{workspace.slug}/contacts/?stage=lead")
    html = r.content.decode()
    assert 'id="bulk-form"' in html and "Select all 7 matching" in html
    assert '<input type="hidden" name="stage" value="lead">' in html
    viewer = client_for(add_member(Role.VIEWER))
    html = viewer.get(f"/w/{workspace.slug}/contacts/").content.decode()
    assert 'id="bulk-form"' not in html


def test_post_all_matching_from_the_page_then_progress_and_undo(
        owner_client, workspace, crowd, owner):
    r = owner_client.post(f"/w/{workspace.slug}/contacts/bulk/", {
        "op": "assign_owner", "new_owner": owner.code if hasattr(owner, "code") else owner.pk,
        "all": "1", "stage": "mql", "back": "stage=mql"})
    assert r.status_code == 302, r.content
    action = BulkAction.objects.get()
    assert r["Location"].endswith(f"/contacts/bulk/{action.code}/")
    assert Contact.objects.filter(stage="mql", owner=owner).count() == 5
    page = owner_client.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "5 of 5 contacts · 100%" in page and "Undo" in page and "every 1s" not in page
    r = owner_client.post(f"/w/{workspace.slug}/contacts/bulk/{action.code}/undo/")
    assert r.status_code == 302
    assert Contact.objects.filter(stage="mql", owner__isnull=True).count() == 5


def test_running_action_page_polls(owner_client, workspace, owner):
    action = BulkAction.objects.create(workspace=workspace, kind="assign_owner", total=100,
                                       processed=40, status="running",
                                       heartbeat_at=timezone.now(), created_by=owner)
    html = owner_client.get(f"/w/{workspace.slug}/contacts/bulk/{action.code}/").content.decode()
    assert 'hx-trigger="every 1s"' in html and "40 of 100 contacts · 40%" in html


def test_page_errors_come_back_as_messages(owner_client, workspace, crowd):
    r = owner_client.post(f"/w/{workspace.slug}/contacts/bulk/", {
        "op": "change_stage", "to_stage": "sql", "all": "1", "back": "stage=mql"},
        follow=True)
    assert "Say why these contacts change stage" in r.content.decode()
    assert not BulkAction.objects.exists()


def test_export_csv_escapes_formula_cells_and_is_audited(owner_client, workspace, owner_actor):
    services.contact_create(actor=owner_actor, name="=HYPERLINK(\"http://x\")",
                            email="evil@x.test", stage="lead")
    services.contact_create(actor=owner_actor, name="Plain", email="plain@x.test", stage="mql")
    r = owner_client.post(f"/w/{workspace.slug}/contacts/bulk/", {
        "op": "export", "all": "1", "stage": "lead"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["code", "name", "email"]
    assert len(rows) == 2 and rows[1][1] == "'=HYPERLINK(\"http://x\")"
    assert AuditEntry.objects.filter(action="contact.bulk_export").get().changes["count"] == 1


def test_roles_and_tenancy_on_pages(workspace, crowd, client_for, add_member, outsider_client,
                                    owner):
    action = bulk.bulk_action_start(
        actor=__import__("mos.actors", fromlist=["Actor"]).Actor.system(workspace),
        kind="assign_owner", selection={"filters": {"stage": "mql"}},
        params={"owner": owner.email})
    url = f"/w/{workspace.slug}/contacts/bulk/{action.code}/"
    for role in (Role.VIEWER, Role.ANALYST, Role.SALES_REP):
        c = client_for(add_member(role))
        assert c.get(url).status_code == 403
        assert c.post(f"/w/{workspace.slug}/contacts/bulk/", {
            "op": "assign_owner", "all": "1"}).status_code == 403
    assert outsider_client.get(url).status_code == 404


# --- API -------------------------------------------------------------------------------------

def test_api_start_follow_and_undo(api, workspace, crowd, owner):
    r = api.post("/api/v1/bulk-actions/", {
        "action": "assign_owner", "owner": owner.email,
        "selection": {"filters": {"stage": "lead", "owner": "none"}}}, format="json")
    assert r.status_code == 202, r.json()
    body = r.json()
    assert body["status"] == "done" and body["changed"] == 4 and body["reversible"]
    assert "owner_id" not in body["params"]
    r = api.get(f"/api/v1/bulk-actions/{body['code']}/")
    assert r.json()["changed"] == 4
    r = api.post(f"/api/v1/bulk-actions/{body['code']}/undo/")
    assert r.status_code == 200 and r.json()["status"] == "undone" and r.json()["restored"] == 4


def test_api_errors_and_tenancy(api, outsider_api, workspace, crowd, owner):
    r = api.post("/api/v1/bulk-actions/", {"action": "change_stage", "stage": "sql",
                                            "selection": {"filters": {}}}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]
    r = api.post("/api/v1/bulk-actions/", {"action": "x", "selection": {}}, format="json")
    assert r.status_code == 400
    ok = api.post("/api/v1/bulk-actions/", {
        "action": "assign_owner", "owner": "", "selection": {"filters": {"stage": "lead"}}},
        format="json").json()
    assert outsider_api.get(f"/api/v1/bulk-actions/{ok['code']}/").status_code == 404
    assert outsider_api.post(f"/api/v1/bulk-actions/{ok['code']}/undo/").status_code == 404
    assert Contact.objects.filter(owner__isnull=False).count() == 0


def test_api_idempotency_key_starts_once(api, workspace, crowd, owner):
    payload = {"action": "assign_owner", "owner": owner.email,
               "selection": {"filters": {"stage": "mql"}}}
    a = api.post("/api/v1/bulk-actions/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    b = api.post("/api/v1/bulk-actions/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert a.json()["code"] == b.json()["code"]
    assert BulkAction.objects.count() == 1
