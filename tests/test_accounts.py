"""Sign up, log in and out, reset a password, create and switch workspaces."""

import re

import pytest
from django.core import mail

from mos.models import AuditEntry, Membership, User, Workspace

pytestmark = pytest.mark.django_db


def test_signup_creates_user_and_admin_workspace(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/accounts/signup/", {"name": "Nadia", "email": "Nadia@Example.com",
                                              "password": "correct-horse-battery",
                                              "workspace_name": "Nadia's Shop"})
    assert r.status_code == 200 and "Check your inbox" in r.content.decode()
    user = User.objects.get(email="nadia@example.com")
    assert not user.is_active  # until the address is confirmed
    assert client.get("/").status_code == 302 and not client.session.get("_auth_user_id")
    link = re.search(r"https?://[^/]+(/accounts/signup/confirm/\S+)", mail.outbox[0].body)
    assert client.get(link.group(1))["Location"] == "/"
    user.refresh_from_db()
    assert user.is_active
    assert client.get(link.group(1))["Location"] == "/accounts/login/"  # works once
    m = Membership.objects.get(user=user)
    assert m.role == "admin" and m.workspace.name == "Nadia's Shop"
    # signed in, landing in the new workspace
    r = client.get("/", follow=True)
    assert r.redirect_chain[-1][0] == f"/w/{m.workspace.slug}/"
    assert "Nadia&#x27;s Shop" in r.content.decode()


def test_signup_rejects_weak_password_and_duplicate_email(client, owner):
    r = client.post("/accounts/signup/", {"name": "X", "email": owner.email,
                                          "password": "123", "workspace_name": "W"})
    assert r.status_code == 200
    form = r.context["form"]
    # the password is refused; whether the address has an account is not said
    assert "password" in form.errors and "email" not in form.errors
    assert User.objects.count() == 1 and Workspace.objects.count() == 0


def test_login_logout(client, owner, workspace):
    r = client.post("/accounts/login/", {"username": owner.email, "password": "a-strong-test-password"})
    assert r.status_code == 302
    assert client.get(f"/w/{workspace.slug}/").status_code == 200
    client.post("/accounts/logout/")
    r = client.get(f"/w/{workspace.slug}/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_password_reset_sends_mail_and_new_password_works(client, owner):
    r = client.post("/accounts/password-reset/", {"email": owner.email})
    assert r.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    r = client.get(link, follow=True)
    form_url = r.redirect_chain[-1][0]
    r = client.post(form_url, {"new_password1": "a-brand-new-secret-9",
                               "new_password2": "a-brand-new-secret-9"})
    assert r.status_code == 302
    assert client.login(email=owner.email, password="a-brand-new-secret-9")


def test_create_and_switch_workspaces(owner_client, owner, workspace):
    r = owner_client.post("/w/new/", {"name": "Second Brand"})
    second = Workspace.objects.get(name="Second Brand")
    assert r["Location"] == f"/w/{second.slug}/"
    page = owner_client.get(f"/w/{second.slug}/").content.decode()
    # the switcher lists both workspaces
    assert f'href="/w/{workspace.slug}/"' in page and f'href="/w/{second.slug}/"' in page
    # home goes to the last workspace opened
    assert owner_client.get("/")["Location"] == f"/w/{second.slug}/"
    owner_client.get(f"/w/{workspace.slug}/")
    assert owner_client.get("/")["Location"] == f"/w/{workspace.slug}/"
    assert AuditEntry.objects.filter(workspace=second, action="workspace.create").exists()


def test_arabic_is_right_to_left(owner_client, workspace):
    owner_client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    page = owner_client.get(f"/w/{workspace.slug}/").content.decode()
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    assert "لوحة" in page  # "Dashboard" in the nav, translated
    owner_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = owner_client.get(f"/w/{workspace.slug}/").content.decode()
    assert 'dir="ltr"' in page


def test_healthz_reports_database_and_broker(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == "ok" and body["status"] == "ok"
    assert "broker" in body


def test_healthz_is_degraded_not_down_when_only_redis_is_down(client, settings):
    """Redis down: pages and ingest still work, so a load balancer must keep the process."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "degraded" and body["degraded"] == ["redis"]
    assert body["database"] == "ok" and body["broker"].startswith("error")


def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection
    from django.db.utils import OperationalError

    def broken_cursor(*a, **k):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "error" and r.json()["database"].startswith("error")
