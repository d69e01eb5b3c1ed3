"""Likely duplicates (e-mail, phone, names across Arabic and Latin script) and the merge that
keeps everything, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.duplicates import duplicate_groups, email_key, name_key, normalise_arabic, phone_key
from crm.models import (Activity, Consent, Contact, ContactMerge, Event, LeadFeedback, Order,
                        StageChange, Subscription)
from mos.models import AuditEntry


@pytest.mark.parametrize("a, b", [
    ("Mohammed Al-Harbi", "محمد الحربي"),
    ("Muhammad Alharbi", "مُحَمَّد الحَرْبِي"),  # diacritics
    ("Khalid Othman", "خالد عثمان"),
    ("Fatimah Zahra", "فاطمة الزهراء"),
    ("Yousef Qasim", "يوسف قاسم"),
    ("أحمد علي", "احمد علي"),  # hamza on the alef
])
def test_names_match_across_scripts(a, b):
    assert name_key(a) and name_key(a) == name_key(b)


def test_different_names_do_not_match():
    assert name_key("Khalid Othman") != name_key("Khalid Hassan")
    assert name_key("Ali") == ""  # a single short word proposes nothing


def test_arabic_normalisation_and_keys():
    assert normalise_arabic("مُحَمَّـد") == "محمد"
    assert normalise_arabic("فاطمة إبراهيم") == "فاطمه ابراهيم"
    assert email_key("Layla.H+promo@GMail.com") == "laylah@gmail.com"
    assert phone_key("+966 50 123 4567") == phone_key("0501234567") == "501234567"


@pytest.mark.django_db
def test_groups_list_each_pair_once(workspace):
    a = Contact.objects.create(workspace=workspace, name="Mohammed Al-Harbi",
                               email="m.harbi@gmail.com", phone="+966501234567")
    b = Contact.objects.create(workspace=workspace, name="محمد الحربي", phone="0501234567")
    c = Contact.objects.create(workspace=workspace, name="Someone Else",
                               email="mharbi@gmail.com")
    Contact.objects.create(workspace=workspace, name="Unrelated Person")
    groups = duplicate_groups(workspace)
    pairs = {(g["reason"], frozenset(x.pk for x in g["contacts"])) for g in groups}
    assert pairs == {("phone", frozenset({a.pk, b.pk})), ("email", frozenset({a.pk, c.pk}))}


@pytest.mark.django_db
def test_merge_page_keeps_everything_and_audits(workspace, owner_client, member_client,
                                                owner):
    keep = Contact.objects.create(workspace=workspace, name="Layla Haddad",
                                  email="layla@example.test")
    dup = Contact.objects.create(workspace=workspace, name="ليلى حداد", phone="+96650000",
                                 stage="lead")
    now = timezone.now()
    Event.objects.create(workspace=workspace, contact=dup, name="visit", occurred_at=now)
    Order.objects.create(workspace=workspace, contact=dup, amount=10, currency="USD",
                         occurred_at=now)
    Consent.objects.create(workspace=workspace, contact=dup, channel="email", status="granted")
    StageChange.objects.create(workspace=workspace, contact=dup, to_stage="lead")
    LeadFeedback.objects.create(workspace=workspace, contact=dup, quality=4, outcome="accepted")
    Activity.objects.create(workspace=workspace, contact=dup, kind="note", body="Met at expo")
    Subscription.objects.create(workspace=workspace, contact=dup, mrr=50, started_at=now)
    r = owner_client.get(reverse("duplicates", args=[workspace.slug]))
    assert r.status_code == 200 and "Same name (Arabic or Latin)" in r.text
    assert member_client.get(reverse("duplicates", args=[workspace.slug])).status_code == 200
    r = owner_client.post(reverse("duplicates_merge", args=[workspace.slug]),
                          {"survivor": str(keep.code), "contact": [str(keep.code), str(dup.code)],
                           "reason": "name"})
    assert r.status_code == 302
    assert not Contact.objects.filter(pk=dup.pk).exists()
    for model in (Event, Order, Consent, StageChange, LeadFeedback, Activity, Subscription):
        assert model.objects.filter(contact=keep).count() == 1, model
    keep.refresh_from_db()
    assert keep.phone == "+96650000"  # a blank field filled from the duplicate
    merge = ContactMerge.objects.get(survivor=keep)
    assert merge.matched_on == "name" and merge.moved["subscriptions"] == 1
    assert AuditEntry.objects.filter(action="contact.merge", actor=owner).exists()


@pytest.mark.django_db
def test_merge_refuses_other_workspace(workspace, other_workspace, owner_client):
    keep = Contact.objects.create(workspace=workspace, name="A B")
    foreign = Contact.objects.create(workspace=other_workspace, name="A B")
    owner_client.post(reverse("duplicates_merge", args=[workspace.slug]),
                      {"survivor": str(keep.code), "contact": [str(foreign.code)]})
    assert Contact.objects.filter(pk=foreign.pk).exists()
