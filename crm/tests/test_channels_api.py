"""Channels and campaigns: services and the API (CRUD, 400s, roles, tenancy, query counts)."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from crm.channels import selectors, services
from crm.models import Campaign, Channel
from mos.models import AuditEntry
from mos.roles import Role


def session_api(user):
    c = APIClient()
    c.force_login(user)
    return c


def err_fields(resp):
    assert resp.status_code == 400, resp.content
    return resp.json()["error"]["fields"]


def test_ensure_default_channels_creates_ten_once(workspace):
    rows = services.ensure_default_channels(workspace)
    assert sorted(c.key for c in rows) == sorted(c.value for c in Channel.Kind)
    assert all(c.key == c.kind for c in rows)
    assert {c.key for c in rows if c.is_paid} == {"paid_search", "paid_social"}
    services.ensure_default_channels(workspace)
    assert Channel.objects.filter(workspace=workspace).count() == 10
    assert selectors.channel_by_key(workspace, "seo").name == "SEO"
    assert selectors.channel_by_key(workspace, "nope") is None


def test_channel_key_unique_per_workspace_only(owner_actor, workspace, other_workspace):
    services.ensure_default_channels(other_workspace)
    ch = services.channel_create(actor=owner_actor, key="seo", name="SEO")
    assert ch.workspace == workspace
    with pytest.raises(ValidationError) as e:
        services.channel_create(actor=owner_actor, key="seo", name="Again")
    assert "key" in e.value.message_dict


def test_campaign_dates_and_foreign_channel(owner_actor, other_workspace):
    [foreign] = [c for c in services.ensure_default_channels(other_workspace) if c.key == "seo"]
    with pytest.raises(ValidationError) as e:
        services.campaign_create(actor=owner_actor, channel=foreign, name="X")
    assert "channel" in e.value.message_dict
    ch = services.channel_create(actor=owner_actor, key="ads", name="Ads")
    import datetime as dt

    with pytest.raises(ValidationError) as e:
        services.campaign_create(actor=owner_actor, channel=ch, name="X",
                                 starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 1))
    assert "ends_on" in e.value.message_dict
    assert not Campaign.objects.exists()


def test_channel_api_crud(api, workspace):
    resp = api.post("/api/v1/channels/", {"key": "google_ads", "name": "Google Ads",
                                          "kind": "paid_search", "utm_sources": ["Google"],
                                          "is_paid": True}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["utm_sources"] == ["google"] and "id" not in body
    code = body["code"]
    resp = api.patch(f"/api/v1/channels/{code}/", {"name": "Google Search"}, format="json")
    assert resp.json()["name"] == "Google Search"
    assert api.get(f"/api/v1/channels/{code}/").json()["key"] == "google_ads"
    assert AuditEntry.objects.filter(action__startswith="channel.").count() == 2
    assert "key" in err_fields(api.post("/api/v1/channels/", {"key": "google_ads",
                                                              "name": "Dup"}, format="json"))
    assert "kind" in err_fields(api.post("/api/v1/channels/", {"key": "x", "name": "X",
                                                               "kind": "carrier_pigeon"},
                                         format="json"))
    assert Channel.objects.filter(workspace=workspace).count() == 1
    assert api.delete(f"/api/v1/channels/{code}/").status_code == 405


def test_campaign_api_crud_and_filters(api, owner_actor, workspace):
    services.ensure_default_channels(workspace)
    resp = api.post("/api/v1/campaigns/", {"channel": "paid_search", "name": "Spring",
                                           "utm_campaign": "spring", "budget": "5000.00",
                                           "starts_on": "2026-03-01", "ends_on": "2026-03-31"},
                    format="json")
    assert resp.status_code == 201, resp.content
    code = resp.json()["code"]
    assert resp.json()["channel"] == "paid_search"
    services.campaign_create(actor=owner_actor, channel=selectors.channel_by_key(workspace,
                                                                                 "email"),
                             name="Newsletter")
    names = lambda **p: sorted(r["name"] for r in api.get("/api/v1/campaigns/",  # noqa: E731
                                                             p).json()["results"])
    assert names() == ["Newsletter", "Spring"]
    assert names(channel="email") == ["Newsletter"]
    assert api.patch(f"/api/v1/campaigns/{code}/", {"channel": "seo"},
                     format="json").json()["channel"] == "seo"
    assert "channel" in err_fields(api.post("/api/v1/campaigns/", {"channel": "nope",
                                                                   "name": "X"},
                                            format="json"))
    assert "utm_campaign" in err_fields(api.post("/api/v1/campaigns/", {
        "channel": "seo", "name": "Y", "utm_campaign": "spring"}, format="json"))
    assert "ends_on" in err_fields(api.patch(f"/api/v1/campaigns/{code}/",
                                             {"ends_on": "2026-02-01"}, format="json"))
    assert Campaign.objects.count() == 2
    assert str(Campaign.objects.get(code=code).ends_on) == "2026-03-31"


def test_foreign_channel_key_is_400(api, outsider_api, other_workspace):
    services.ensure_default_channels(other_workspace)
    # the outsider's workspace has "seo"; ours has no channels yet
    assert "channel" in err_fields(api.post("/api/v1/campaigns/", {"channel": "seo",
                                                                   "name": "X"},
                                            format="json"))


def test_roles_and_keys(add_member, api_key_for, workspace, owner_actor):
    ch = services.channel_create(actor=owner_actor, key="seo", name="SEO")
    viewer = session_api(add_member(Role.VIEWER))
    assert viewer.get("/api/v1/channels/").status_code == 200
    assert viewer.post("/api/v1/channels/", {"key": "v", "name": "V"},
                       format="json").status_code == 403
    rep = session_api(add_member(Role.SALES_REP))
    assert rep.get("/api/v1/channels/").status_code == 403
    analyst = session_api(add_member(Role.ANALYST))
    assert analyst.patch(f"/api/v1/channels/{ch.code}/", {"name": "X"},
                         format="json").status_code == 403
    read = api_key_for(workspace, "read")
    assert read.post("/api/v1/campaigns/", {"channel": "seo", "name": "R"},
                     format="json").status_code == 403
    ch.refresh_from_db()
    assert ch.name == "SEO" and Channel.objects.count() == 1 and not Campaign.objects.exists()


def test_outsider_gets_404(outsider_api, owner_actor, workspace):
    ch = services.channel_create(actor=owner_actor, key="seo", name="SEO")
    camp = services.campaign_create(actor=owner_actor, channel=ch, name="C")
    assert outsider_api.get(f"/api/v1/channels/{ch.code}/").status_code == 404
    assert outsider_api.patch(f"/api/v1/campaigns/{camp.code}/", {"name": "X"},
                              format="json").status_code == 404
    assert outsider_api.get(f"/api/v1/campaigns/{uuid.uuid4()}/").status_code == 404


def test_list_query_counts(api, owner_actor, workspace, django_assert_max_num_queries):
    for ch in services.ensure_default_channels(workspace):
        services.campaign_create(actor=owner_actor, channel=ch, name=f"C {ch.key}")
    api.get("/api/v1/channels/")
    for path in ["/api/v1/channels/", "/api/v1/campaigns/"]:
        with django_assert_max_num_queries(2):
            resp = api.get(path)
        assert len(resp.json()["results"]) == 10


def test_a_channel_with_spend_cannot_be_deleted_but_its_workspace_can(workspace):
    """Spend keeps its channel (RESTRICT), yet deleting a whole workspace takes all of it."""
    import datetime as dt
    from decimal import Decimal

    from django.db.models import RestrictedError

    from crm.models import Spend

    ch = Channel.objects.create(workspace=workspace, key="meta", name="Meta")
    camp = Campaign.objects.create(workspace=workspace, channel=ch, name="Spring")
    Spend.objects.create(workspace=workspace, date=dt.date(2026, 10, 1), channel=ch,
                         campaign=camp, amount=Decimal("120.00"))
    with pytest.raises(RestrictedError):
        ch.delete()
    assert Spend.objects.filter(channel=ch).count() == 1
    workspace.delete()
    assert not Channel.objects.filter(pk=ch.pk).exists()
    assert not Spend.objects.filter(channel_id=ch.pk).exists()
