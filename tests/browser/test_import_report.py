"""The import preview groups errors by type with counts and shows unchanged rows, legibly on a
phone and in Arabic (right to left); screenshots go to /tmp/shots/imp-crm/ when it exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.importing import jobs as imports

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots/imp-crm")


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [1280, 390])
def test_preview_groups_errors_and_fits_the_screen(new_page, login, live_server, workspace,
                                                   owner, owner_actor, settings, tmp_path,
                                                   locale, width):
    settings.MEDIA_ROOT = tmp_path / "media"
    from crm.ingest.contacts import contacts_bulk

    contacts_bulk(actor=owner_actor, rows=[{"email": "same@example.com", "country": "SA"}])
    body = ("Email,Country,Lifecycle Stage\nsame@example.com,السعودية,\n"
            "a@example.com,Atlantis,Marketing Qualified Lead\nb@example.com,Narnia,Lead\n"
            "not-an-email,United States,Customer\nc@example.com,UK,Evangelist\n")
    job = imports.import_job_create(actor=owner_actor, kind="contacts", upload=SimpleUploadedFile(
        "contacts.csv", body.encode(), "text/csv"))
    page = new_page(width, 900, locale)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/imports/{job.code}/")
    groups = page.locator(".import-error-groups li")
    assert groups.count() == 2
    assert page.locator(".import-more-counts").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    if locale == "ar":
        assert page.evaluate("document.documentElement.dir") == "rtl"
    if SHOTS.exists():
        page.screenshot(path=str(SHOTS / f"preview-{locale}-{width}.png"), full_page=True)
