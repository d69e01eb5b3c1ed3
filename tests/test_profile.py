"""The user menu: profile (name, language preference), password change, favicon."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_user_menu_links_to_profile_and_password(owner_client, workspace):
    page = owner_client.get(f"/w/{workspace.slug}/").content.decode()
    assert 'href="/accounts/profile/"' in page and 'href="/accounts/password/"' in page
    assert "favicon.svg" in page and "favicon.ico" in page


def test_profile_saves_name_and_switches_language(owner_client, owner):
    r = owner_client.post("/accounts/profile/", {"name": "Sara Ali", "language": "ar"})
    assert r.status_code == 302
    owner.refresh_from_db()
    assert owner.name == "Sara Ali" and owner.language == "ar"
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    page = owner_client.get("/accounts/profile/").content.decode()
    assert 'lang="ar"' in page and 'dir="rtl"' in page
    r = owner_client.post("/accounts/profile/", {"name": "Sara", "language": "tlh"})
    assert r.status_code == 200 and "language" in r.context["form"].errors


def test_password_change_keeps_you_signed_in(owner_client, owner):
    owner.set_password("old-pass-xyz-1")
    owner.save()
    owner_client.force_login(owner)
    r = owner_client.post("/accounts/password/", {
        "old_password": "wrong", "new_password1": "new-pass-xyz-2",
        "new_password2": "new-pass-xyz-2"})
    assert r.status_code == 200 and "old_password" in r.context["form"].errors
    r = owner_client.post("/accounts/password/", {
        "old_password": "old-pass-xyz-1", "new_password1": "new-pass-xyz-2",
        "new_password2": "new-pass-xyz-2"})
    assert r["Location"] == "/accounts/profile/"
    owner.refresh_from_db()
    assert owner.check_password("new-pass-xyz-2")
    assert owner_client.get("/accounts/profile/").status_code == 200


def test_profile_needs_a_log_in(client):
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")
