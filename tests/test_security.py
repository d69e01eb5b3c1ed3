"""Issue 8 §6: accounts and web security."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.test import Client

from conftest import PASSWORD
from mos.models import ApiKey


# --- login throttling (django-axes) -------------------------------------------------------

def _login(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_login_is_locked_after_too_many_wrong_passwords(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    c = Client()
    for _ in range(2):
        assert _login(c, owner.email, "wrong-password").status_code == 200
    assert _login(c, owner.email, "wrong-password").status_code == 429  # the limit
    r = _login(c, owner.email, PASSWORD)  # the right one, too late
    assert r.status_code == 429
    assert "Too many failed log-ins" in r.content.decode()
    assert "_auth_user_id" not in c.session


def test_lockout_is_per_account_from_any_address(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for i in range(3):
        _login(Client(REMOTE_ADDR=f"10.0.0.{i + 1}"), owner.email, "wrong-password")
    r = _login(Client(REMOTE_ADDR="10.9.9.9"), owner.email, PASSWORD)
    assert r.status_code == 429


def test_lockout_is_per_address_across_accounts(owner, add_member, settings):
    settings.AXES_FAILURE_LIMIT = 3
    other = add_member("viewer")
    c = Client(REMOTE_ADDR="10.1.1.1")
    for i in range(3):
        _login(c, f"nobody{i}@acme.test", "guess")
    assert _login(c, other.email, PASSWORD).status_code == 429
    # another address is not locked out of the same account
    r = _login(Client(REMOTE_ADDR="10.2.2.2"), other.email, PASSWORD)
    assert r.status_code == 302


def test_a_few_mistakes_then_the_right_password_still_works(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    c = Client()
    _login(c, owner.email, "wrong-password")
    assert _login(c, owner.email, PASSWORD).status_code == 302


# --- sign-up and reset do not reveal accounts ---------------------------------------------

def test_signup_with_a_taken_email_does_not_say_so(owner, client,
                                                  django_capture_on_commit_callbacks):
    def signup(email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/accounts/signup/", {
                "name": "X", "email": email, "password": "a-strong-new-secret-7",
                "workspace_name": "X Co"})

    taken, free = signup(owner.email), signup("fresh@acme.test")
    assert taken.status_code == free.status_code == 200

    def page(r, email):  # the answer without the address itself and the per-request token
        html = r.content.decode().replace(email, "@")
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)

    assert page(taken, owner.email) == page(free, "fresh@acme.test")
    assert "already" not in taken.content.decode()
    # the owner of the address is told, by e-mail, not the stranger on the page
    assert mail.outbox[0].to == [owner.email] and "already has one" in mail.outbox[0].body
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # nothing about the existing account changed


def test_password_reset_answers_the_same_for_unknown_emails(owner, client):
    known = client.post("/accounts/password-reset/", {"email": owner.email})
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@nowhere.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_reset_link_is_built_from_site_url_not_the_host_header(owner, settings):
    settings.SITE_URL = "https://mos.example.com"
    settings.ALLOWED_HOSTS = ["evil.test", "testserver"]
    Client(HTTP_HOST="evil.test").post("/accounts/password-reset/", {"email": owner.email})
    body = mail.outbox[0].body
    assert "https://mos.example.com/accounts/reset/" in body
    assert "evil.test" not in body


# --- API key page ---------------------------------------------------------------------------

def test_api_key_page_shows_the_key_once_and_reload_creates_no_second_key(owner_client,
                                                                          workspace):
    url = f"/w/{workspace.slug}/settings/api-keys/"
    r = owner_client.post(url, {"name": "Sync", "scope": "read"})
    assert r.status_code == 302 and r["Location"] == url
    shown = owner_client.get(url)
    assert shown["Cache-Control"] == "no-store"
    secret = shown.context["new_secret"]
    assert secret and secret in shown.content.decode()
    again = owner_client.get(url)  # the browser's reload
    assert secret not in again.content.decode()
    assert ApiKey.objects.filter(workspace=workspace).count() == 1


# --- headers and deploy settings -----------------------------------------------------------

def test_pages_send_csp_and_permissions_policy(client):
    r = client.get("/accounts/login/")
    assert "script-src 'self'" in r["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in r["Content-Security-Policy"]
    assert "camera=()" in r["Permissions-Policy"]


def _settings_with(env: dict) -> dict:
    """mos.settings evaluated with this environment (in a subprocess: settings are read once)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json, mos.settings as s; print(json.dumps({k: getattr(s, k, None) for k in "
            "['SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', "
            "'CSRF_COOKIE_SECURE', 'DEBUG']}))")
    base = {k: v for k, v in os.environ.items()
            if k not in ("DEBUG", "SECRET_KEY", "SECURE_HTTPS", "SECURE_COOKIES",
                         "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")}
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env}, check=True,
                         capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_https_protections_are_on_by_default_without_debug():
    s = _settings_with({"DEBUG": "false", "SECRET_KEY": "k" * 60})
    assert s["SECURE_SSL_REDIRECT"] and s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"]
    local = _settings_with({"DEBUG": "false", "SECRET_KEY": "k" * 60, "SECURE_HTTPS": "false"})
    assert not local["SECURE_SSL_REDIRECT"] and not local["SESSION_COOKIE_SECURE"]


def test_deploy_check_is_clean_without_debug():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}  # browser tests set it
    env.update(DEBUG="false", SECRET_KEY="a-real-secret-" + "x" * 50,
               EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
               SITE_URL="https://mos.example.com")
    proc = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                           "WARNING"], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


