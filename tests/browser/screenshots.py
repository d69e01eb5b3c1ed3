"""Screenshots of every CRM screen, desktop and phone, English and Arabic, for a person to
look at (not a test of behaviour). Run it explicitly:

    .venv/bin/pytest tests/browser/screenshots.py -p no:cacheprovider

PNGs land in var/screens/ (crm-<screen>-<lang>-<width>.png)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm import services
from crm.models import Event, Order
from crm.models import Campaign, Channel
from mos.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["Huda Al-Rashid", "Omar Farouk", "Layla Haddad", "Karim Mansour", "Sara Nasser",
         "Youssef Khalil", "Mona Saleh", "Tariq Aziz", "Rania Fahmy", "Ziad Ibrahim",
         "نورة القحطاني", "فهد العتيبي", "Ahmed Samir", "Dina Maher", "Hassan Ali"]
STAGES = ["lead", "mql", "sql", "opportunity", "customer", "subscriber", "advocate", "churned"]


@pytest.fixture
def demo(workspace, owner_actor, add_member):
    rep = add_member(Role.SALES_REP, "rep@acme.test")
    rep.name = "Sami Rep"
    rep.save(update_fields=["name"])
    ads = Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads",
                                 kind="paid_search", is_paid=True)
    seo = Channel.objects.create(workspace=workspace, key="seo", name="SEO", kind="seo")
    camp = Campaign.objects.create(workspace=workspace, channel=ads, name="Ramadan offer",
                                   utm_campaign="ramadan")
    shop = services.persona_create(actor=owner_actor, name="Shop owner",
                                   description="Runs one to three shops, buys alone.",
                                   needs="Fewer stock-outs, faster checkout",
                                   objections="Price; switching cost",
                                   value_proposition="Set up in one afternoon")
    it = services.persona_create(actor=owner_actor, name="IT manager",
                                 description="Chooses tools for a 50–500 person company.",
                                 needs="Security, audit logs", objections="Integration work",
                                 value_proposition="API and SSO out of the box")
    now = timezone.now()
    contacts = []
    for i, name in enumerate(NAMES):
        c = services.contact_create(
            actor=owner_actor, name=name, email=f"person{i}@example.test",
            phone=f"+9665000000{i:02d}", company=["Rashid Trading", "Nile Foods", "",
                                                  "Gulf Tech"][i % 4],
            country=["SA", "EG", "AE"][i % 3], city=["Riyadh", "Cairo", "Dubai"][i % 3],
            persona=[shop, it, None][i % 3], customer_type=["loyal", "strategic",
                                                            "need_driven", ""][i % 4],
            buying_role=["decision_maker", "buyer", "end_user", ""][i % 4],
            owner=rep if i % 2 == 0 else None, source_channel=[ads, seo][i % 2],
            source_campaign=camp if i % 2 == 0 else None, stage=STAGES[i % len(STAGES)],
            created_at=now - timedelta(days=30 - i))
        contacts.append(c)
    star = contacts[0]
    services.contact_change_stage(actor=owner_actor, contact=star, to_stage="mql",
                                  reason="Downloaded the pricing guide twice",
                                  at=now - timedelta(days=20))
    services.contact_change_stage(actor=owner_actor, contact=star, to_stage="sql",
                                  reason="Discovery call: budget and need confirmed",
                                  at=now - timedelta(days=10))
    Event.objects.create(workspace=workspace, contact=star, name="page_view", channel=ads,
                         campaign=camp, occurred_at=now - timedelta(days=29))
    Event.objects.create(workspace=workspace, contact=star, name="demo_requested",
                         channel=seo, occurred_at=now - timedelta(days=12),
                         quality_issues=["missing:plan"])
    Order.objects.create(workspace=workspace, contact=star, amount=Decimal("1200.00"),
                         currency="USD", occurred_at=now - timedelta(days=5))
    services.consent_record(actor=owner_actor, contact=star, channel="email",
                            status="granted", source="signup form",
                            at=now - timedelta(days=29))
    services.consent_record(actor=owner_actor, contact=star, channel="sms",
                            status="withdrawn", source="reply STOP",
                            at=now - timedelta(days=3))
    from mos.actors import Actor
    from mos.models import Membership

    rep_actor = Actor.for_member(Membership.objects.get(user=rep, workspace=workspace))
    services.lead_feedback_create(actor=rep_actor, contact=star, quality=4,
                                  outcome="accepted", reason="Ready to buy",
                                  note="Wants a demo for the whole team")
    seg = services.segment_create(actor=owner_actor, name="Saudi leads",
                                  description="Leads and MQLs in Saudi Arabia",
                                  filters={"stage": ["lead", "mql", "sql"], "country": ["SA"]})
    services.segment_create(actor=owner_actor, name="Loyal customers",
                            filters={"stage": ["customer"], "customer_type": ["loyal"]})
    return {"rep": rep, "star": star, "segment": seg, "persona": shop}


def test_screenshots(new_page, login, live_server, workspace, owner, demo, screens_dir):
    base = f"{live_server.url}/w/{workspace.slug}"
    star, seg, persona = demo["star"], demo["segment"], demo["persona"]
    admin_screens = {
        "contacts": "/contacts/",
        "contacts-search": "/contacts/?q=Ha",
        "contact": f"/contacts/{star.code}/",
        "contact-edit": f"/contacts/{star.code}/edit/",
        "contact-new": "/contacts/new/",
        "segments": "/segments/",
        "segment": f"/segments/{seg.code}/",
        "segment-edit": f"/segments/{seg.code}/edit/",
        "personas": "/personas/",
        "persona": f"/personas/{persona.code}/",
        "persona-new": "/personas/new/",
        "lifecycle": "/lifecycle/",
    }
    phone = {"contacts", "contact", "leads"}
    problems = []
    for lang in ("en", "ar"):
        for width, height in ((1280, 800), (390, 844)):
            for who, screens in ((owner, admin_screens), (demo["rep"], {"leads": "/leads/"})):
                if width == 390 and not (set(screens) & phone):
                    continue
                page = new_page(width, height, lang)
                login(page, who)
                for name, path in screens.items():
                    if width == 390 and name not in phone:
                        continue
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                        problems.append(f"{name} {lang} {width}: horizontal overflow")
                    page.screenshot(path=str(screens_dir / f"crm-{name}-{lang}-{width}.png"),
                                    full_page=True)
                page.context.close()
    assert not problems, problems
