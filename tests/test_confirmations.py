"""Destructive actions ask first (a <details> confirm that works without JS): the first click
only opens the question; the action happens on "Yes, …"."""

import re

import pytest

from mos.models import ApiKey, Membership

pytestmark = pytest.mark.django_db


def _confirm_block(page: str, action: str) -> str:
    """The <details class="confirm"> that wraps the form posting to `action`."""
    for block in re.findall(r'<details class="confirm[^"]*">.*?</details>', page, re.S):
        if f'action="{action}"' in block:
            return block
    raise AssertionError(f"no confirmation around {action}")


def test_remove_member_and_revoke_key_ask_first(owner_client, workspace, member):
    m = Membership.objects.get(workspace=workspace, user=member)
    page = owner_client.get(f"/w/{workspace.slug}/settings/members/").content.decode()
    block = _confirm_block(page, f"/w/{workspace.slug}/settings/members/{m.code}/remove/")
    assert "Remove…</summary>" in block and "Yes, remove" in block
    owner_client.post(f"/w/{workspace.slug}/settings/api-keys/", {"name": "Sync", "scope": "read"})
    key = ApiKey.objects.get(workspace=workspace)
    page = owner_client.get(f"/w/{workspace.slug}/settings/api-keys/").content.decode()
    block = _confirm_block(page, f"/w/{workspace.slug}/settings/api-keys/{key.code}/revoke/")
    assert "Revoke…</summary>" in block and "Yes, revoke" in block


def test_reloading_after_creating_an_api_key_creates_no_second_key(owner_client, workspace):
    r = owner_client.post(f"/w/{workspace.slug}/settings/api-keys/",
                          {"name": "Sync", "scope": "read"}, follow=True)
    assert r.redirect_chain[-1][1] == 302 and "mos_" in r.content.decode()
    owner_client.get(f"/w/{workspace.slug}/settings/api-keys/")  # the reload is a GET
    assert ApiKey.objects.filter(workspace=workspace).count() == 1


def test_withdraw_consent_and_delete_kpi_ask_first(owner_client, workspace, owner_actor):
    from crm import services as crm_services
    from engines import services as eng_services

    contact = crm_services.contact_create(actor=owner_actor, name="Lina", email="l@x.test")
    crm_services.consent_record(actor=owner_actor, contact=contact, channel="email",
                                status="granted", source="test")
    page = owner_client.get(f"/w/{workspace.slug}/contacts/{contact.code}/").content.decode()
    block = _confirm_block(page, f"/w/{workspace.slug}/contacts/{contact.code}/consent/")
    assert "Withdraw…" in block and "Yes, withdraw" in block
    kpi = eng_services.kpi_create(actor=owner_actor, metric_key="revenue", name="Revenue")
    page = owner_client.get(f"/w/{workspace.slug}/kpis/{kpi.code}/").content.decode()
    block = _confirm_block(page, f"/w/{workspace.slug}/kpis/{kpi.code}/delete/")
    assert "Delete this KPI…</summary>" in block and "Yes, delete" in block