@pytest.mark.parametrize("configured, debug, errors", [(False, False, ["mos.E001"]),
                                                       (True, False, []), (False, True, [])])
def test_no_mail_backend_without_debug_refuses_to_start(settings, configured, debug, errors):
    settings.EMAIL_BACKEND_CONFIGURED = configured
    settings.DEBUG = debug
    found = [m.id for m in run_checks() if m.id and m.id.startswith("mos.E")]
    assert found == errors


def test_invitation_link_uses_site_url(owner_client, workspace, settings,
                                       django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://mos.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/w/{workspace.slug}/settings/members/",
                          {"email": "new@acme.test", "role": "viewer"})
    assert re.search(r"https://mos\.example\.com/invite/\S+", mail.outbox[-1].body)


# --- lifecycle-stage definitions: one permission for page and API ------------------------

@pytest.mark.parametrize("role, allowed", [("marketer", False), ("analyst", True),
                                           ("growth_lead", True), ("viewer", False)])
def test_lifecycle_definitions_page_and_api_agree(workspace, add_member, client_for, role,
                                                  allowed):
    from crm.models import LifecycleStage

    c = client_for(add_member(role))
    page = c.post(f"/w/{workspace.slug}/lifecycle/", {"stage": "mql", "mql-name": "MQL",
                                                          "mql-definition": "page"})
    api = c.patch("/api/v1/lifecycle-stages/mql/", {"definition": "api"},
                  content_type="application/json", HTTP_X_WORKSPACE=workspace.slug)
    assert (page.status_code != 403) is allowed
    assert (api.status_code == 200) is allowed, api.content[:200]
    stage = LifecycleStage.objects.filter(workspace=workspace, key="mql").first()
    assert (stage is not None and stage.definition == "api") is allowed


@pytest.mark.django_db
def test_a_second_unconfirmed_signup_cannot_replace_the_pending_password(
        client, django_capture_on_commit_callbacks):
    """A stranger signing up again with someone's pending address must not set the password
    the owner's confirmation link then activates; the owner is sent the link again instead."""
    def signup(password, name):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/accounts/signup/", {
                "name": name, "email": "nadia@acme.test", "password": password,
                "workspace_name": "Nadia Co"})

    signup("nadia-owns-this-1", "Nadia")
    first_link = re.search(r"/accounts/signup/confirm/\S+", mail.outbox[0].body).group(0)
    r = signup("stranger-knows-this-2", "Mallory")
    assert r.status_code == 200
    from mos.models import User
    user = User.objects.get(email="nadia@acme.test")
    assert user.check_password("nadia-owns-this-1")
    assert not user.check_password("stranger-knows-this-2")
    assert user.name == "Nadia"
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["nadia@acme.test"]
    second_link = re.search(r"/accounts/signup/confirm/\S+", mail.outbox[1].body).group(0)
    assert second_link == first_link  # the confirmation re-sent, still valid
    client.get(first_link)
    user.refresh_from_db()
    assert user.is_active and user.check_password("nadia-owns-this-1")
    assert User.objects.filter(email="nadia@acme.test").count() == 1
