"""Bulk actions, saved views and notifications in a real browser, English and Arabic, 1280 and
390 px: select all matching, apply, watch the result; nothing overflows sideways. Screenshots
go to /tmp/shots/work15b/ for a person to look at. Arabic uses the main catalogue plus the
pending translations (locale/ar/pending/*.po, merged into a temporary catalogue)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from crm import services
from crm import saved_views as sv
from crm.models import BulkAction, Contact
from engines import alerts
from engines.models import MetricRun
from mos.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path("/tmp/shots/work15b")


@pytest.fixture
def pending_catalogue(settings, tmp_path):
    """The Arabic catalogue with the pending translations merged in (as after a merge)."""
    from django.utils.translation import trans_real

    if not shutil.which("msgcat"):
        yield
        return
    out = tmp_path / "ar" / "LC_MESSAGES"
    out.mkdir(parents=True)
    pos = [str(ROOT / "locale/ar/LC_MESSAGES/django.po"),
           *map(str, sorted((ROOT / "locale/ar/pending").glob("*.po")))]
    subprocess.run(["msgcat", "--use-first", "-o", str(out / "django.po"), *pos], check=True)
    subprocess.run(["msgfmt", "-o", str(out / "django.mo"), str(out / "django.po")], check=True)
    settings.LOCALE_PATHS = [str(tmp_path), *settings.LOCALE_PATHS]
    trans_real._translations = {}
    trans_real._default = None
    yield
    trans_real._translations = {}
    trans_real._default = None


@pytest.fixture
def filled(workspace, owner_actor, add_member, owner):
    rep = add_member(Role.SALES_REP, "rana@acme.test")
    rep.name = "Rana Haddad"
    rep.save(update_fields=["name"])
    services.segment_create(actor=owner_actor, name="Webinar leads", filters={"stage": ["lead"]})
    names = ["Huda Al-Rashid", "نورة القحطاني", "Omar Farouk", "فهد العتيبي", "Layla Haddad",
             "Karim Mansour", "Sara Nasser", "Youssef Khalil"]
    for i, name in enumerate(names):
        services.contact_create(actor=owner_actor, name=name, email=f"p{i}@example.test",
                                stage="lead" if i % 3 else "mql", city="Riyadh")
    sv.saved_view_create(actor=owner_actor, name="Rana's leads",
                         filters={"stage": "lead", "owner": str(rep.pk)}, shared=True,
                         columns=["name", "email", "stage", "owner", "city"])
    from engines import services as es

    engine = es.engine_create(actor=owner_actor, name="Content engine", owner=owner)
    es.kpi_create(actor=owner_actor, name="New leads", metric_key="leads", grain="month",
                  direction="up", target=100, guardrail_min=60, engine=engine)
    alerts.after_nightly_run(MetricRun.objects.create(workspace=workspace, trigger="nightly",
                                                      status="failed", error="Disk full."))
    return rep


def _fits(page, name, lang, width):
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
    assert overflow <= 1, f"{name} overflows sideways by {overflow}px at {width}"


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [1280, 390])
def test_bulk_views_and_notifications_screens(new_page, login, live_server, workspace, owner,
                                              filled, lang, width, pending_catalogue):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(width, 900, locale=lang)
    login(page, owner)
    base = f"{live_server.url}/w/{workspace.slug}/"
    page.goto(base + "contacts/?stage=lead")
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    assert page.locator("[data-bulk-bar]").is_hidden()
    page.locator("[data-bulk-row]").first.check()
    page.locator("[data-bulk-select-all]").click()
    assert page.locator("[data-bulk-everything]").is_visible()
    page.select_option("select[name=op]", "assign_owner")
    page.select_option("select[name=new_owner]", label="Rana Haddad")
    _fits(page, "contacts-bulk-bar", lang, width)
    with page.expect_navigation():
        page.locator("[data-bulk-bar] button[type=submit]").click()
    page.wait_for_selector("#bulk-status form button")  # finished: the Undo button
    assert Contact.objects.filter(stage="lead", owner=filled).count() == 5
    _fits(page, "bulk-action", lang, width)
    page.goto(base + "contacts/?view=" + str(sv.saved_views_for(workspace, owner)[0].code))
    page.locator(".save-view summary").click()
    _fits(page, "contacts-saved-view", lang, width)
    for path, name in [("contacts/views/", "saved-views"),
                       ("contacts/bulk/actions/", "bulk-actions"),
                       ("notifications/", "notifications"),
                       ("notifications/settings/", "notification-settings")]:
        page.goto(base + path)
        _fits(page, name, lang, width)
    page.goto(base)
    page.wait_for_selector(".bell-count.has-unread")
    _fits(page, "dashboard-bell", lang, width)
    BulkAction.objects.all().delete()
