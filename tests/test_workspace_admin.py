"""Members, invitations, roles, API keys, settings and the audit log, as an admin uses them."""

import re

import pytest
from django.core import mail

from mos.models import ApiKey, AuditEntry, Membership, User

pytestmark = pytest.mark.django_db


def test_invite_new_person_by_email_and_they_join_with_the_role(
        owner_client, workspace, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = owner_client.post(f"/w/{workspace.slug}/settings/members/",
                              {"email": "Nour@Acme.test", "role": "analyst"})
    assert r.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nour@acme.test"]
    link = re.search(r"https?://[^/]+(/invite/\S+/)", mail.outbox[0].body).group(1)
    # the invitee signs up through the link, straight into the workspace: no workspace name
    page = client.get(link).content.decode()
    assert "nour@acme.test" in page and "workspace_name" not in page
    r = client.post(link, {"name": "Nour", "password": "x-strong-pass-42"})
    assert r["Location"] == f"/w/{workspace.slug}/"
    assert client.get(f"/w/{workspace.slug}/").status_code == 200  # signed in
    assert Membership.objects.filter(user__email="nour@acme.test").count() == 1  # no own ws
    m = Membership.objects.get(user__email="nour@acme.test", workspace=workspace)
    assert m.role == "analyst"
    assert AuditEntry.objects.filter(workspace=workspace, action="member.join").exists()
    # the link works once
    client.logout()
    r = client.post(link, {"name": "Eve", "password": "x-strong-pass-42"})
    assert "already used" in r.content.decode()
    assert Membership.objects.filter(user__email="nour@acme.test", workspace=workspace).count() == 1


def test_invite_signup_for_an_address_with_an_account_asks_to_log_in(
        owner_client, workspace, client, member, django_capture_on_commit_callbacks):
    from mos.models import Invitation
    inv = Invitation.objects.create(workspace=workspace, email="nour@acme.test", role="viewer",
                                    token="tok-123456", invited_by=workspace.memberships.first().user)
    User.objects.create_user(email="nour@acme.test", username="nour@acme.test", password="pw-x-1")
    r = client.post(f"/invite/{inv.token}/", {"name": "Nour", "password": "x-strong-pass-42"})
    assert r.status_code == 200 and "log in to accept" in r.content.decode()
    r = client.post(f"/invite/{inv.token}/", {"name": "", "password": "123"})
    assert set(r.context["form"].errors) == {"name", "password"}
    assert not Membership.objects.filter(workspace=workspace,
                                         user__email="nour@acme.test").exists()


def test_invitation_for_someone_else_is_refused(owner_client, workspace, outsider_client,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/w/{workspace.slug}/settings/members/",
                          {"email": "someone@acme.test", "role": "viewer"})
    link = re.search(r"(/invite/\S+/)", mail.outbox[0].body).group(1)
    outsider_client.post(link)
    assert not Membership.objects.filter(workspace=workspace, user__email="outsider@globex.test").exists()


def test_invite_bad_input_shows_errors_and_sends_nothing(owner_client, workspace, member):
    r = owner_client.post(f"/w/{workspace.slug}/settings/members/",
                          {"email": "not-an-email", "role": "emperor"})
    assert r.status_code == 200
    assert set(r.context["form"].errors) == {"email", "role"}
    r = owner_client.post(f"/w/{workspace.slug}/settings/members/",
                          {"email": member.email, "role": "viewer"})
    assert "already a member" in r.content.decode()
    assert mail.outbox == []


def test_change_role_and_remove_member(owner_client, workspace, member):
    m = Membership.objects.get(user=member, workspace=workspace)
    owner_client.post(f"/w/{workspace.slug}/settings/members/{m.code}/role/", {"role": "viewer"})
    m.refresh_from_db()
    assert m.role == "viewer"
    entry = AuditEntry.objects.get(workspace=workspace, action="member.role")
    assert entry.changes == {"role": ["marketer", "viewer"]}
    owner_client.post(f"/w/{workspace.slug}/settings/members/{m.code}/remove/")
    assert not Membership.objects.filter(pk=m.pk).exists()
    # the removed member no longer sees the workspace: 404, as for any outsider
    from django.test import Client
    c = Client()
    c.force_login(member)
    assert c.get(f"/w/{workspace.slug}/").status_code == 404


def test_last_admin_cannot_be_demoted_or_removed(owner_client, owner, workspace):
    m = Membership.objects.get(user=owner, workspace=workspace)
    owner_client.post(f"/w/{workspace.slug}/settings/members/{m.code}/role/", {"role": "viewer"})
    owner_client.post(f"/w/{workspace.slug}/settings/members/{m.code}/remove/")
    m.refresh_from_db()
    assert m.role == "admin"


def test_api_key_lifecycle(owner_client, workspace, client):
    r = owner_client.post(f"/w/{workspace.slug}/settings/api-keys/",
                          {"name": "Billing sync", "scope": "write"}, follow=True)
    secret = r.context["new_secret"]
    key = ApiKey.objects.get(workspace=workspace)
    # shown once, stored hashed, prefix visible
    assert secret.startswith(key.prefix + ".") and secret not in key.hashed_secret
    assert key.hashed_secret == ApiKey.hash_secret(secret)
    page = owner_client.get(f"/w/{workspace.slug}/settings/api-keys/").content.decode()
    assert key.prefix in page and secret not in page
    # the key works and records its last use
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert r.status_code == 200 and r.json()["workspace"] == workspace.slug
    key.refresh_from_db()
    assert key.last_used_at is not None
    # revoked: stops working at once
    owner_client.post(f"/w/{workspace.slug}/settings/api-keys/{key.code}/revoke/")
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert r.status_code == 401 and r.json()["error"]["code"] == "authentication_failed"
    actions = list(AuditEntry.objects.filter(workspace=workspace).values_list("action", flat=True))
    assert "apikey.create" in actions and "apikey.revoke" in actions


def test_settings_update_is_audited_with_changed_fields(owner_client, workspace):
    r = owner_client.post(f"/w/{workspace.slug}/settings/", {
        "name": "Acme Inc", "currency": "SAR", "timezone": "Asia/Riyadh",
        "business": "transactional", "default_margin": "60", "activity_window_days": 60,
        "attribution_model": "markov", "attribution_lookback_days": 30})
    assert r.status_code == 302
    workspace.refresh_from_db()
    assert workspace.currency == "SAR" and workspace.attribution_model == "markov"
    entry = AuditEntry.objects.get(workspace=workspace, action="workspace.update")
    assert entry.changes["currency"] == ["USD", "SAR"]
    assert "attribution_lookback_days" not in entry.changes  # unchanged fields are not listed


def test_gross_margin_is_typed_and_shown_as_a_percentage(owner_client, workspace):
    from decimal import Decimal
    page = owner_client.get(f"/w/{workspace.slug}/settings/").content.decode()
    assert 'name="default_margin" value="70"' in page  # stored 0.7000, shown as 70 (%)
    r = owner_client.post(f"/w/{workspace.slug}/settings/", {
        "name": "Acme", "currency": "USD", "timezone": "UTC", "business": "subscription",
        "default_margin": "62.5", "activity_window_days": 90,
        "attribution_model": "first_touch", "attribution_lookback_days": 30})
    assert r.status_code == 302
    workspace.refresh_from_db()
    assert workspace.default_margin == Decimal("0.625")


def test_settings_bad_input_keeps_old_values(owner_client, workspace):
    r = owner_client.post(f"/w/{workspace.slug}/settings/", {
        "name": "", "currency": "SAR", "timezone": "UTC", "business": "subscription",
        "default_margin": "150", "activity_window_days": 90, "attribution_model": "magic",
        "attribution_lookback_days": 30})
    assert r.status_code == 200
    assert {"name", "default_margin", "attribution_model"} <= set(r.context["form"].errors)
    workspace.refresh_from_db()
    assert workspace.name == "Acme" and workspace.currency == "USD"


def test_audit_log_lists_entries_for_admin(owner_client, workspace):
    page = owner_client.get(f"/w/{workspace.slug}/settings/audit/").content.decode()
    assert "Workspace created: Acme" in page


def test_remove_question_isolates_the_member_name_in_arabic(owner_client, workspace, member):
    """A Latin name inside the Arabic question keeps its own direction (Unicode isolates), so
    the words around it are not reordered."""
    owner_client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    body = owner_client.get(f"/w/{workspace.slug}/settings/members/",
                            HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert f"\u2068{member.display_name}\u2069" in body
