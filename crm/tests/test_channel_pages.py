"""Channel and campaign pages: a new workspace creates, edits and archives its channels and
campaigns without the API; a viewer reads, a sales rep sees nothing."""

import pytest

from crm.models import Campaign, Channel
from mos.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_new_workspace_adds_standard_channels_then_its_own(owner_client, workspace):
    page = owner_client.get(f"/w/{workspace.slug}/channels/").content.decode()
    assert "No channels yet" in page and "Add the standard channels" in page
    owner_client.post(f"/w/{workspace.slug}/channels/standard/")
    assert Channel.objects.filter(workspace=workspace).count() == 10
    r = owner_client.post(f"/w/{workspace.slug}/channels/new/", {
        "name": "Google Ads", "key": "google_ads", "kind": "paid_search",
        "utm_sources": "Google, adwords", "is_paid": "on"})
    assert r.status_code == 302
    ch = Channel.objects.get(workspace=workspace, key="google_ads")
    assert ch.utm_sources == ["google", "adwords"] and ch.is_paid
    assert AuditEntry.objects.filter(workspace=workspace, action="channel.create").exists()
    page = owner_client.get(f"/w/{workspace.slug}/channels/").content.decode()
    assert "Google Ads" in page and "google, adwords" in page


def test_channel_key_taken_or_bad_is_a_field_error(owner_client, workspace):
    Channel.objects.create(workspace=workspace, key="seo", name="SEO")
    r = owner_client.post(f"/w/{workspace.slug}/channels/new/", {
        "name": "Search", "key": "seo", "kind": "seo"})
    assert r.status_code == 200 and "already has a channel with this key" in r.content.decode()
    r = owner_client.post(f"/w/{workspace.slug}/channels/new/", {
        "name": "", "key": "Not a key!", "kind": "moon"})
    assert set(r.context["form"].errors) == {"name", "key", "kind"}
    assert Channel.objects.filter(workspace=workspace).count() == 1


def test_edit_and_archive_a_channel_then_restore_it(owner_client, workspace):
    ch = Channel.objects.create(workspace=workspace, key="meta", name="Meta",
                                utm_sources=["facebook"])
    page = owner_client.get(f"/w/{workspace.slug}/channels/{ch.code}/").content.decode()
    assert 'value="facebook"' in page
    owner_client.post(f"/w/{workspace.slug}/channels/{ch.code}/", {
        "name": "Meta Ads", "key": "meta", "kind": "paid_social", "utm_sources": "facebook, ig"})
    ch.refresh_from_db()
    assert ch.name == "Meta Ads" and ch.utm_sources == ["facebook", "ig"]
    owner_client.post(f"/w/{workspace.slug}/channels/{ch.code}/archive/", {"archive": "1"})
    page = owner_client.get(f"/w/{workspace.slug}/channels/").content.decode()
    assert "Meta Ads" not in page and "1 archived channel" in page
    # an archived channel is not offered for a new campaign
    page = owner_client.get(f"/w/{workspace.slug}/campaigns/new/").content.decode()
    assert "Meta Ads" not in page
    owner_client.post(f"/w/{workspace.slug}/channels/{ch.code}/archive/", {"archive": "0"})
    ch.refresh_from_db()
    assert ch.archived_at is None


def test_campaign_create_edit_archive_with_field_errors(owner_client, workspace):
    ch = Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads")
    url = f"/w/{workspace.slug}/campaigns/new/"
    r = owner_client.post(url, {"channel": ch.pk, "name": "Spring", "utm_campaign": "spring",
                                "budget": "-5", "starts_on": "2026-03-31",
                                "ends_on": "2026-03-01"})
    assert r.status_code == 200 and {"budget"} <= set(r.context["form"].errors)
    r = owner_client.post(url, {"channel": ch.pk, "name": "Spring", "utm_campaign": "spring",
                                "budget": "5000", "starts_on": "2026-03-31",
                                "ends_on": "2026-03-01"})
    assert "The end date is before the start date." in r.content.decode()
    r = owner_client.post(url, {"channel": ch.pk, "name": "Spring", "utm_campaign": "spring",
                                "budget": "5000", "starts_on": "2026-03-01",
                                "ends_on": "2026-03-31"})
    assert r.status_code == 302
    camp = Campaign.objects.get(workspace=workspace)
    page = owner_client.get(f"/w/{workspace.slug}/campaigns/").content.decode()
    assert "Spring" in page and "5,000.00" in page
    owner_client.post(f"/w/{workspace.slug}/campaigns/{camp.code}/", {
        "channel": ch.pk, "name": "Spring sale", "utm_campaign": "spring"})
    camp.refresh_from_db()
    assert camp.name == "Spring sale" and camp.budget is None
    owner_client.post(f"/w/{workspace.slug}/campaigns/{camp.code}/archive/")
    camp.refresh_from_db()
    assert camp.archived_at is not None


def test_campaign_form_refuses_another_workspaces_channel(owner_client, workspace,
                                                          other_workspace):
    foreign = Channel.objects.create(workspace=other_workspace, key="x", name="Foreign")
    r = owner_client.post(f"/w/{workspace.slug}/campaigns/new/",
                          {"channel": foreign.pk, "name": "Steal"})
    assert r.status_code == 200 and "channel" in r.context["form"].errors
    assert not Campaign.objects.filter(name="Steal").exists()


def test_viewer_reads_channels_but_cannot_change_them(workspace, add_member, client_for):
    ch = Channel.objects.create(workspace=workspace, key="seo", name="SEO")
    viewer = client_for(add_member("viewer", "v@acme.test"))
    page = viewer.get(f"/w/{workspace.slug}/channels/").content.decode()
    assert "SEO" in page and "New channel" not in page
    assert viewer.post(f"/w/{workspace.slug}/channels/{ch.code}/archive/").status_code == 403
    rep = client_for(add_member("sales_rep", "r@acme.test"))
    assert rep.get(f"/w/{workspace.slug}/channels/").status_code == 403
