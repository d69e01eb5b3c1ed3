"""The contact form refuses a phone that is not a phone and a language that is not one."""

import pytest

from crm.models import Contact

pytestmark = pytest.mark.django_db


def _post(client, ws, **extra):
    return client.post(f"/w/{ws.slug}/contacts/new/", {"name": "Lina", "stage": "lead", **extra})


def test_phone_and_language_are_checked(owner_client, workspace):
    r = _post(owner_client, workspace, phone="call me maybe", language="Klingon")
    assert r.status_code == 200
    assert set(r.context["form"].errors) == {"phone", "language"}
    assert "+966 50 123 4567" in r.content.decode()
    assert not Contact.objects.filter(workspace=workspace).exists()
    r = _post(owner_client, workspace, phone="12", language="")
    assert "phone" in r.context["form"].errors  # too few digits


def test_real_phone_and_language_are_saved(owner_client, workspace):
    r = _post(owner_client, workspace, phone="+966 50 123-4567", language="ar")
    assert r.status_code == 302
    c = Contact.objects.get(workspace=workspace)
    assert c.phone == "+966 50 123-4567" and c.language == "ar"
    page = owner_client.get(f"/w/{workspace.slug}/contacts/{c.code}/edit/").content.decode()
    assert '<option value="ar" selected>العربيّة</option>' in page
